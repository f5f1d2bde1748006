import BatonCore
import Foundation
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SOCKS5 with a user name and password (RFC 1929) for connections whose own SOCKS5 knows
/// none: AsyncHTTPClient's (the API's requests) offers no authentication.
///
/// A bridge listens on this machine's loopback as an HTTP proxy. Baton's connections to a
/// Mattermost behind such a SOCKS5 proxy, the API's and the event stream's, ask the bridge
/// for their tunnels with `CONNECT`; the bridge opens each through the SOCKS5 proxy,
/// signing in with the user and password, and then passes the bytes both ways. TLS to
/// Mattermost still runs end to end inside the tunnel. The bridge takes only Baton's own
/// requests: each must carry a token made at random when the bridge starts, which other
/// programs on the machine do not know, so it lends nobody the proxy's password.
///
/// One bridge per such proxy, started at first use and kept for the life of the process
/// (as the HTTP clients are, `MattermostProxies`).
final class SOCKSBridge: Sendable {
    /// The SOCKS5 proxy, with its user and password.
    let proxy: MattermostProxy
    /// Where Baton's connections go instead: the bridge, an HTTP proxy on loopback, with its token.
    let entrance: MattermostProxy
    /// Why the latest tunnel to each target (`host:port`) failed, until one opens.
    private let failures = Mutex<[String: String]>([:])
    /// How long the proxy has to connect and open a tunnel (the clients give the bridge 5 s).
    static let deadline = TimeAmount.seconds(4)

    private static let bridges = Mutex<[MattermostProxy: SOCKSBridge]>([:])

    /// The bridge to `proxy`, started now if it was not yet.
    static func to(_ proxy: MattermostProxy) -> SOCKSBridge {
        bridges.withLock { bridges in
            if let bridge = bridges[proxy] { return bridge }
            let bridge = SOCKSBridge(proxy: proxy)
            bridges[proxy] = bridge
            return bridge
        }
    }

    /// The bridge already started for `proxy`, if any.
    static func existing(for proxy: MattermostProxy) -> SOCKSBridge? {
        bridges.withLock { $0[proxy] }
    }

    private init(proxy: MattermostProxy) {
        self.proxy = proxy
        var bytes = [UInt8](repeating: 0, count: 24)
        for index in bytes.indices { bytes[index] = .random(in: .min ... .max) }
        let token = Data(bytes).base64EncodedString()
        // The port is needed at once (the HTTP client is made with it), so the socket is
        // bound and listening before NIO takes it over; connections made meanwhile wait in
        // its backlog.
        let port: Int
        do {
            let socket = try Self.listeningSocket()
            port = socket.port
            entrance = MattermostProxy(.http, host: "127.0.0.1", port: port, username: "baton", password: token)
            let future = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { [self] child in
                    child.eventLoop.makeCompletedFuture {
                        let client = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                        Task(executorPreference: EventLoopExecutor(child.eventLoop)) { await self.serve(client) }
                    }
                }
                .withBoundSocket(socket.descriptor)
            future.whenFailure { [self] error in
                noteForEveryTarget("Baton could not open its bridge to the proxy on this machine's loopback (\(error))")
            }
        } catch {
            // Every tunnel fails (nothing listens on port 1 of loopback), saying why.
            entrance = MattermostProxy(.http, host: "127.0.0.1", port: 1, username: "baton", password: token)
            failures.withLock { $0["*"] = "Baton could not open its bridge to the proxy on this machine's loopback (\(error))" }
        }
    }

    private func noteForEveryTarget(_ reason: String) {
        failures.withLock { $0["*"] = reason }
    }

    /// Why the latest tunnel to `host` on `port` failed (nil when it opened, or none was asked for).
    func failure(host: String, port: Int) -> String? {
        failures.withLock { $0["*"] ?? $0[Self.key(host, port)] }
    }

