import NIOCore
import NIOPosix
import Synchronization

/// Counts the connections made to a loopback port while a server there is down: it takes
/// each one, reads what the client sends first and closes it, so that a test can see a
/// client retry (its connection attempts) without a server answering.
public final class KnockCounter: Sendable {
    private let knocks = Mutex(0)
    private let channel: Mutex<(any Channel)?> = Mutex(nil)

    private init() {}

    /// Listens on `port` of 127.0.0.1 (a port a stopped server just left).
    public static func start(port: Int) async throws -> KnockCounter {
        let counter = KnockCounter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counter.knocks.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CloseAfterFirstRead())
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        counter.channel.withLock { $0 = channel }
        return counter
    }

    /// How many connections were made so far.
    public var count: Int { knocks.withLock { $0 } }

    /// Stops listening: the port is free for the server again.
    public func stop() async {
        let channel = self.channel.withLock { $0 }
        try? await channel?.close()
    }
}

/// Closes a connection once the client's first bytes are read (closing before would
/// leave them unread, and the kernel would answer with a reset rather than an end).
private final class CloseAfterFirstRead: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}
