/// Where a conversation stands. Persisted as the raw value.
///
/// ```
/// bot ⇄ collecting → waiting_for_agent → with_agent → closed
///  └──────────┴───────────┴──────────────────────────→ closed
/// ```
public enum ConversationState: String, Sendable, Codable, CaseIterable {
    /// The bot answers the visitor.
    case bot
    /// The bot is asking the questions of a flow and validating the answers.
    case collecting
    /// Handed over; no agent has joined yet.
    case waitingForAgent = "waiting_for_agent"
    /// An agent has joined and talks to the visitor.
    case withAgent = "with_agent"
    /// Ended. A visitor writing again starts a new conversation.
    case closed

    /// Whether the bot still speaks for the company in this state.
    public var isBotActive: Bool { self == .bot || self == .collecting }

    /// Whether this state belongs to the human side of the handover.
    public var isHandedOver: Bool { self == .waitingForAgent || self == .withAgent }

    /// The states this one may move to.
    public var successors: Set<ConversationState> {
        switch self {
        case .bot: [.collecting, .waitingForAgent, .closed]
        case .collecting: [.bot, .waitingForAgent, .closed]
        case .waitingForAgent: [.withAgent, .closed]
        case .withAgent: [.closed]
        case .closed: []
        }
    }

    public func canMove(to next: ConversationState) -> Bool {
        next == self || successors.contains(next)
    }
}

/// A state change the state machine refuses.
public struct InvalidTransition: Error, Equatable, CustomStringConvertible {
    public let from: ConversationState
    public let to: ConversationState
    public init(from: ConversationState, to: ConversationState) {
        self.from = from
        self.to = to
    }
    public var description: String { "a conversation cannot move from \(from.rawValue) to \(to.rawValue)" }
}
