import Foundation
import Logging
import NIOCore
import NIOHTTP1
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
/// for the REST API. And no `Origin` header (below).
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
    let maxFrameSize: Int
    let autoPing: AutoPingSetup
    let handler: WebSocketDataHandler<Context>

    /// `ws://` or `wss://` URLs only; TLS settings for `wss://`.
    init(url: String, tlsConfiguration: TLSConfiguration, maxFrameSize: Int, autoPing: AutoPingSetup,
         handler: @escaping WebSocketDataHandler<Context>) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "ws" || scheme == "wss",
              let host = parts.host, !host.isEmpty else { throw WebSocketClientError.invalidURL }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = parts.port ?? (scheme == "wss" ? 443 : 80)
        target = (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath) + (parts.percentEncodedQuery.map { "?\($0)" } ?? "")
        tls = scheme == "wss" ? try NIOSSLContext(configuration: tlsConfiguration) : nil
        self.maxFrameSize = maxFrameSize
        self.autoPing = autoPing
        self.handler = handler
    }

    /// Connects, upgrades and runs `handler` until the socket closes.
    func run(logger: Logger) async throws {
        _ = try await ClientConnection(self, address: .hostname(host, port: port), logger: logger).run()
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            if let tls {
                let name = Self.isAddress(host) ? nil : host
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name), position: .first)
            }
            let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                }
            }
            let defaultPort = tls == nil ? 80 : 443
            let authority = (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort ? "" : ":\(port)")
            // No Origin: Mattermost (gorilla/websocket) refuses an upgrade whose Origin is not
            // its own host and port unless cross-origin requests are allowed, and WSClient's
            // leaves out the port; a client that is no browser has no origin to give.
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: authority)
            let upgrade = NIOTypedHTTPClientUpgradeConfiguration(
                upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers),
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { Upgrade.notUpgraded } })
            var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade)
            configuration.leftOverBytesStrategy = .forwardBytes
            return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
        }
    }

    func handle(value: Value, logger: Logger) async throws -> WebSocketCloseFrame? {
        switch try await value.get() {
        case .websocket(let channel):
            return try await WebSocketHandler.handle(
                type: .client,
                configuration: .init(extensions: [], autoPing: autoPing, validateUTF8: false, maxFrameSize: maxFrameSize),
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
