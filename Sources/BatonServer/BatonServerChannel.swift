import BatonCore
import BatonMattermost
import ConnectionGuard
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// Baton's connections: HTTP/1.1 for pages and the APIs, and on the widget's path an
/// upgrade to WebSocket, where `WidgetChannelHandler` takes the connection: at the first
/// request by NIO's upgrade handler, at a later one (behind a proxy that keeps connections
/// open) by `LateWebSocketUpgradeHandler`. (A
/// `ConnectionGuard` goes in front, for connections that never send a request and for
/// the shutdown.)
///
/// Hummingbird's own WebSocket channel hands every socket to an async handler with
/// tasks of its own (reading, pinging); a widget socket here is a channel handler, and one
/// task only while the request loop runs. That is most of what an idle widget costs.
struct BatonServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Upgrade: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A WebSocket upgrade that was refused (another path, or a bad request).
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case widget(WidgetConnection, WidgetRequest)
    }

    struct Value: ServerChildChannelValue {
        let upgrade: EventLoopFuture<Upgrade>
        /// A widget's upgrade on a later request of an HTTP connection (nil when none came).
        let lateUpgrade: EventLoopFuture<LateWebSocketUpgradeHandler.Upgraded?>
        let channel: any Channel
    }

    /// Runs a widget connection's request loop until the connection ends.
    typealias WidgetLoop = @Sendable (WidgetConnection, WidgetRequest, Logger) async -> Void

    let responder: HTTPChannelHandler.Responder
    let socketPath: String
    let settings: WidgetChannelHandler.Settings
    /// An HTTP connection idle this long, between requests or within one, is closed.
    let idleTimeout: Duration
    /// Whose `X-Forwarded-For` names a widget's client.
    let proxies: TrustedProxies
    let widgetLoop: WidgetLoop

    init(responder: @escaping HTTPChannelHandler.Responder, socketPath: String, settings: WidgetChannelHandler.Settings,
         idleTimeout: Duration, proxies: TrustedProxies, widgetLoop: @escaping WidgetLoop) {
        self.responder = responder
        self.socketPath = socketPath
        self.settings = settings
        self.idleTimeout = idleTimeout
        self.proxies = proxies
        self.widgetLoop = widgetLoop
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let socketPath = socketPath, settings = settings, idleTimeout = idleTimeout, proxies = proxies
            let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                maxFrameSize: settings.maxMessageBytes,
                // The widget's handler answers the decoder's errors (a frame too large gets
                // its `too_large` error frame before the close).
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    attempted.value = true
                    let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
                    return channel.eventLoop.makeSucceededFuture(path == socketPath ? HTTPHeaders() : nil)
                },
                upgradePipelineHandler: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        // The widget's handler pings, and closes on a shutdown, by itself:
                        // an idle socket need not carry the guard as well.
                        ConnectionGuard.standDown(on: channel)
                        try FirstRequestRefusal.remove(from: channel)
                        let connection = try WidgetConnection.install(on: channel, settings: settings)
                        return .widget(connection, WidgetRequest(head, peer: channel.remoteAddress, proxies: proxies))
                    }
                }
            )
            let lateUpgrade = channel.eventLoop.makePromise(of: LateWebSocketUpgradeHandler.Upgraded?.self)
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(upgraders: [upgrader]) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try FirstRequestRefusal.remove(from: channel)
                    if attempted.value {
                        lateUpgrade.succeed(nil)  // refused: the connection ends with the answer
                    } else {
                        try pipeline.addHandler(LateWebSocketUpgradeHandler(upgrader: upgrader, settings: settings, proxies: proxies, upgraded: lateUpgrade))
                    }
                    try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                    try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                    let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    return attempted.value ? .refused(http) : .http(http)
                }
            }
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Upgrade>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false  // requests are answered in order by the async channel
            configuration.enableErrorHandling = false  // Hummingbird answers parse errors
            configuration.enableResponseHeaderValidation = false  // HTTPTypes validated them already
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<Upgrade>.self)
            try channel.pipeline.syncOperations.addHandler(FirstRequestUpgradeScreen(), position: .before(upgradeHandler))
            try channel.pipeline.syncOperations.addHandler(FirstRequestRefusal())
            // Upgraded at the first request: no later one.
            result.whenSuccess { if case .widget = $0 { lateUpgrade.succeed(nil) } }
            result.whenFailure { _ in lateUpgrade.succeed(nil) }
            return Value(upgrade: result, lateUpgrade: lateUpgrade.futureResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgrade.get() {
            case .http(let http):
                // The HTTP requests, and the widget's loop if one of them is its upgrade.
                await withDiscardingTaskGroup { group in
                    group.addTask { await handleHTTP(asyncChannel: http, logger: logger) }
                    group.addTask {
                        guard let late = try? await value.lateUpgrade.get() else { return }
                        await runWidget(late.connection, late.request, logger)
                    }
                }
            case .refused(let http):
                await refuse(http)
            case .widget(let connection, let request):
                await runWidget(connection, request, logger)
            }
        } catch {
            logger.debug("Connection setup failed", metadata: ["error": "\(error)"])
        }
    }

    /// A widget's request loop, on its socket's event loop (see EventLoopExecutor).
    private func runWidget(_ connection: WidgetConnection, _ request: WidgetRequest, _ logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(connection.eventLoop)) {
            await widgetLoop(connection, request, logger)
        }
    }

    /// Answers a refused WebSocket upgrade with 400 and closes.
    private func refuse(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) async {
        try? await http.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [
                .head(HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])),
                .end(nil),
            ])
        }
    }
}

