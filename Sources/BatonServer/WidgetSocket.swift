import BatonCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// Limits of the widget socket.
public struct SocketLimits: Sendable {
    /// Visitor messages a second per connection, on average.
    public var messagesPerSecond: Double = 5
    /// Messages a visitor may send at once before the rate applies.
    public var burst: Int = 10
    /// Largest frame accepted, in bytes (a 4,000-character message is well under it).
    public var maxFrameBytes: Int = 64 * 1024
    /// Time a new connection has to send its hello.
    public var helloTimeout: Duration = .seconds(10)
    /// Frames queued for a widget that does not read before it is disconnected.
    public var outboundBuffer: Int = 1024
    /// Refused frames a connection may send before it is closed.
    public var maxViolations: Int = 100

    public init() {}
}

/// One widget connection: the read loop (this type) and a writer that drains the
/// connection's outbound queue. Everything sent to the widget goes through that one queue,
/// so replies, acknowledgements and live events keep one order.
///
/// An idle connection is two suspended tasks (the read loop and the writer), so the
/// memory of their async frames is memory per open socket: the functions that stay
/// suspended keep their frames small, and anything that goes deep (parsing, encoding,
/// handling a request) runs in a function or child task of its own.
struct WidgetSocket {
    /// What the writer sends: frames are encoded when queued, so the queue holds compact
    /// text and the writer's frame stays small.
    enum Outgoing: Sendable {
        case text(String)
        case close(WebSocketErrorCode, String)

        static func frame(_ frame: ServerFrame) -> Outgoing { .text(frame.json) }
    }

    let chat: ChatService
    let limits: SocketLimits
    let deadlines: HelloDeadlines
    let origin: String?
    let host: String?
    let logger: Logger

