import ConnectionGuard
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOWebSocket
import HummingbirdCore

/// A widget's WebSocket asked for on an HTTP connection that has carried other requests.
///
/// NIO's upgrade handler looks at a connection's first request only. A reverse proxy that
/// keeps its connections to Baton open between requests (nginx's `keepalive`, HAProxy,
/// load balancers) sends a widget's upgrade on whichever connection is free, often one
/// that has served pages before; a browser does not follow a redirect for a WebSocket,
/// so the widget would only get through on a later attempt, after its backoff. This
/// handler, between the HTTP/1 decoder and Hummingbird's handlers of an HTTP connection,
/// takes such a request itself: it answers with the same upgrader the first request would
/// have had (`101` with the accept key, or `400` and a close for another path or a bad
/// handshake), puts the WebSocket codec and the widget's handler in front of Hummingbird's
/// (which then sees nothing more of the connection), takes HTTP's handlers away, and
/// hands the widget connection over through `upgraded`, for its request loop.
///
/// It answers at once: an upgrade pipelined behind a request still being answered would
/// have its 101 in the middle of that answer. Proxies and browsers do not pipeline (a
/// proxy sends the next request on a connection once the last answer is through).
final class LateWebSocketUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The widget connection, with where its request came from; nil when the connection
    /// ended without such an upgrade.
    struct Upgraded: Sendable {
        let connection: WidgetConnection
        let request: WidgetRequest
    }

    private let upgrader: NIOTypedWebSocketServerUpgrader<BatonServerChannel.Upgrade>
    private let settings: WidgetChannelHandler.Settings
    private let proxies: TrustedProxies
    private let upgraded: EventLoopPromise<Upgraded?>
    /// The upgrade request, from its head until its end.
    private var pending: HTTPRequestHead?
    private var handedOver = false

    init(upgrader: NIOTypedWebSocketServerUpgrader<BatonServerChannel.Upgrade>, settings: WidgetChannelHandler.Settings,
         proxies: TrustedProxies, upgraded: EventLoopPromise<Upgraded?>) {
        self.upgrader = upgrader
        self.settings = settings
        self.proxies = proxies
        self.upgraded = upgraded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head) where pending == nil && Self.asksForWebSocket(head):
            pending = head
        case .head(let head) where pending == nil && head.headers.contains(name: "upgrade"):
            // Another protocol (`h2c`): answered as HTTP/1.1, and the connection closed.
            context.fireChannelRead(wrapInboundOut(.head(FirstRequestUpgradeScreen.ignoringUpgrade(head))))
        case .body where pending != nil:
            break  // an upgrade request has no body to speak of
        case .end where pending != nil:
            let head = pending!
            upgrader.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: [:])
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success(let headers): self.upgrade(context, head, headers)
                    case .failure: self.refuse(context)
                    }
                }
        default:
            context.fireChannelRead(data)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handOver(nil)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed without an upgrade (the connection closing): nothing to hand over.
        handOver(nil)
    }

    private func handOver(_ value: Upgraded?) {
        guard !handedOver else { return }
        handedOver = true
        upgraded.succeed(value)
    }

    static func asksForWebSocket(_ head: HTTPRequestHead) -> Bool {
        head.headers["upgrade"].contains { $0.lowercased().contains("websocket") }
    }

    private func upgrade(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ headers: HTTPHeaders) {
        // The head alone, as NIO's upgrade handler writes it: a 101 has no body to end.
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))),
                              promise: nil)
        do {
            let pipeline = context.pipeline.syncOperations
            // The WebSocket's handlers, as the upgrader adds them for a first request, go
            // right after this one: in front of Hummingbird's.
            let encoder = WebSocketFrameEncoder()
            // The decoder's errors are answered by the widget's handler (`errorCaught`).
            let decoder = ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: settings.maxMessageBytes))
            try pipeline.addHandler(encoder, position: .after(self))
            try pipeline.addHandler(decoder, position: .after(encoder))
            ConnectionGuard.standDown(on: context.channel)
            let connection = try WidgetConnection.install(on: context.channel, settings: settings, position: .after(decoder))
            // HTTP's handlers go: the idle timeout's first, the decoder last, so that bytes
            // the client sent after its request go to the WebSocket's decoder.
            if let state = try? pipeline.handler(type: HTTPConnectionStateHandler.self) { pipeline.removeHandler(state, promise: nil) }
            if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) { pipeline.removeHandler(codec, promise: nil) }
            let httpEncoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            let httpDecoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            handOver(Upgraded(connection: connection, request: WidgetRequest(head, peer: context.channel.remoteAddress, proxies: proxies)))
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(httpEncoder, promise: nil)
            pipeline.removeHandler(httpDecoder, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    /// Another path, or not a WebSocket handshake: refused as on a first request.
    private func refuse(_ context: ChannelHandlerContext) {
        pending = nil
        var headers = HTTPHeaders()
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