    private static func key(_ host: String, _ port: Int) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return "\(host):\(port)"
    }

    /// A TCP socket bound to a free port of 127.0.0.1 and listening.
    private static func listeningSocket() throws -> (descriptor: CInt, port: Int) {
        struct SocketError: Error, CustomStringConvertible {
            let call: String
            let code: CInt
            var description: String { "\(call): \(String(cString: strerror(code)))" }
        }
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
        #endif
        guard descriptor >= 0 else { throw SocketError(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 128) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(descriptor)
            throw SocketError(call: "bind", code: code)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    // MARK: Serving

    private func serve(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await client.executeThenClose { input, output in
            let incoming = HandshakeReader(input)
            // A connection that does not ask in time is closed (Baton's clients ask at once).
            let asking = client.channel.eventLoop.scheduleTask(in: .seconds(10)) { client.channel.close(promise: nil) }
            let asked = try await readCONNECT(incoming, output)
            asking.cancel()
            guard let (host, port) = asked else { return }
            let key = Self.key(host, port)
            let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(Self.deadline)
                let wrap: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
                // An address needs no lookup (NIO's resolver waits for a thread of its own).
                if let address = try? SocketAddress(ipAddress: proxy.host, port: proxy.port) {
                    upstream = try await bootstrap.connect(to: address, channelInitializer: wrap)
                } else {
                    upstream = try await bootstrap.connect(host: proxy.host, port: proxy.port, channelInitializer: wrap)
                }
            } catch {
                try await refuse(output, key: key, Self.connectFailure(error), authentication: false)
                return
            }
            try await upstream.executeThenClose { fromProxy, toProxy in
                // The proxy has until the deadline to open the tunnel; then the connection
                // to it is closed, which ends the handshake's reads.
                let late = Atomic<Bool>(false)
                let timer = upstream.channel.eventLoop.scheduleTask(in: Self.deadline) {
                    late.store(true, ordering: .relaxed)
                    upstream.channel.close(promise: nil)
                }
                let reply = HandshakeReader(fromProxy)
                let outcome = await SOCKS5Handshake(proxy: proxy, host: host, port: port).run(reply, toProxy)
                timer.cancel()
                if case .failed(let reason, let authentication) = outcome {
                    let said = late.load(ordering: .relaxed) ? "it did not answer the request to connect in time" : reason
                    try await refuse(output, key: key, said, authentication: authentication)
                    return
                }
                failures.withLock { $0[key] = nil }
                try await output.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"))
                try await ProxyTunnel.pass(client: client.channel, fromClient: incoming, toClient: output,
                                           server: upstream.channel, fromServer: reply, toServer: toProxy)
            }
        }
    }

    /// The `CONNECT` request's target, when it carries the bridge's token; else the answer.
    private func readCONNECT(_ incoming: HandshakeReader, _ output: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> (String, Int)? {
        guard let lines = try await incoming.headLines() else { return nil }
        let request = lines[0].split(separator: " ")
        guard request.count == 3, request[0] == "CONNECT", let (host, port) = ProxyTunnel.split(String(request[1])) else {
            try await output.write(ByteBuffer(string: "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            return nil
        }
        guard Self.same(ProxyTunnel.proxyAuthorization(in: lines) ?? "", entrance.authorization ?? "") else {
            try await output.write(ByteBuffer(string: "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"baton\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            return nil
        }
        return (host, port)
    }

    /// Whether two texts are the same, in a time that does not tell how much of them is.
    private static func same(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in b.indices { difference |= b[index] ^ (index < a.count ? a[index] : 0) }
        return difference == 0
    }

    /// Answers a tunnel that could not be opened: 407 when the proxy refused the user and
    /// password, else 502; why is kept for the error the client reports.
    private func refuse(_ output: NIOAsyncChannelOutboundWriter<ByteBuffer>, key: String, _ reason: String, authentication: Bool) async throws {
        failures.withLock { $0[key] = reason }
        let status = authentication ? "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"baton\"" : "502 Bad Gateway"
        try await output.write(ByteBuffer(string: "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
    }

    private static func connectFailure(_ error: any Error) -> String {
        let lowered = String(reflecting: error).lowercased()
        if let channel = error as? ChannelError, case .connectTimeout = channel { return "connecting to it timed out" }
        if lowered.contains("refused") { return "connection refused" }
        if lowered.contains("dns") || lowered.contains("resolve") || lowered.contains("lookup") { return "its host name does not resolve" }
        return "connecting to it failed (\(error))"
    }
}

/// The client's side of SOCKS5 (RFC 1928) with a user name and password (RFC 1929): the
/// greeting, signing in, and the request to connect to a host by name or address.
struct SOCKS5Handshake {
    enum Outcome: Equatable {
        case open
        case failed(reason: String, authentication: Bool)
    }

    let proxy: MattermostProxy
    let host: String
    let port: Int

    private var target: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    func run(_ reply: HandshakeReader, _ toProxy: NIOAsyncChannelOutboundWriter<ByteBuffer>) async -> Outcome {
        let closed = Outcome.failed(reason: "it closed the connection instead of answering the request to connect", authentication: false)
        do {
            // No authentication, or a user name and password.
            try await toProxy.write(ByteBuffer(bytes: [5, 2, 0, 2]))
            guard try await reply.need(2) else { return closed }
            guard reply.byte(0) == 5 else { return .failed(reason: "it does not speak SOCKS5", authentication: false) }
            let method = reply.byte(1)
            reply.head.moveReaderIndex(forwardBy: 2)
            switch method {
            case 0:
                break
            case 2:
                let user = Array((proxy.username ?? "").utf8), password = Array((proxy.password ?? "").utf8)
                try await toProxy.write(ByteBuffer(bytes: [1, UInt8(user.count)] + user + [UInt8(password.count)] + password))
                guard try await reply.need(2) else { return closed }
                let status = reply.byte(1)
                reply.head.moveReaderIndex(forwardBy: 2)
                guard status == 0 else { return .failed(reason: "it refused the user name and password", authentication: true) }
            default:
                return .failed(reason: "it asks for a way of signing in Baton does not have (SOCKS5 method \(method)); "
                               + "Baton signs in with a user name and password", authentication: false)
            }
            var request: [UInt8] = [5, 1, 0]
            if let address = AddressRange.bytes(of: host) {
                request += [address.count == 4 ? 1 : 4] + address
            } else {
                let name = Array(host.utf8.prefix(255))
                request += [3, UInt8(name.count)] + name
            }
            request += [UInt8(port >> 8), UInt8(port & 0xFF)]
            try await toProxy.write(ByteBuffer(bytes: request))
            guard try await reply.need(5) else { return closed }
            guard reply.byte(1) == 0 else { return .failed(reason: refusal(reply.byte(1)), authentication: false) }
            // The address the proxy bound for the tunnel, then the tunnel's bytes.
            let length: Int
            switch reply.byte(3) {
            case 1: length = 4 + 4 + 2
            case 3: length = 5 + reply.byte(4) + 2
            case 4: length = 4 + 16 + 2
            default: return .failed(reason: "it answered the request to connect with something that is not SOCKS5", authentication: false)
            }
            guard try await reply.need(length) else { return closed }
            reply.head.moveReaderIndex(forwardBy: length)
            return .open
        } catch {
            return closed
        }
    }

    /// A SOCKS5 reply's code in words.
    private func refusal(_ code: Int) -> String {
        let opening = "it would not open a connection to \(target): "
        switch code {
        case 2: return opening + "its rules forbid it (SOCKS5 reply 2); the proxy's own log says which"
        case 3: return opening + "it cannot reach that network (SOCKS5 reply 3)"
        case 4: return opening + "it cannot reach that host (SOCKS5 reply 4)"
        case 5: return opening + "the host refused the connection (SOCKS5 reply 5)"
        case 6: return opening + "connecting timed out (SOCKS5 reply 6)"
        case 7, 8: return opening + "it does not take Baton's request (SOCKS5 reply \(code))"
        default: return opening + "it failed (SOCKS5 reply \(code)); the proxy's own log says why"
        }
    }
}
