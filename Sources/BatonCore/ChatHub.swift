import Synchronization

/// Something that happened in a visitor's conversation, for the visitor's open widgets.
public enum ChatEvent: Sendable {
    /// A stored message. `origin` is the subscription that sent it (a visitor message), so
    /// that one can acknowledge it instead of showing it twice.
    case message(Message, origin: SubscriptionID?)
    /// The conversation changed state.
    case state(ConversationID, ConversationState)
    /// The visitor's current conversation is now a new one (the previous one was closed).
    case conversationStarted(Conversation)
    /// The chat a widget opened, delivered to that widget only and before any other event.
    case opened(ChatSession)
    /// Someone on the company side is typing (or stopped).
    case typing(ConversationID, role: Role, name: String?, active: Bool)
    /// The conversation was erased (`nil`: the visitor, with everything of theirs).
    case erased(ConversationID?)
}

/// Identifies one subscription (one open widget connection).
public typealias SubscriptionID = UInt64

/// Fans events out to every open widget of a visitor (a visitor may have several tabs).
/// Delivery is a synchronous call of each subscriber's sink, in publish order; sinks must
/// not block (the server's sink enqueues into the connection's outbound stream).
public final class ChatHub: Sendable {
    public typealias Sink = @Sendable (ChatEvent) -> Void

    private struct State {
        var sinks: [VisitorID: [SubscriptionID: Sink]] = [:]
    }

    private let state = Mutex(State())
    private let lastID = Atomic<SubscriptionID>(0)

    public init() {}

    /// A new subscription id, unique in this process.
    public func makeSubscriptionID() -> SubscriptionID {
        lastID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Starts delivering the visitor's events to `sink` until `unsubscribe`.
    public func subscribe(_ visitor: VisitorID, id: SubscriptionID, sink: @escaping Sink) {
        state.withLock { $0.sinks[visitor, default: [:]][id] = sink }
    }

    public func unsubscribe(_ visitor: VisitorID, _ id: SubscriptionID) {
        state.withLock { state in
            state.sinks[visitor]?[id] = nil
            if state.sinks[visitor]?.isEmpty == true { state.sinks[visitor] = nil }
        }
    }

    /// Whether the visitor has an open widget right now.
    public func isOnline(_ visitor: VisitorID) -> Bool {
        state.withLock { $0.sinks[visitor] != nil }
    }

    /// The visitors with a widget open here.
    public var onlineVisitors: [VisitorID] {
        state.withLock { Array($0.sinks.keys) }
    }

    /// Number of open subscriptions, for metrics.
    public var subscriptionCount: Int {
        state.withLock { $0.sinks.values.reduce(0) { $0 + $1.count } }
    }

    public func publish(_ event: ChatEvent, to visitor: VisitorID) {
        // Copy the sinks out so no sink runs under the lock.
        let sinks = state.withLock { $0.sinks[visitor].map { Array($0.values) } ?? [] }
        for sink in sinks { sink(event) }
    }
}
