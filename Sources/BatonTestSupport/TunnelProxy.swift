import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// An HTTP forward proxy on loopback that opens tunnels with `CONNECT`, as squid or
/// tinyproxy do for a client behind a company's egress proxy: it answers `200 Connection
/// established` and passes bytes both ways. It can ask for a user and password (407), or
/// refuse every tunnel (403), and it records what went through it.
public final class TunnelProxy: Sendable {
    /// A tunnel the proxy opened: its target (`127.0.0.1:8065`) and the start of what the
    /// client sent through it (readable for plain HTTP, not for TLS).
    public struct Tunnel: Sendable, Equatable {
        public let target: String
        /// The client's bytes, the first 256 KiB, as text (invalid UTF-8 replaced).
        public fileprivate(set) var sent = ""

        /// The request lines sent through the tunnel (`GET /api/v4/websocket HTTP/1.1`).
        public var requestLines: [String] {
            sent.components(separatedBy: "\r\n").filter { line in
                let parts = line.split(separator: " ")
                return parts.count == 3 && parts[1].hasPrefix("/") && parts[2].hasPrefix("HTTP/1.") && parts[0].allSatisfy(\.isUppercase)
            }
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

    /// The tunnels opened so far.
    public var tunnels: [Tunnel] { state.withLock { $0.tunnels } }

    /// Requests refused so far (407 or 403).
    public var refusals: Int { state.withLock { $0.refusals } }

    /// Starts on a free loopback port. `credentials`: ask for them (Basic); `refusing`:
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
                            group.addTask { await proxy.serve(client) }
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
            var reader = input.makeAsyncIterator()
            var head = ByteBuffer()
            var end: Int?
            while end == nil {
                guard var chunk = try await reader.next() else { return }
                head.writeBuffer(&chunk)
                end = head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)).map { $0.upperBound - head.readerIndex }
                if head.readableBytes > 16_384 { return }
            }
            let headText = head.readString(length: end!) ?? ""
            let lines = headText.components(separatedBy: "\r\n")
            let request = lines[0].split(separator: " ")
            guard request.count == 3, request[0] == "CONNECT" else {
                try await output.write(ByteBuffer(string: "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                return
            }
            let target = String(request[1])
            if let credentials {
                let expected = "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
                let given = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
                    .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
                guard given == expected else {
                    state.withLock { $0.refusals += 1 }
                    try await output.write(ByteBuffer(string: "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                    return
                }
            }
            guard !refusing, let (host, port) = Self.split(target) else {
                state.withLock { $0.refusals += 1 }
                try await output.write(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                return
            }
            let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(5))
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                    }
            } catch {
                try await output.write(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
                return
            }
            try await output.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"))
            let index = state.withLock { state in
                state.tunnels.append(Tunnel(target: target))
                return state.tunnels.count - 1
            }
            func record(_ chunk: ByteBuffer) {
                state.withLock { state in
                    guard state.tunnels[index].sent.utf8.count < 256 * 1024 else { return }
                    state.tunnels[index].sent += String(decoding: chunk.readableBytesView, as: UTF8.self)
                }
            }
            let clientChannel = client.channel
            try? await upstream.executeThenClose { fromServer, toServer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // The server's side, until it closes; then the client's ends too.
                        do {
                            for try await chunk in fromServer { try await output.write(chunk) }
                        } catch {}
                        clientChannel.close(promise: nil)
                    }
                    if head.readableBytes > 0 {
                        record(head)
                        try await toServer.write(head)
                    }
                    do {
                        while let chunk = try await reader.next() {
                            record(chunk)
                            try await toServer.write(chunk)
                        }
                    } catch {}
                    upstream.channel.close(promise: nil)
                    try await group.waitForAll()
                }
            }
        }
    }

    /// `host:port` or `[v6]:port`.
    private static func split(_ target: String) -> (String, Int)? {
        guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]) else { return nil }
        var host = String(target[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
