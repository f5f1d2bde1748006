/// Limits and texts that apply to every widget.
public struct ChatPolicy: Sendable {
    /// Longest visitor message, in Unicode scalars (what Mattermost counts as runes).
    public var maxTextLength: Int
    /// Most messages replayed to a widget on (re)connect.
    public var historyLimit: Int
    /// Largest file a visitor may send or an agent's file passed on, in bytes; 0 turns
    /// files off.
    public var maxFileBytes: Int
    /// Files in one message, at most (Mattermost takes 10 in a post).
    public var maxFilesPerMessage: Int
    /// Files a visitor may have uploaded and not sent yet.
    public var maxUnsentFiles: Int

    public init(maxTextLength: Int = 4000, historyLimit: Int = 500, maxFileBytes: Int = 10_000_000,
                maxFilesPerMessage: Int = 10, maxUnsentFiles: Int = 20) {
        self.maxTextLength = maxTextLength
        self.historyLimit = historyLimit
        self.maxFileBytes = maxFileBytes
        self.maxFilesPerMessage = maxFilesPerMessage
        self.maxUnsentFiles = maxUnsentFiles
    }

    public var filesEnabled: Bool { maxFileBytes > 0 }
}

/// Why a visitor's request was refused, in words the widget can show.
public enum ChatError: Error, Equatable {
    case unknownWidget(String)
    case unknownVisitor
    case emptyMessage
    case textTooLong(limit: Int)
    case invalidClientID
    case unavailable(String)
    /// A file of the message is not one this visitor uploaded, or was sent already.
    case unknownFile
    case tooManyFiles(limit: Int)
    case filesDisabled
    case fileTooLarge(limit: Int)
    case emptyFile
    case tooManyUnsentFiles(limit: Int)
    /// The visitor asked to end a chat with the agents, and none is open.
    case nothingToEnd
    /// A rating for a conversation that cannot take one.
    case cannotRate

    /// A stable machine-readable code (the widget protocol's `error.code`).
    public var code: String {
        switch self {
        case .unknownWidget: "unknown_widget"
        case .unknownVisitor: "unknown_visitor"
        case .emptyMessage: "empty_message"
        case .textTooLong: "text_too_long"
        case .invalidClientID: "invalid_client_id"
        case .unavailable: "unavailable"
        case .unknownFile: "unknown_file"
        case .tooManyFiles: "too_many_files"
        case .filesDisabled: "files_disabled"
        case .fileTooLarge: "file_too_large"
        case .emptyFile: "empty_file"
        case .tooManyUnsentFiles: "too_many_uploads"
        case .nothingToEnd: "nothing_to_end"
        case .cannotRate: "cannot_rate"
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
        case .unknownFile: "A file of this message was not uploaded by this visitor, or was sent already; upload it again."
        case .tooManyFiles(let limit): "A message can carry at most \(limit) files."
        case .filesDisabled: "This chat does not take files."
        case .fileTooLarge(let limit): "The file is larger than \(ByteCount.text(Int64(limit)))."
        case .emptyFile: "The file is empty."
        case .tooManyUnsentFiles(let limit): "At most \(limit) uploaded files may wait to be sent; send or drop some first."
        case .nothingToEnd: "There is no chat with the agents to end."
        case .cannotRate: "Only the latest chat, once it was with the agents and has ended, can be rated, and only once."
        }
    }
}

/// An open chat: the visitor, the current conversation and what the widget missed.
public struct ChatSession: Sendable {
    public var widget: Widget
    public var botName: String
    /// The language the bot's document declares (nil: it says none).
    public var botLanguage: String?
    public var visitor: Visitor
    public var conversation: Conversation
    /// Set only when the visitor was created by this session, or opened in this browser by
    /// a link emailed to them: the widget must keep it.
    public var newToken: String?
    /// Messages after the widget's last seen id, oldest first.
    public var messages: [Message]
    /// More messages exist before `messages` than were sent.
    public var truncated: Bool
    /// The language the widget shows its words in (one of `WidgetSettings.languages`), as
    /// it said; what Baton writes for the visitor follows it where the widget has no
    /// Language set (the working hours' default away message).
    public var widgetLanguage: String? = nil
    /// The widget came with the code of an emailed link that is unknown or expired: the
    /// chat opened as if it had come without (`ChatService.open`).
    public var linkExpired = false
    /// The signed-in admin whose browser this is, trying the widget in one of Baton's own
    /// pages (the dashboard's live preview): the conversations it starts are marked so
    /// (`ChatStore.markTried`). Nil for visitors.
    public var triedBy: String? = nil

    /// The language the widget is told to speak: its Language setting, else the bot's
    /// (nil: the widget takes the page's or the browser's).
    public var language: String? { widget.settings.language(botLanguage: botLanguage) }
}

/// What became of a visitor message.
public enum Receipt: Sendable, Equatable {
    /// Stored now with this id.
    case stored(MessageID)
    /// Was stored before (a resend): this is its id; nothing was done again.
    case duplicate(MessageID)
}

/// Sizes as people read them: "12 KB", "3.4 MB" (decimal units, as browsers show downloads).
public enum ByteCount {
    public static func text(_ bytes: Int64) -> String {
        if bytes < 1000 { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        let units = ["KB", "MB", "GB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let shown = value < 10 ? (value * 10).rounded() / 10 : value.rounded()
        let number = shown == shown.rounded() ? String(Int(shown)) : String(shown)
        return "\(number) \(units[unit])"
    }
}
