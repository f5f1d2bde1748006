import HummingbirdCore
import Logging
import NIOCore

/// The first handler of every accepted connection (Baton's server and the Mattermost
/// stand-in's), for what the HTTP handlers after it cannot see:
///
/// - **A connection that has not sent a whole request head.** Browsers open connections
///   ahead of need, and an HTTP client's pool may open one it then does not use. Until a
///   request's head has arrived the pipeline holds only NIO's HTTP decoder and upgrade
///   handler, which neither time out nor take part in a graceful shutdown: one such
///   connection kept a server from stopping for ever, and many could use up its file
///   descriptors. It is closed if the head is not complete after `firstRequestTimeout`,
///   and at once when the server shuts down (there is nothing to answer yet).
/// - **A shutdown that waits too long.** When the server shuts down (NIO's
///   `ChannelShouldQuiesceEvent`), the handlers after this one finish the request in hand
///   and close. A response a client stopped reading would keep the connection open, and
///   the event could come while an upgrade is being decided: it is passed on again every
///   second, and after `shutdownGrace` the connection is closed whatever it is doing.
///
/// After the first head, HTTP idleness is `HTTPConnectionStateHandler`'s and a widget
/// socket's keep-alive is its own.
public final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer

    public struct Settings: Sendable {
        /// How long a new connection has to send its first request's head.
        public var firstRequestTimeout: TimeAmount
        /// How long a connection may take to finish once the server shuts down.
        public var shutdownGrace: TimeAmount

        public init(firstRequestTimeout: TimeAmount = .seconds(60), shutdownGrace: TimeAmount = .seconds(10)) {
            self.firstRequestTimeout = firstRequestTimeout
            self.shutdownGrace = shutdownGrace
        }
    }

    private let settings: Settings
    /// The first request's head ended (its blank line came).
    private var headComplete = false
    /// How much of "\r\n\r\n" the bytes so far end with.
    private var matched = 0
    /// The first request's deadline, then (once the server shuts down) the next time the
    /// shutdown is passed on.
    private var timer: Scheduled<Void>?
    private var closesAt: NIODeadline?

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startFirstRequestDeadline(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        startFirstRequestDeadline(context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headComplete {
            scanForEndOfHead(unwrapInboundIn(data))
            if headComplete, closesAt == nil { cancelTimer() }
        }
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard headComplete else {
            closeBeforeHead(context)
            return
        }
        guard closesAt == nil else { return }
        cancelTimer()
        closesAt = context.eventLoop.now + settings.shutdownGrace
        passShutdownOn(context)
    }

    /// Advances over `buffer` looking for the blank line that ends a request head (a
    /// request line's bare "\n" endings are not counted: NIO's parser wants "\r\n" too).
    private static let endOfHead: [UInt8] = Array("\r\n\r\n".utf8)

    private func scanForEndOfHead(_ buffer: ByteBuffer) {
        let pattern = Self.endOfHead
        for byte in buffer.readableBytesView {
            if byte == pattern[matched] {
                matched += 1
            } else {
                matched = byte == 13 ? 1 : 0
            }
            if matched == pattern.count {
                headComplete = true
                return
            }
        }
    }

    /// Passes the shutdown on now and every second after, until the grace runs out.
    private func passShutdownOn(_ context: ChannelHandlerContext) {
        guard let closesAt, context.eventLoop.now < closesAt else {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let next = min(closesAt - context.eventLoop.now, .seconds(1))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: next) { [weak self] in
            self?.passShutdownOn(context)
        }
    }

    private func startFirstRequestDeadline(_ context: ChannelHandlerContext) {
        guard !headComplete, timer == nil else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: settings.firstRequestTimeout) { [weak self] in
            self?.closeBeforeHead(context)
        }
    }

    /// Takes the guard off a connection that now looks after its own idleness and shutdown
    /// (a WebSocket whose handler closes it on `ChannelShouldQuiesceEvent`), so that an
    /// idle socket does not carry it. Call on the channel's event loop.
    /// When the server is already shutting down, the guard stays: the shutdown may have
    /// come before that handler was there, and the guard passes it on again.
    public static func standDown(on channel: any Channel) {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: ConnectionGuard.self),
              handler.closesAt == nil else { return }
        channel.pipeline.syncOperations.removeHandler(handler, promise: nil)
    }

    /// Closes a connection whose first request has not come, as if the client had given
    /// up: NIO's upgrade handler then reports "input closed", which Hummingbird takes as
    /// the client's doing rather than as an error to log.
    private func closeBeforeHead(_ context: ChannelHandlerContext) {
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}

/// A server's child channel with a `ConnectionGuard` in front of its pipeline.
public struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value

    let base: Base
    let settings: ConnectionGuard.Settings

    public init(_ base: Base, settings: ConnectionGuard.Settings = .init()) {
        self.base = base
        self.settings = settings
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let settings = settings
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(settings: settings), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
