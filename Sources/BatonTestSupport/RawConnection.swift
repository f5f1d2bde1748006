import NIOCore
import NIOPosix
import Synchronization

/// A bare TCP connection to a loopback server, for what no HTTP or WebSocket client does:
/// stay silent, stop halfway through a request, or watch for the server's close.
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `127.0.0.1:port`.
    public static func open(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    /// Sends `text` as it is (no framing, no line ending added).
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// What the server sent so far, as text.
    public var text: String { String(decoding: collector.received.withLock { $0 }, as: UTF8.self) }

    /// Waits for the server to close the connection, at most `seconds`: whether it did.
    public func closedByServer(within seconds: Double) async -> Bool {
        let closed = channel.closeFuture
        return (try? await withTimeout(seconds) { try await closed.get() }) != nil
    }

    /// Closes the client's side (if the server has not).
    public func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }
}
