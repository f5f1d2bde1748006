import BatonCore
import Foundation

/// The widget socket's JSON protocol (docs/widget-protocol.md), version 1.
enum WidgetProtocol {
    static let version = 1
}

/// A frame from the widget, as decoded: every field optional so that a missing field gets
/// a clear error instead of a generic decoding failure.
struct ClientFrame: Decodable {
    var type: String?
    var widget: String?
    var token: String?
    var lastSeen: Int64?
    var clientId: String?
    var text: String?
    var action: String?
    var active: Bool?
}

/// A request of the widget, validated.
enum ClientRequest {
    case hello(widget: String, token: String?, lastSeen: MessageID)
    case message(clientID: String, text: String, action: String?)
    case typing(active: Bool)
    case ping
}

/// Why a frame from the widget was refused.
struct ProtocolError: Error, Equatable {
    var code: String
    var message: String
    var clientID: String?
    var retryAfterMillis: Int64?

    static func malformed(_ detail: String) -> ProtocolError {
        ProtocolError(code: "malformed_frame", message: "The frame is not valid JSON of the widget protocol: \(detail).")
    }

    static func missing(_ field: String, in type: String) -> ProtocolError {
        ProtocolError(code: "missing_field", message: "A \(type) frame needs the field \"\(field)\".")
    }
}

extension ClientRequest {
    private static let decoder = JSONDecoder()

    /// Decodes and validates a text frame.
    static func parse(_ text: String) throws(ProtocolError) -> ClientRequest {
        let frame: ClientFrame
        do {
            frame = try decoder.decode(ClientFrame.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(type, context) {
            let field = context.codingPath.last?.stringValue ?? "the frame"
            throw .malformed(field == "the frame" ? "a frame is a JSON object" : "\"\(field)\" must be \(describe(type))")
        } catch {
            throw .malformed("it does not parse as a JSON object")
        }
        guard let type = frame.type else { throw .missing("type", in: "widget") }
        switch type {
        case "hello":
            guard let widget = frame.widget else { throw .missing("widget", in: "hello") }
            return .hello(widget: widget, token: frame.token, lastSeen: max(0, frame.lastSeen ?? 0))
        case "message":
            guard let clientID = frame.clientId else { throw .missing("clientId", in: "message") }
            guard let text = frame.text else {
                throw ProtocolError(code: "missing_field", message: "A message frame needs the field \"text\".", clientID: clientID)
            }
            return .message(clientID: clientID, text: text, action: frame.action)
        case "typing":
            return .typing(active: frame.active ?? true)
        case "ping":
            return .ping
        default:
            let shown = type.count > 40 ? String(type.prefix(40)) + "…" : type
            throw ProtocolError(code: "unknown_type", message: "Unknown frame type \"\(shown)\"; expected hello, message, typing or ping.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int64.Type: "an integer"
        default: "of another type"
        }
    }
}

/// A frame to the widget.
enum ServerFrame: Sendable {
    case welcome(ChatSession, limits: Limits)
    case message(Message)
    case ack(clientID: String, id: MessageID, duplicate: Bool)
    case state(ConversationID, ConversationState)
    case conversation(Conversation)
    case typing(ConversationID, role: Role, name: String?, active: Bool)
    case error(ProtocolError)
    case pong

    struct Limits: Sendable {
        var maxTextLength: Int
        var messagesPerSecond: Double
        var burst: Int
    }

    var json: String {
        var w = JSONWriter()
        w.object { w in
            switch self {
            case .welcome(let session, let limits):
                w.field("type", "welcome")
                w.field("protocol", WidgetProtocol.version)
                w.field("token", session.newToken)
                w.field("visitor", session.visitor.id.rawValue)
                w.key("conversation")
                Self.write(session.conversation, to: &w)
                w.key("widget")
                w.object { w in
                    w.field("key", session.widget.key)
                    w.field("title", session.widget.settings.title ?? session.botName)
                    w.field("color", session.widget.settings.color)
                    w.field("botName", session.botName)
                    if let subtitle = session.widget.settings.subtitle { w.field("subtitle", subtitle) }
                    if let avatar = session.widget.settings.avatarURL { w.field("avatarURL", avatar) }
                }
                w.key("messages")
                w.array(session.messages) { w, message in Self.write(message, to: &w) }
                w.field("truncated", session.truncated)
                w.key("limits")
                w.object { w in
                    w.field("maxTextLength", limits.maxTextLength)
                    w.field("messagesPerSecond", limits.messagesPerSecond)
                    w.field("burst", limits.burst)
                }
            case .message(let message):
                w.field("type", "message")
                w.key("message")
                Self.write(message, to: &w)
            case .ack(let clientID, let id, let duplicate):
                w.field("type", "ack")
                w.field("clientId", clientID)
                w.field("id", id)
                w.field("duplicate", duplicate)
            case .state(let conversation, let state):
                w.field("type", "state")
                w.field("conversation", conversation.rawValue)
                w.field("state", state.rawValue)
            case .conversation(let conversation):
                w.field("type", "conversation")
                w.key("conversation")
                Self.write(conversation, to: &w)
            case .typing(let conversation, let role, let name, let active):
                w.field("type", "typing")
                w.field("conversation", conversation.rawValue)
                w.field("role", role.rawValue)
                w.field("name", name)
                w.field("active", active)
            case .error(let error):
                w.field("type", "error")
                w.field("code", error.code)
                w.field("message", error.message)
                if let clientID = error.clientID { w.field("clientId", clientID) }
                if let retry = error.retryAfterMillis { w.field("retryAfter", retry) }
            case .pong:
                w.field("type", "pong")
            }
        }
        return w.string
    }

    static func write(_ conversation: Conversation, to w: inout JSONWriter) {
        w.object { w in
            w.field("id", conversation.id.rawValue)
            w.field("state", conversation.state.rawValue)
        }
    }

    static func write(_ message: Message, to w: inout JSONWriter) {
        w.object { w in
            w.field("id", message.id)
            w.field("conversation", message.conversationID.rawValue)
            w.field("role", message.role.rawValue)
            w.field("name", message.authorName)
            w.field("text", message.text)
            if !message.buttons.isEmpty {
                w.key("buttons")
                w.array(message.buttons) { w, button in
                    w.object { w in
                        w.field("title", button.title)
                        if let action = button.action { w.field("action", action) }
                    }
                }
            }
            if let clientID = message.clientID { w.field("clientId", clientID) }
            w.field("at", message.createdAt)
        }
    }
}