    @inline(never)
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (queue, continuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingOldest(limits.outboundBuffer))
        let subscription = chat.hub.makeSubscriptionID()
        let overflowed = Flag()
        let send: @Sendable (Outgoing) -> Void = { item in
            if case .dropped = continuation.yield(item) {
                // The widget does not read: drop the connection; it will resume from its last id.
                overflowed.set()
                continuation.finish()
            }
        }
        // A connection that never says hello is closed.
        let hello = deadlines.start {
            send(.frame(.error(ProtocolError(code: "hello_timeout", message: "No hello frame was received in time."))))
            send(.close(.init(codeNumber: 4408), "hello timeout"))
        }
        await withTaskGroup(of: Void.self) { writer in
            writer.addTask { await Self.write(queue, to: outbound, overflowed: overflowed) }
            let session = await read(inbound, subscription: subscription, hello: hello, send: send)
            deadlines.end(hello)
            if let session { chat.close(session, subscription: subscription) }
            // The writer drains what is queued (a last error and close frame), then ends.
            continuation.finish()
        }
    }

    /// Drains the outbound queue into the socket. While the queue is empty this waits with
    /// only the iterator in its frame; writing is done in `deliver`.
    @inline(never)
    static func write(_ queue: AsyncStream<Outgoing>, to outbound: WebSocketOutboundWriter, overflowed: Flag) async {
        for await item in queue {
            if await !deliver(item, to: outbound) { return }
        }
        if overflowed.isSet {
            await deliver(.close(.policyViolation, "widget too slow to read"), to: outbound)
        }
    }

    /// Writes one item; returns false when nothing more can or may be written (a close
    /// frame went out, or the connection is gone).
    @inline(never) @discardableResult
    private static func deliver(_ item: Outgoing, to outbound: WebSocketOutboundWriter) async -> Bool {
        do {
            switch item {
            case .text(let text):
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))))
                return true
            case .close(let code, let reason):
                try await outbound.close(code, reason: reason)
                return false
            }
        } catch {
            return false
        }
    }

    struct ReadState: Sendable {
        var session: ChatSession?
        var bucket: TokenBucket
        var violations = 0
    }

    /// What the read loop does after a received frame.
    private enum Next {
        case read
        case stop
        case handle(ClientRequest)
    }

    /// The read loop; returns the session the connection opened, if any.
    ///
    /// Every value that lives in an async loop's body is kept in the task's frame while
    /// it waits, so the body only awaits: the synchronous work is in `receive`.
    @inline(never)
    private func read(_ inbound: WebSocketInboundStream, subscription: SubscriptionID, hello: HelloDeadlines.Ticket,
                      send: @escaping @Sendable (Outgoing) -> Void) async -> ChatSession? {
        var state = ReadState(bucket: TokenBucket(rate: limits.messagesPerSecond, burst: limits.burst))
        var assembler = MessageAssembler(maxBytes: limits.maxFrameBytes)
        var frames = inbound.makeAsyncIterator()
        do {
            while let frame = try await frames.next() {
                switch receive(frame, assembler: &assembler, state: &state, hello: hello, send: send) {
                case .read: continue
                case .stop: return state.session
                case .handle(let request):
                    if await handleApart(request, state: &state, subscription: subscription, send: send) { return state.session }
                }
            }
        } catch {
            readFailed(error)
        }
        return state.session
    }

    /// Assembles and parses a received frame, and answers what needs no handling.
    @inline(never)
    private func receive(_ frame: WebSocketDataFrame, assembler: inout MessageAssembler, state: inout ReadState,
                         hello: HelloDeadlines.Ticket, send: @Sendable (Outgoing) -> Void) -> Next {
        let text: String
        switch assembler.add(frame) {
        case .incomplete: return .read
        case .text(let value): text = value
        case .binary:
            let error = ProtocolError(code: "binary_not_supported", message: "Binary frames are not part of the widget protocol; send JSON text frames.")
            return refuse(error, state: &state, send: send) ? .stop : .read
        case .failure(let error, let close):
            send(.frame(.error(error)))
            send(.close(close, error.code))
            return .stop
        }
        let request: ClientRequest
        do {
            request = try ClientRequest.parse(text)
        } catch {
            return refuse(error, state: &state, send: send) ? .stop : .read
        }
        switch request {
        case .ping:
            send(.frame(.pong))
            return .read
        case .hello:
            deadlines.end(hello)
        default: break
        }
        return .handle(request)
    }

    @inline(never)
    private func readFailed(_ error: any Error) {
        logger.debug("Widget socket read failed", metadata: ["error": "\(error)"])
    }

    /// Handles a request in a child task. A task keeps the memory its deepest call ever
    /// needed until it ends; handling a request goes deep (the bot, the store), so it runs
    /// in a task of its own and an idle connection keeps only what its read loop needs.
    @inline(never)
    private func handleApart(_ request: ClientRequest, state: inout ReadState, subscription: SubscriptionID,
                             send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        let before = state
        let (after, end) = await withTaskGroup(of: (ReadState, Bool).self) { group in
            group.addTask {
                var state = before
                let end = await handle(request, state: &state, subscription: subscription, send: send)
                return (state, end)
            }
            return await group.next() ?? (before, true)
        }
        state = after
        return end
    }

    /// Sends an error frame; returns true when the connection has misbehaved too often and
    /// was closed.
    private func refuse(_ error: ProtocolError, state: inout ReadState, send: @Sendable (Outgoing) -> Void) -> Bool {
        state.violations += 1
        send(.frame(.error(error)))
        if state.violations > limits.maxViolations {
            send(.close(.policyViolation, "too many invalid frames"))
            return true
        }
        return false
    }

    /// Handles one request; returns true when the connection must end.
    @inline(never)
    private func handle(_ request: ClientRequest, state: inout ReadState, subscription: SubscriptionID,
                        send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        switch request {
        case .ping:
            send(.frame(.pong))
            return false
        case .hello(let widget, let token, let lastSeen):
            guard state.session == nil else {
                return refuse(ProtocolError(code: "already_open", message: "This connection already said hello."), state: &state, send: send)
            }
            return await open(widget: widget, token: token, lastSeen: lastSeen, state: &state, subscription: subscription, send: send)
        case .typing(let active):
            // Relayed to agents after a handover (throttled there); otherwise ignored.
            if let session = state.session { await chat.visitorTyping(active, in: session) }
            return false
        case .message(let clientID, let text, let action):
            guard let session = state.session else {
                return refuse(ProtocolError(code: "hello_required", message: "Send a hello frame before messages.", clientID: clientID), state: &state, send: send)
            }
            if let wait = state.bucket.take() {
                let millis = wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000
                return refuse(ProtocolError(code: "rate_limited", message: "Messages are coming too fast; this one was not stored. Send it again after retryAfter milliseconds.",
                                            clientID: clientID, retryAfterMillis: max(1, millis)), state: &state, send: send)
            }
            do {
                let receipt = try await chat.receive(VisitorInput(text: text, action: action), clientID: clientID, from: session, origin: subscription)
                if case .duplicate(let id) = receipt { send(.frame(.ack(clientID: clientID, id: id, duplicate: true))) }
            } catch let error as ChatError {
                return refuse(ProtocolError(code: error.code, message: error.message, clientID: clientID), state: &state, send: send)
            } catch {
                logger.error("Storing a visitor message failed", metadata: ["error": "\(error)", "visitor": "\(session.visitor.id)"])
                send(.frame(.error(ProtocolError(code: "unavailable", message: "The message could not be stored; send it again shortly.",
                                                 clientID: clientID, retryAfterMillis: 2000))))
            }
            return false
        }
    }

    private func open(widget: String, token: String?, lastSeen: MessageID, state: inout ReadState,
                      subscription: SubscriptionID, send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        do {
            if let found = try await chat.bots.widget(forKey: widget),
               !OriginPolicy.allows(origin: origin, host: host, allowed: found.widget.settings.allowedOrigins) {
                let page = origin ?? "a page without an origin"
                send(.frame(.error(ProtocolError(code: "origin_not_allowed", message: "This widget may not be embedded on \(page)."))))
                send(.close(.init(codeNumber: 4403), "origin not allowed"))
                return true
            }
            let limits = ServerFrame.Limits(maxTextLength: chat.policy.maxTextLength, messagesPerSecond: self.limits.messagesPerSecond, burst: self.limits.burst)
            var session = try await chat.open(widgetKey: widget, token: token, lastSeen: lastSeen, subscription: subscription) { event in
                switch event {
                case .opened(let session): send(.frame(.welcome(session, limits: limits)))
                case .message(let message, let origin):
                    if origin == subscription, let clientID = message.clientID {
                        send(.frame(.ack(clientID: clientID, id: message.id, duplicate: false)))
                    } else {
                        send(.frame(.message(message)))
                    }
                case .state(let conversation, let newState): send(.frame(.state(conversation, newState)))
                case .conversationStarted(let conversation): send(.frame(.conversation(conversation)))
                case .typing(let conversation, let role, let name, let active):
                    send(.frame(.typing(conversation, role: role, name: name, active: active)))
                }
            }
            // The backlog went out with the welcome; an open connection need not keep it.
            session.messages = []
            state.session = session
            return false
        } catch let error as ChatError {
            let code: UInt16 = switch error {
            case .unknownWidget: 4404
            case .unknownVisitor: 4401
            default: 1011
            }
            send(.frame(.error(ProtocolError(code: error.code, message: error.message))))
            send(.close(.init(codeNumber: Int(code)), error.code))
            return true
        } catch {
            logger.error("Opening a widget chat failed", metadata: ["error": "\(error)"])
            send(.frame(.error(ProtocolError(code: "unavailable", message: "The chat cannot be opened right now; try again shortly."))))
            send(.close(.init(codeNumber: 1011), "unavailable"))
            return true
        }
    }
}

