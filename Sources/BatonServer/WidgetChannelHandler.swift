import NIOCore
import NIOWebSocket

/// What the request loop of a widget connection receives: a whole message.
enum WidgetInbound: Sendable {
    /// A text message, and when it arrived: the request loop counts it against the
    /// message rate at that time, not when its turn comes (messages that waited in the
    /// queue would otherwise all pass, their bucket refilled meanwhile).
    case text(String, at: ContinuousClock.Instant)
    /// A binary message: not part of the protocol, refused by the request loop.
    case binary
}

/// The WebSocket side of a widget connection, on the channel's event loop: control frames
/// (ping, pong, close), reassembly and checks of messages, keep-alive, the close
/// handshake, and writing what the request loop sends, in the order it was sent.
///
/// An idle connection is this handler and the NIO channel: no task waits for its frames
/// and no timer task keeps it alive (one scheduled check on the event loop does).
final class WidgetChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Settings: Sendable {
        /// Largest message, reassembled from its frames.
        var maxMessageBytes: Int
        /// Frames that may wait for a widget that does not read before it is disconnected.
        var outboundLimit: Int
        /// After this long without a frame from the widget it is pinged; after two and a
        /// half times as long it is taken for gone and disconnected.
        var keepAlive: TimeAmount = .seconds(30)
        /// How long a close frame waits for the widget's answer before the socket closes.
        var closeTimeout: TimeAmount = .seconds(3)
    }

    private let settings: Settings
    private let inbound: AsyncStream<WidgetInbound>.Continuation
    private var assembler: MessageAssembler
    private var context: ChannelHandlerContext?
    /// A close frame went out: only the widget's close is awaited now.
    private var closing = false
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var keepAliveCheck: Scheduled<Void>?
    private var closeDeadline: Scheduled<Void>?
    /// Frames written while the socket could take no more.
    private var queuedWhileFull = 0

    init(settings: Settings, inbound: AsyncStream<WidgetInbound>.Continuation) {
        self.settings = settings
        self.inbound = inbound
        assembler = MessageAssembler(maxBytes: settings.maxMessageBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastRead = context.eventLoop.now
        scheduleKeepAlive(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    private func stop() {
        keepAliveCheck?.cancel()
        closeDeadline?.cancel()
        keepAliveCheck = nil
        closeDeadline = nil
        context = nil
        inbound.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastRead = context.eventLoop.now
        // RFC 6455, 5.1 and 5.2: a client masks every frame, and sets no reserved bit
        // without an extension (none is agreed).
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            close(code: .protocolError, reason: frame.maskKey == nil ? "unmasked frame" : "reserved bit set")
            return
        }
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            guard !closing else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .text, .binary, .continuation:
            guard !closing else { return }
            receivedData(frame)
        default:
            close(code: .protocolError, reason: "unknown opcode")
        }
    }

    private func receivedData(_ frame: WebSocketFrame) {
        switch assembler.add(opcode: frame.opcode, fin: frame.fin, data: frame.unmaskedData) {
        case .incomplete:
            break
        case .text(let text):
            deliver(.text(text, at: .now))
        case .binary:
            deliver(.binary)
        case .failure(let error, let code):
            write(.frame(.error(error)))
            close(code: code, reason: error.code)
        }
    }

    private func deliver(_ message: WidgetInbound) {
        // The request loop handles one message at a time; a widget that sends far more
        // than it waits answers for is not the widget.
        if case .dropped = inbound.yield(message) {
            write(.frame(.error(ProtocolError(code: "too_many_frames", message: "Too many messages are waiting to be handled."))))
            close(code: .policyViolation, reason: "too many frames")
        }
    }

    /// The widget closed: answer with the same code (RFC 6455, 5.5.1), then close.
    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard !closing else {
            context.close(promise: nil)
            return
        }
        closing = true
        inbound.finish()
        let code = Self.closeCode(frame.unmaskedData)
        var reply = context.channel.allocator.buffer(capacity: 2)
        reply.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// The code to answer a widget's close with: its own, none for none, 1002 for a
    /// payload of one byte or a code an endpoint may not send (RFC 6455, 5.5.1 and 7.4),
    /// and 1007 for a reason that is not UTF-8 (5.5.1: it is UTF-8 text).
    static func closeCode(_ payload: ByteBuffer) -> WebSocketErrorCode {
        var payload = payload
        guard payload.readableBytes > 0 else { return .normalClosure }
        guard let number = payload.readInteger(as: UInt16.self) else { return .protocolError }
        guard String(validating: payload.readableBytesView, as: UTF8.self) != nil else { return .dataInconsistentWithMessage }
        switch number {
        case 1000...1003, 1007...1011, 3000...4999: return WebSocketErrorCode(codeNumber: Int(number))
        default: return .protocolError
        }
    }

    /// Writes what the request loop (or the chat) sends; called on the event loop.
    func write(_ item: WidgetSocket.Outgoing) {
        guard let context, !closing else { return }
        switch item {
        case .text(let text):
            if !context.channel.isWritable {
                queuedWhileFull += 1
                if queuedWhileFull > settings.outboundLimit {
                    // The widget does not read: drop it; it resumes from its last id.
                    close(code: .policyViolation, reason: "widget too slow to read")
                    return
                }
            }
            let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        case .close(let code, let reason):
            close(code: code, reason: reason)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { queuedWhileFull = 0 }
        context.fireChannelWritabilityChanged()
    }

    /// Sends a close frame and ends reading; the socket closes when the widget answers,
    /// or after `closeTimeout`.
    private func close(code: WebSocketErrorCode, reason: String) {
        guard let context, !closing else { return }
        closing = true
        inbound.finish()
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)), promise: nil)
        closeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: settings.closeTimeout) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down: widgets reconnect to the next one.
            close(code: .goingAway, reason: "server shutting down")
        } else if case ChannelEvent.inputClosed? = event as? ChannelEvent {
            // The client closed its side without a close frame (its page or process gone):
            // nothing more can come, and the socket would wait for the keep-alive.
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The frame decoder's errors are answered here (NIO's `WebSocketProtocolErrorHandler`
    /// is left out): its close code, then the connection ends, as NIO's would. A frame over
    /// the message limit is told first, as a message in fragments over it is (`too_large`:
    /// it closed with 1009 alone). A failed read or write ends the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? NIOWebSocketError, !closing else {
            context.close(promise: nil)
            return
        }
        closing = true
        inbound.finish()
        // As NIO's handler says them: a control frame fragmented or over 125 bytes is 1002.
        let code: WebSocketErrorCode = error == .invalidFrameLength ? .messageTooLarge : .protocolError
        var reason = ""
        if error == .invalidFrameLength {
            reason = "too_large"
            let refusal = ServerFrame.error(ProtocolError(code: reason, message: "The message is larger than \(settings.maxMessageBytes) bytes."))
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: refusal.json))),
                          promise: nil)
        }
        // The decoder reads nothing more: the widget's answer to the close cannot be
        // waited for.
        let closed = context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)))
        let channel = context.channel
        closed.whenComplete { _ in channel.close(promise: nil) }
    }

    /// A close frame: the code, then the reason (a close frame's payload is at most 125 bytes).
    private static func closeFrame(code: WebSocketErrorCode, reason: String, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var data = allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self))
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    private func scheduleKeepAlive(_ context: ChannelHandlerContext, in delay: TimeAmount? = nil) {
        keepAliveCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay ?? settings.keepAlive) { [weak self] in
            self?.checkAlive()
        }
    }

    /// A widget silent for `keepAlive` (30 s) is pinged (a browser answers with a pong);
    /// one silent for 2.5 times as long (75 s) is gone. The next look is 30 s on, or when
    /// the silence would reach the limit if that is sooner: looking every 30 s closed a
    /// dead widget's socket after 90 to 105 s, not 75.
    private func checkAlive() {
        guard let context else { return }
        let silent = context.eventLoop.now - lastRead
        let limit = TimeAmount.nanoseconds(settings.keepAlive.nanoseconds * 5 / 2)
        if silent >= limit {
            context.close(promise: nil)
            return
        }
        guard silent >= settings.keepAlive else {
            scheduleKeepAlive(context, in: settings.keepAlive - silent)
            return
        }
        if !closing {
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
        }
        scheduleKeepAlive(context, in: min(settings.keepAlive, limit - silent))
    }
}

