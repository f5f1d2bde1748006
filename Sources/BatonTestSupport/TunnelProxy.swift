import BatonCore
import BatonMattermost
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A forward proxy on loopback that opens tunnels, as squid or tinyproxy do for a client
/// behind a company's egress proxy (HTTP `CONNECT`: `200 Connection established`) or as
/// `ssh -D` does (SOCKS5, told apart by the first byte), and passes bytes both ways. It can
/// ask for a user and password (HTTP's 407; SOCKS5's RFC 1929), or refuse every tunnel (403;
/// SOCKS5's "not allowed by ruleset"), and it records what went through it.
public final class TunnelProxy: Sendable {
    /// A tunnel the proxy opened: its target (`127.0.0.1:8065`) and the start of what the
    /// client sent through it (readable for plain HTTP, not for TLS).
    public struct Tunnel: Sendable, Equatable {
        public let target: String
        /// The client's bytes, the first 256 KiB, as text (invalid UTF-8 replaced).
        public fileprivate(set) var sent = ""

        /// The request lines sent through the tunnel (`GET /api/v4/websocket HTTP/1.1`),
        /// also one that follows a body at once (a body ends without a line break).
        public var requestLines: [String] {
            let pattern = /(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/[^ \r\n]* HTTP\/1\.[01]/
            return sent.matches(of: pattern).map { String($0.output) }
        }

        /// Every request line sent through any of `tunnels`.
        public static func requestLines(_ tunnels: [Tunnel]) -> [String] { tunnels.flatMap(\.requestLines) }
    }

    public struct Credentials: Sendable {
        public let username: String
        public let password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public let port: Int
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let state = Mutex<State>(State())
    private let credentials: Credentials?
    private let refusing: Bool

    private struct State {
        var tunnels: [Tunnel] = []
        var refusals = 0
        var accepting: Task<Void, Never>?
    }

    /// The proxy's address for Baton: `http://[user:password@]127.0.0.1:PORT`.
    public func url(username: String? = nil, password: String? = nil) -> String {
        let user = username.map { "\($0):\(password ?? "")@" } ?? ""
        return "http://\(user)127.0.0.1:\(port)"
    }

    /// The proxy's address as a SOCKS5 proxy: `socks5://[user:password@]127.0.0.1:PORT`.
    public func socksURL(username: String? = nil, password: String? = nil) -> String {
        let user = username.map { "\($0):\(password ?? "")@" } ?? ""
        return "socks5://\(user)127.0.0.1:\(port)"
    }

    /// The tunnels opened so far.
    public var tunnels: [Tunnel] { state.withLock { $0.tunnels } }

    /// Requests refused so far (407 or 403).
    public var refusals: Int { state.withLock { $0.refusals } }