/// Reassembles fragmented WebSocket messages and checks them: size, UTF-8.
struct MessageAssembler {
    enum Result {
        case incomplete
        case text(String)
        case binary
        case failure(ProtocolError, close: WebSocketErrorCode)
    }

    let maxBytes: Int
    private var opcode: WebSocketDataFrame.Opcode?
    private var buffer = ByteBuffer()

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    mutating func add(_ frame: WebSocketDataFrame) -> Result {
        switch frame.opcode {
        case .text, .binary:
            guard opcode == nil else {
                return .failure(ProtocolError(code: "protocol_error", message: "A new message started before the previous one ended."), close: .protocolError)
            }
            opcode = frame.opcode
            buffer.clear()
        case .continuation:
            guard opcode != nil else {
                return .failure(ProtocolError(code: "protocol_error", message: "A continuation frame came without a message to continue."), close: .protocolError)
            }
        }
        guard buffer.readableBytes + frame.data.readableBytes <= maxBytes else {
            return .failure(ProtocolError(code: "too_large", message: "The message is larger than \(maxBytes) bytes."), close: .messageTooLarge)
        }
        var data = frame.data
        buffer.writeBuffer(&data)
        guard frame.fin, let kind = opcode else { return .incomplete }
        opcode = nil
        if kind == .binary { return .binary }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            return .failure(ProtocolError(code: "invalid_utf8", message: "The text frame is not valid UTF-8."), close: .dataInconsistentWithMessage)
        }
        return .text(text)
    }
}

/// Which pages may open a widget's socket.
enum OriginPolicy {
    /// Baton's own pages (same host) are always allowed; others must be listed, unless the
    /// list is empty.
    static func allows(origin: String?, host: String?, allowed: [String]) -> Bool {
        guard !allowed.isEmpty else { return true }
        guard let origin = origin.map(normalise) else { return false }
        if let host, let originHost = origin.split(separator: "/").last, originHost == host.lowercased() { return true }
        return allowed.contains { normalise($0) == origin }
    }

    /// The page's origin: browsers send exactly one `Origin` field; anything else counts
    /// as no origin.
    static func single(_ values: [String]) -> String? {
        values.count == 1 ? values[0] : nil
    }

    static func normalise(_ origin: String) -> String {
        var text = origin.trimmingWhitespace().lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// A flag set once, from any thread.
final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
