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
struct WidgetSocket {
    enum Outgoing: Sendable {
        case frame(ServerFrame)
        case close(WebSocketErrorCode, String)
    }

    let chat: ChatService
    let limits: SocketLimits
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
        var state = ReadState(bucket: TokenBucket(rate: limits.messagesPerSecond, burst: limits.burst))
        let said = Flag()
        await withTaskGroup(of: Void.self) { writer in
            writer.addTask { await Self.write(queue, to: outbound, overflowed: overflowed) }
            await withTaskGroup(of: Void.self) { timer in
                timer.addTask { [limits] in
                    // A connection that never says hello is closed.
                    try? await Task.sleep(for: limits.helloTimeout)
                    if !Task.isCancelled && !said.isSet {
                        send(.frame(.error(ProtocolError(code: "hello_timeout", message: "No hello frame was received in time."))))
                        send(.close(.init(codeNumber: 4408), "hello timeout"))
                    }
                }
                await read(inbound, state: &state, subscription: subscription, send: send, helloReceived: said.set)
                timer.cancelAll()
            }
            if let session = state.session { chat.close(session, subscription: subscription) }
            // The writer drains what is queued (a last error and close frame), then ends.
            continuation.finish()
        }
    }

    /// Drains the outbound queue into the socket.
    @inline(never)
    static func write(_ queue: AsyncStream<Outgoing>, to outbound: WebSocketOutboundWriter, overflowed: Flag) async {
        do {
            for await item in queue {
                switch item {
                case .frame(let frame):
                    try await outbound.write(.custom(.init(fin: true, opcode: .text, data: ByteBuffer(string: frame.json))))
                case .close(let code, let reason):
                    try await outbound.close(code, reason: reason)
                    return
                }
            }
            if overflowed.isSet {
                try await outbound.close(.policyViolation, reason: "widget too slow to read")
            }
        } catch {
            // The connection is gone; nothing more can be written.
        }
    }

    struct ReadState: Sendable {
        var session: ChatSession?
        var bucket: TokenBucket
        var violations = 0
    }

    private func read(_ inbound: WebSocketInboundStream, state: inout ReadState, subscription: SubscriptionID,
                      send: @escaping @Sendable (Outgoing) -> Void, helloReceived: () -> Void) async {
        var assembler = MessageAssembler(maxBytes: limits.maxFrameBytes)
        do {
            for try await frame in inbound {
                let text: String
                switch assembler.add(frame) {
                case .incomplete: continue
                case .text(let value): text = value
                case .binary:
                    if refuse(ProtocolError(code: "binary_not_supported", message: "Binary frames are not part of the widget protocol; send JSON text frames."), state: &state, send: send) { return }
                    continue
                case .failure(let error, let close):
                    send(.frame(.error(error)))
                    send(.close(close, error.code))
                    return
                }
                let request: ClientRequest
                do {
                    request = try ClientRequest.parse(text)
                } catch {
                    if refuse(error, state: &state, send: send) { return }
                    continue
                }
                if case .hello = request { helloReceived() }
                if await handleApart(request, state: &state, subscription: subscription, send: send) { return }
            }
        } catch {
            logger.debug("Widget socket read failed", metadata: ["error": "\(error)"])
        }
    }

    /// Handles a request in a child task. A task keeps the memory its deepest call ever
    /// needed until it ends; handling a request goes deep (the bot, the store), so it runs
    /// in a task of its own and an idle connection keeps only what its read loop needs.
    @inline(never)
    private func handleApart(_ request: ClientRequest, state: inout ReadState, subscription: SubscriptionID,
                             send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        if case .ping = request {
            send(.frame(.pong))
            return false
        }
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
            state.session = try await chat.open(widgetKey: widget, token: token, lastSeen: lastSeen, subscription: subscription) { event in
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
