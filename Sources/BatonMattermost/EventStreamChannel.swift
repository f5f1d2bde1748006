import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import NIOHTTP1
import NIOSOCKS
import NIOSSL
import NIOWebSocket
import WSClient
@_spi(WSInternal) import WSCore

/// The connection of Mattermost's event stream: WSClient's WebSocket client, set up as its
/// own client channel does, except in two ways. TLS to a server named by its IP address
/// (`wss://10.0.0.5`, as a Mattermost on a private network with a private authority's
/// certificate often is): TLS forbids an address in the server name indication, which
/// WSClient always sends, so such a server could never be reached; here no name is sent
/// and the certificate is checked against the address instead, as AsyncHTTPClient does
/// for the REST API. And no `Origin` header (below). Through an HTTP proxy
/// (`MattermostProxy`) it first asks the proxy with `CONNECT` for a tunnel to the server, as
/// AsyncHTTPClient does for the API, and speaks TLS and WebSocket inside it.
struct EventStreamChannel: ClientConnectionChannel {
    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case notUpgraded
    }

    typealias Value = EventLoopFuture<Upgrade>

    struct Context: WebSocketContext {
        let logger: Logger
    }

    let host: String
    let port: Int
    /// The path and query of the request that upgrades.
    let target: String
    let tls: NIOSSLContext?
    let proxy: MattermostProxy?
    let maxFrameSize: Int
    let autoPing: AutoPingSetup
    let handler: WebSocketDataHandler<Context>

    /// `ws://` or `wss://` URLs only; TLS settings for `wss://`.
    init(url: String, tlsConfiguration: TLSConfiguration, proxy: MattermostProxy? = nil, maxFrameSize: Int, autoPing: AutoPingSetup,
         handler: @escaping WebSocketDataHandler<Context>) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "ws" || scheme == "wss",
              let host = parts.host, !host.isEmpty else { throw WebSocketClientError.invalidURL }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = parts.port ?? (scheme == "wss" ? 443 : 80)
        target = (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath) + (parts.percentEncodedQuery.map { "?\($0)" } ?? "")
        tls = scheme == "wss" ? try NIOSSLContext(configuration: tlsConfiguration) : nil
        self.proxy = proxy
        self.maxFrameSize = maxFrameSize
        self.autoPing = autoPing
        self.handler = handler
    }

    /// Connects, upgrades and runs `handler` until the socket closes; the connection on
    /// `eventLoop` when given (the link's, `MattermostClient.eventLoop`).
    func run(on eventLoop: (any EventLoop)? = nil, logger: Logger) async throws {
        let address: ClientConnection<Self>.Address = proxy.map { .hostname($0.host, port: $0.port) } ?? .hostname(host, port: port)
        _ = try await ClientConnection(self, address: address, eventLoopGroup: eventLoop ?? MultiThreadedEventLoopGroup.singleton,
                                       logger: logger).run()
    }

    /// The server's `host:port` as a request names it (an IPv6 address in brackets), with
    /// the port left out when it is the scheme's.
    private func authority(portAlways: Bool) -> String {
        let defaultPort = tls == nil ? 80 : 443
        return (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort && !portAlways ? "" : ":\(port)")
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let proxy else {
            return channel.eventLoop.makeCompletedFuture { try upgrade(channel: channel) }
        }
        // The tunnel first (HTTP CONNECT or SOCKS5), then TLS and the upgrade inside it. The
        // proxy has 5 s to open it, as the API's connections have to connect.
        let tunnel = channel.eventLoop.makePromise(of: Void.self)
        let upgraded = channel.eventLoop.makePromise(of: Upgrade.self)
        // What goes between the connection and TLS until the tunnel is open: made on the
        // channel's event loop (handlers are not Sendable), taken out again by name.
        let leftovers = proxy.kind == .http ? ["ProxyRequestEncoder", "ProxyResponseDecoder"] : ["ProxySOCKS", "ProxySOCKSWaiter"]
        let addHandshake: @Sendable () throws -> Void = { [host, port] in
            let pipeline = channel.pipeline.syncOperations
            switch proxy.kind {
            case .http:
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: authority(portAlways: true))
                if let authorization = proxy.authorization { headers.add(name: "Proxy-Authorization", value: authorization) }
                try pipeline.addHandler(HTTPRequestEncoder(), name: "ProxyRequestEncoder")
                try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)), name: "ProxyResponseDecoder")
                // Takes itself out once the proxy said 2xx.
                try pipeline.addHandler(NIOHTTP1ProxyConnectHandler(targetHost: host.contains(":") ? "[\(host)]" : host, targetPort: port,
                                                                    headers: headers, deadline: .now() + .seconds(5), promise: tunnel))
            case .socks5:
                let target: SOCKSAddress = (try? SocketAddress(ipAddress: host, port: port)).map { .address($0) } ?? .domain(host, port: port)
                try pipeline.addHandler(SOCKSClientHandler(targetAddress: target), name: "ProxySOCKS")
                try pipeline.addHandler(SOCKSWaiter(promise: tunnel, deadline: .now() + .seconds(5)), name: "ProxySOCKSWaiter")
            }
        }
        tunnel.futureResult.whenComplete { result in
            switch result {
            case .failure(let error):
                upgraded.fail(error)
            case .success:
                EventLoopFuture.andAllSucceed(leftovers.map { channel.pipeline.removeHandler(name: $0) }, on: channel.eventLoop)
                    .flatMapThrowing { try upgrade(channel: channel) }
                    .whenComplete { result in
                        switch result {
                        case .success(let value): upgraded.completeWith(value)
                        case .failure(let error): upgraded.fail(error)
                        }
                    }
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            try addHandshake()
            return upgraded.futureResult
        }
    }

    /// TLS when `wss://`, and the WebSocket upgrade, on a connection to the server (or a
    /// tunnel to it).
    private func upgrade(channel: any Channel) throws -> Value {
        if let tls {
            let name = Self.isAddress(host) ? nil : host
            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name), position: .first)
        }
        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
            }
        }
        // No Origin: Mattermost (gorilla/websocket) refuses an upgrade whose Origin is not
        // its own host and port unless cross-origin requests are allowed, and WSClient's
        // leaves out the port; a client that is no browser has no origin to give.
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: authority(portAlways: false))
        let upgrade = NIOTypedHTTPClientUpgradeConfiguration(
            upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers),
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { Upgrade.notUpgraded } })
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade)
        configuration.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
    }

    func handle(value: Value, logger: Logger) async throws -> WebSocketCloseFrame? {
        switch try await value.get() {
        case .websocket(let channel):
            return try await WebSocketHandler.handle(
                type: .client,
                // A stream Baton ends (stopping, or the link reloaded) waits for
                // Mattermost's answer to its close no longer than a second.
                configuration: .init(extensions: [], autoPing: autoPing, closeTimeout: .seconds(1), validateUTF8: false,
                                     maxFrameSize: maxFrameSize),
                asyncChannel: channel, context: Context(logger: logger), handler: handler)
        case .notUpgraded:
            throw WebSocketClientError.webSocketUpgradeFailed
        }
    }

    /// Whether `host` is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

/// Waits for a SOCKS5 proxy to say the tunnel is open (`SOCKSProxyEstablishedEvent`), or
/// fails: the proxy refused, closed the connection, or did not answer by `deadline`.
private final class SOCKSWaiter: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<Void>
    private let deadline: NIODeadline

    init(promise: EventLoopPromise<Void>, deadline: NIODeadline) {
        self.promise = promise
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = self.promise
        let timeout = context.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(HTTPClientError.socksHandshakeTimeout)
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is SOCKSProxyEstablishedEvent { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(SOCKSError.UnexpectedRead())
        context.fireChannelInactive()
    }
}