    /// Starts on a free loopback port. `credentials`: ask for them (HTTP's Basic, SOCKS5's
    /// user name and password); `refusing`:
    /// answer every CONNECT with 403, as a proxy whose rules forbid the target does.
    public static func start(credentials: Credentials? = nil, refusing: Bool = false) async throws -> TunnelProxy {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child) }
            }
        let proxy = TunnelProxy(server: server, credentials: credentials, refusing: refusing)
        let accepting = Task<Void, Never> {
            try? await server.executeThenClose { clients in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await client in clients {
                            // On the connection's event loop, not Swift's pool: a test
                            // process starting hundreds of tests at once keeps the pool's
                            // few threads busy for seconds, and a handshake waiting there
                            // made the client's 5 s connect timeout run out.
                            group.addTask(executorPreference: EventLoopExecutor(client.channel.eventLoop)) { await proxy.serve(client) }
                        }
                    } catch {}
                }
            }
        }
        proxy.state.withLock { $0.accepting = accepting }
        return proxy
    }

    private init(server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, credentials: Credentials?, refusing: Bool) {
        self.server = server
        port = server.channel.localAddress?.port ?? 0
        self.credentials = credentials
        self.refusing = refusing
    }

    /// Stops taking connections (open tunnels end with their ends).
    public func stop() async {
        try? await server.channel.close()
        let accepting = state.withLock { $0.accepting }
        accepting?.cancel()
    }

    private func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await client.executeThenClose { input, output in
            let incoming = HandshakeReader(input)
            guard try await incoming.need(1) else { return }
            let opened: (target: String, upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>)?
            if incoming.byte(0) == 5 {
                opened = try await openSOCKS5(output, incoming)
            } else {
                opened = try await openCONNECT(output, incoming)
            }
            guard let (target, upstream) = opened else { return }
            let index = state.withLock { state in
                state.tunnels.append(Tunnel(target: target))
                return state.tunnels.count - 1
            }
            try? await upstream.executeThenClose { fromServer, toServer in
                try await ProxyTunnel.pass(client: client.channel, fromClient: incoming, toClient: output,
                                           server: upstream.channel, fromServer: HandshakeReader(fromServer), toServer: toServer) { chunk in
                    self.state.withLock { state in
                        guard state.tunnels[index].sent.utf8.count < 256 * 1024 else { return }
                        state.tunnels[index].sent += String(decoding: chunk.readableBytesView, as: UTF8.self)
                    }
                }
            }
        }
    }

    /// An HTTP `CONNECT`: the request's head, checked (the password when asked for; every
    /// tunnel refused when refusing), the target connected and `200` answered.
    private func openCONNECT(_ output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                             _ incoming: HandshakeReader) async throws -> (String, NIOAsyncChannel<ByteBuffer, ByteBuffer>)? {
        guard let lines = try await incoming.headLines() else { return nil }
        let request = lines[0].split(separator: " ")
        guard request.count == 3, request[0] == "CONNECT" else {
            try await output.write(ByteBuffer(string: "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            return nil
        }
        let target = String(request[1])
        if let credentials {
            let expected = "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            guard ProxyTunnel.proxyAuthorization(in: lines) == expected else {
                state.withLock { $0.refusals += 1 }
                try await output.write(ByteBuffer(string: "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                return nil
            }
        }
        guard !refusing, let (host, port) = ProxyTunnel.split(target) else {
            state.withLock { $0.refusals += 1 }
            try await output.write(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            return nil
        }
        guard let upstream = await Self.connect(host: host, port: port) else {
            try await output.write(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            return nil
        }
        try await Self.confirm(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"), to: output, upstream: upstream)
        return (target, upstream)
    }

    /// A SOCKS5 `CONNECT` (RFC 1928), with a user name and password when asking for them
    /// (RFC 1929): the greeting, the request (an
    /// IPv4 or IPv6 address or a name), the target connected and success answered; refused
    /// with "not allowed by ruleset" when refusing.
    private func openSOCKS5(_ output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                            _ incoming: HandshakeReader) async throws -> (String, NIOAsyncChannel<ByteBuffer, ByteBuffer>)? {
        func byte(_ offset: Int) -> Int { incoming.byte(offset) }
        func need(_ count: Int) async throws -> Bool { try await incoming.need(count) }
        guard try await need(2), try await need(2 + byte(1)) else { return nil }
        let methods = (0..<byte(1)).map { byte(2 + $0) }
        incoming.head.moveReaderIndex(forwardBy: 2 + byte(1))
        // Without credentials, no authentication; with them, a user name and password.
        let method = credentials == nil ? 0 : 2
        guard methods.contains(method) else {
            if credentials != nil { state.withLock { $0.refusals += 1 } }
            try await output.write(ByteBuffer(bytes: [5, 0xFF]))
            return nil
        }
        try await output.write(ByteBuffer(bytes: [5, UInt8(method)]))
        if let credentials {
            // RFC 1929: version 1, the user name and the password, each after its length.
            guard try await need(2), try await need(2 + byte(1) + 1), try await need(2 + byte(1) + 1 + byte(2 + byte(1))) else { return nil }
            let userLength = byte(1), passwordLength = byte(2 + userLength)
            let user = incoming.head.getString(at: incoming.head.readerIndex + 2, length: userLength)
            let password = incoming.head.getString(at: incoming.head.readerIndex + 3 + userLength, length: passwordLength)
            incoming.head.moveReaderIndex(forwardBy: 3 + userLength + passwordLength)
            guard user == credentials.username, password == credentials.password else {
                state.withLock { $0.refusals += 1 }
                try await output.write(ByteBuffer(bytes: [1, 1]))
                return nil
            }
            try await output.write(ByteBuffer(bytes: [1, 0]))
        }
        guard try await need(5), byte(1) == 1 else { return nil }
        let host: String
        let length: Int
        switch byte(3) {
        case 1:
            length = 4 + 4 + 2
            guard try await need(length) else { return nil }
            host = (0..<4).map { "\(byte(4 + $0))" }.joined(separator: ".")
        case 3:
            length = 5 + byte(4) + 2
            guard try await need(length) else { return nil }
            host = incoming.head.getString(at: incoming.head.readerIndex + 5, length: byte(4)) ?? ""
        case 4:
            length = 4 + 16 + 2
            guard try await need(length) else { return nil }
            host = AddressRange.format((0..<16).map { UInt8(byte(4 + $0)) })
        default:
            return nil
        }
        let port = byte(length - 2) << 8 | byte(length - 1)
        incoming.head.moveReaderIndex(forwardBy: length)
        let target = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        let failure: (UInt8) -> ByteBuffer = { ByteBuffer(bytes: [5, $0, 0, 1, 0, 0, 0, 0, 0, 0]) }
        guard !refusing else {
            state.withLock { $0.refusals += 1 }
            try await output.write(failure(2))
            return nil
        }
        guard let upstream = await Self.connect(host: host, port: port) else {
            try await output.write(failure(5))
            return nil
        }
        try await Self.confirm(failure(0), to: output, upstream: upstream)
        return (target, upstream)
    }

    /// Tells the client its tunnel is open. When the client went away meanwhile, the
    /// connection just made to the target is closed through itself (an async channel
    /// dropped unclosed stops the process).
    private static func confirm(_ answer: ByteBuffer, to output: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                                upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        do {
            try await output.write(answer)
        } catch {
            try? await upstream.executeThenClose { _, _ in }
            throw error
        }
    }

    private static func connect(host: String, port: Int) async -> NIOAsyncChannel<ByteBuffer, ByteBuffer>? {
        try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
    }
}
