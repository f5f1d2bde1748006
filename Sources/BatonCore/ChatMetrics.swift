import CoreMetrics

/// What the chat counts, through swift-metrics' API (the server reports it at `/metrics`,
/// docs/configuration.md): messages stored, by author; conversations started, handed
/// over and closed; visitors' ratings of their chats. Counted once, by the process that
/// committed the step.
public struct ChatMetrics: Sendable {
    private let messages: [Role: Counter]
    private let started: Counter
    private let handedOver: Counter
    private let closed: Counter
    private let ratings: [ChatRating: Counter]

    /// Counters made by `factory` (a Prometheus registry's in the server).
    public init(factory: any MetricsFactory) {
        var messages: [Role: Counter] = [:]
        for role in [Role.visitor, .bot, .agent, .system] {
            messages[role] = Counter(label: "baton_messages_total", dimensions: [("author", role.rawValue)], factory: factory)
        }
        self.messages = messages
        started = Counter(label: "baton_conversations_started_total", factory: factory)
        handedOver = Counter(label: "baton_handovers_total", factory: factory)
        closed = Counter(label: "baton_conversations_closed_total", factory: factory)
        var ratings: [ChatRating: Counter] = [:]
        for rating in ChatRating.allCases {
            ratings[rating] = Counter(label: "baton_chat_ratings_total", dimensions: [("rating", rating.rawValue)], factory: factory)
        }
        self.ratings = ratings
    }

    /// Counts nothing.
    public static let none = ChatMetrics(factory: NOOPMetricsHandler.instance)

    /// A committed step: its messages, and the conversation's move from `before` to `after`.
    func record(_ stored: [Message], started isNew: Bool, from before: ConversationState, to after: ConversationState) {
        // An agent's correction of an earlier message is not a message more.
        for message in stored where message.replaces == nil { messages[message.role]?.increment() }
        if isNew { started.increment() }
        guard before != after else { return }
        if after == .waitingForAgent, !before.isHandedOver { handedOver.increment() }
        if after == .closed { closed.increment() }
    }

    /// A visitor rated a chat.
    func rated(_ rating: ChatRating) {
        ratings[rating]?.increment()
    }
}
