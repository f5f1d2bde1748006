import BatonCore
import NIOCore

/// What a proxy's tunnel is made of, on either side of it: reading a handshake, and then
/// passing bytes both ways until one end closes (Baton's SOCKS5 bridge; the tests' proxy).
public enum ProxyTunnel {
    /// Passes bytes between a client and the server its tunnel reaches until either closes
    /// (then the other is closed too), starting with what each had sent past its handshake.
    /// `sent`: shown each chunk the client sends.
    public static func pass(client: any Channel, fromClient: HandshakeReader, toClient: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                            server: any Channel, fromServer: HandshakeReader, toServer: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                            sent: (@Sendable (ByteBuffer) -> Void)? = nil) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The server's side, until it closes; then the client's ends too.
                do {
                    if fromServer.head.readableBytes > 0 { try await toClient.write(fromServer.head) }
                    while let chunk = try await fromServer.next() { try await toClient.write(chunk) }
                } catch {}
                client.close(promise: nil)
            }
            do {
                if fromClient.head.readableBytes > 0 {
                    sent?(fromClient.head)
                    try await toServer.write(fromClient.head)
                }
                while let chunk = try await fromClient.next() {
                    sent?(chunk)
                    try await toServer.write(chunk)
                }
            } catch {}
            server.close(promise: nil)
            try await group.waitForAll()
        }
    }

    /// `host:port` or `[v6]:port`, as a `CONNECT` names its target.
    public static func split(_ target: String) -> (host: String, port: Int)? {
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(target[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// The `Proxy-Authorization` header's value among a request head's lines.
    public static func proxyAuthorization(in lines: [String]) -> String? {
        lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingWhitespace() }
    }
}

/// What one side of a connection sent, read as a handshake needs it: `need(n)` reads until
/// `head` holds n bytes; what follows the handshake stays in `head` for the tunnel.
///
/// Used by one task at a time: the handshake's, then the tunnel's side that reads it.
public final class HandshakeReader: @unchecked Sendable {
    private var reader: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    public var head = ByteBuffer()
    /// The most a handshake may send before it is done.
    private let limit: Int

    public init(_ input: NIOAsyncChannelInboundStream<ByteBuffer>, limit: Int = 16_384) {
        reader = input.makeAsyncIterator()
        self.limit = limit
    }

    /// Reads until `head` holds `count` bytes; false when the other side went away first
    /// (or sent more than a handshake takes).
    public func need(_ count: Int) async throws -> Bool {
        while head.readableBytes < count {
            guard var chunk = try await reader.next(), head.readableBytes < limit else { return false }
            head.writeBuffer(&chunk)
        }
        return true
    }

    /// The byte at `offset` from the start of `head` (0 past its end).
    public func byte(_ offset: Int) -> Int {
        Int(head.getInteger(at: head.readerIndex + offset, as: UInt8.self) ?? 0)
    }

    /// An HTTP request's head (up to its empty line) as lines, taken out of `head`; nil when
    /// the connection ended (or sent too much) first.
    public func headLines() async throws -> [String]? {
        while true {
            let head = head
            if let end = head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
                let text = self.head.readString(length: end.upperBound - head.readerIndex) ?? ""
                return text.components(separatedBy: "\r\n")
            }
            guard try await need(head.readableBytes + 1) else { return nil }
        }
    }

    /// The next chunk after `head` (which the caller took first), nil at the end.
    public func next() async throws -> ByteBuffer? {
        try await reader.next()
    }
}
