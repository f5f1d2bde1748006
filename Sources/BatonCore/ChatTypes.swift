/// Limits and texts that apply to every widget.
public struct ChatPolicy: Sendable {
    /// Longest visitor message, in Unicode scalars (what Mattermost counts as runes).
    public var maxTextLength: Int
    /// Most messages replayed to a widget on (re)connect.
    public var historyLimit: Int

    public init(maxTextLength: Int = 4000, historyLimit: Int = 500) {
        self.maxTextLength = maxTextLength
        self.historyLimit = historyLimit
    }
}

/// Why a visitor's request was refused, in words the widget can show.
public enum ChatError: Error, Equatable {
    case unknownWidget(String)
    case unknownVisitor
    case emptyMessage
    case textTooLong(limit: Int)
    case invalidClientID
    case unavailable(String)

    /// A stable machine-readable code (the widget protocol's `error.code`).
    public var code: String {
        switch self {
        case .unknownWidget: "unknown_widget"
        case .unknownVisitor: "unknown_visitor"
        case .emptyMessage: "empty_message"
        case .textTooLong: "text_too_long"
        case .invalidClientID: "invalid_client_id"
        case .unavailable: "unavailable"
        }
    }

    public var message: String {
        switch self {
        case .unknownWidget(let key): "No widget has the key \"\(key)\". Check the data-widget attribute of the embed snippet."
        case .unknownVisitor: "This visitor token is not known here. Start a new conversation without it."
        case .emptyMessage: "The message is empty."
        case .textTooLong(let limit): "The message is longer than \(limit) characters."
        case .invalidClientID: "clientId must be 1 to 64 characters of letters, digits, '-', '_', ':' or '.'."
        case .unavailable(let reason): "The server cannot take messages right now (\(reason)). Try again shortly."
        }
    }
}

/// An open chat: the visitor, the current conversation and what the widget missed.
public struct ChatSession: Sendable {
    public var widget: Widget
    public var botName: String
    public var visitor: Visitor
    public var conversation: Conversation
    /// Set only when the visitor was created by this session: the widget must keep it.
    public var newToken: String?
    /// Messages after the widget's last seen id, oldest first.
    public var messages: [Message]
    /// More messages exist before `messages` than were sent.
    public var truncated: Bool
}

/// What became of a visitor message.
public enum Receipt: Sendable, Equatable {
    /// Stored now with this id.
    case stored(MessageID)
    /// Was stored before (a resend): this is its id; nothing was done again.
    case duplicate(MessageID)
}