/// Answers a first request NIO's parser refused (a garbage request line, a negative
/// Content-Length, both Content-Length and Transfer-Encoding) with 400 and closes: until
/// the upgrade handler has decided, nothing else would, and the connection stayed open
/// with nothing to time it out. Taken off once the upgrade handler decided (Hummingbird
/// answers later requests' parse errors itself).
private final class FirstRequestRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static func remove(from channel: any Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        if let handler = try? pipeline.handler(type: FirstRequestRefusal.self) { pipeline.removeHandler(handler, promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // The input ended halfway through a head (the client gave up, or the guard's
        // deadline passed): nobody to answer.
        guard error != .invalidEOFState else { return context.close(promise: nil) }
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["Connection": "close", "Content-Length": "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// Looks at a connection's first request before NIO's upgrade handler does: that handler
/// loses the request (it answers nothing, and the connection hangs until it is closed)
/// when the request asks for an upgrade it does not make. `curl --http2` and Java's
/// HTTP client ask for `Upgrade: h2c` on their first request, as uptime monitors using
/// them do, and a broken WebSocket handshake got no answer either. So:
/// - an upgrade to anything but WebSocket is ignored (the `Upgrade` field is taken off,
///   as a server may do), and the request is answered as any other, closing the
///   connection (`ignoringUpgrade`);
/// - a WebSocket handshake without one `Sec-WebSocket-Key` is answered `400`, one
///   without `Sec-WebSocket-Version: 13` `426` naming the version, both closing the
///   connection.
/// It takes itself away after the first request's head.
final class FirstRequestUpgradeScreen: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// A refused request's remaining parts are dropped until the connection closes.
    private var refusing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let protocols = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        if !protocols.isEmpty && !protocols.contains("websocket") {
            context.fireChannelRead(wrapInboundOut(.head(Self.ignoringUpgrade(head))))
        } else if protocols.contains("websocket"), let (status, extra, message) = Self.handshakeProblem(head) {
            refusing = true
            refuse(context, status: status, extra: extra, message: message)
            return
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The request without its upgrade, to be answered as HTTP/1.1. NIO's HTTP decoder
    /// reads nothing more of a connection after a request that asked for an upgrade (the
    /// bytes after it would be the new protocol's), so the answer closes the connection.
    static func ignoringUpgrade(_ head: HTTPRequestHead) -> HTTPRequestHead {
        var head = head
        head.headers.remove(name: "upgrade")
        head.headers.replaceOrAdd(name: "connection", value: "close")
        return head
    }

    /// What is wrong with a WebSocket handshake, as NIO's upgrader checks it (one key, one
    /// version, 13), with the answer for it; nil when nothing is.
    static func handshakeProblem(_ head: HTTPRequestHead) -> (HTTPResponseStatus, HTTPHeaders, String)? {
        let keys = head.headers["sec-websocket-key"]
        guard keys.count == 1, let key = keys.first, !key.isEmpty, !key.contains(",") else {
            return (.badRequest, [:], "A WebSocket handshake needs one Sec-WebSocket-Key.")
        }
        guard head.headers["sec-websocket-version"] == ["13"] else {
            return (.upgradeRequired, ["Sec-WebSocket-Version": "13"], "This server speaks WebSocket version 13 (RFC 6455) only.")
        }
        return nil
    }

    private func refuse(_ context: ChannelHandlerContext, status: HTTPResponseStatus, extra: HTTPHeaders, message: String) {
        var body = JSONWriter(capacity: 128)
        body.object { w in
            w.key("error")
            w.object { w in
                w.field("code", "bad_handshake")
                w.field("message", message)
            }
        }
        let bytes = ByteBuffer(bytes: body.bytes)
        var headers = extra
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(bytes.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// Where a widget's upgrade request comes from.
struct WidgetRequest: Sendable {
    /// The page's origin (from its one `Origin` field) and the `Host` it asked for.
    let origin: String?
    let host: String?
    /// The client's address: the TCP peer's, or behind a trusted proxy the forwarded one;
    /// nil when it cannot be told: a connection from a loopback or private address when no
    /// proxy is trusted (most likely a proxy whose clients all look alike), or from a
    /// trusted proxy that forwarded no address. Per-client limits apply only to a known one.
    let client: String?
    /// The dashboard's session cookie, sent by a page of Baton's own (the live preview):
    /// a signed-in admin trying the widget. Nil for any other page.
    let adminCookie: String?

    init(_ head: HTTPRequestHead, peer: SocketAddress?, proxies: TrustedProxies) {
        origin = OriginPolicy.single(head.headers["origin"])
        host = head.headers["host"].first
        if let origin, OriginPolicy.isBatonsOwn(origin, host: host) {
            adminCookie = Self.cookie(AdminAuth.cookieName, in: head.headers["cookie"])
        } else {
            adminCookie = nil
        }
        let address = proxies.client(peer: peer?.ipAddress, forwardedFor: head.headers["x-forwarded-for"])
        if let address, !(proxies.isEmpty ? TrustedProxies.local : proxies).trusts(address) {
            client = address
        } else {
            client = nil
        }
    }

    /// The value of the cookie `name` in a request's `Cookie` fields (`a=1; b=2`).
    static func cookie(_ name: String, in fields: [String]) -> String? {
        for field in fields {
            for pair in field.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }
}
