import BatonCore
import Foundation

/// The widget socket's JSON protocol (docs/widget-protocol.md), version 1.
enum WidgetProtocol {
    static let version = 1
}

/// A frame from the widget, as read: every field optional so that a missing field gets
/// a clear error instead of a generic failure. Read with `JSONReader`: one arrives with
/// every visitor message.
struct ClientFrame: JSONReadable {
    var type: String?
    var widget: String?
    var token: String?
    /// `hello.link`: the code of a link emailed to the visitor.
    var link: String?
    var lastSeen: Int64?
    var clientId: String?
    var text: String?
    var action: String?
    var active: Bool?
    var user: UserFields?
    var files: [String]?
    /// `page` frames: the page's address and title.
    var url: String?
    var title: String?
    /// `hello.page`: the page the widget is on.
    var page: PageFields?
    /// `hello.language`: the first language of the visitor's browser.
    var language: String?
    /// `hello.widgetLanguage`: the language the widget shows its words in.
    var widgetLanguage: String?
    /// `seen` frames: the newest message shown to the visitor.
    var upTo: Int64?
    /// `rate` frames: the conversation rated, and how.
    var conversation: String?
    var rating: String?

    struct PageFields: Equatable {
        var url: String?
        var title: String?
    }

    /// `hello.user`: the website's signed-in user, as the page gave it.
    struct UserFields: Equatable {
        var id: String?
        var hash: String?
        var name: String?
        var email: String?
    }

    /// A frame that is JSON but not of the protocol's shape: not an object (`field` nil),
    /// or a field of another type than `expected`. Broken JSON is refused before this.
    struct WrongShape: Error {
        var field: String?
        var expected: String
    }

    init(reading json: inout JSONReader) throws {
        guard try json.kind() == .object else {
            try json.skip()
            throw WrongShape(field: nil, expected: "an object")
        }
        var wrong: WrongShape?
        /// Reads a field; one of another type is left (the reader passes over it) and
        /// remembered: the frame is refused once it is known to be JSON.
        func field<T>(_ name: String, _ expected: String, _ json: inout JSONReader,
                      _ read: (inout JSONReader) throws -> T?) throws -> T? {
            do {
                return try read(&json)
            } catch JSONReader.Failure.unexpected {
                if wrong == nil { wrong = WrongShape(field: name, expected: expected) }
                return nil
            }
        }
        /// An object of string (or null) members, those named in `keys` as `[name: value]`
        /// (one of another type is refused by its path, e.g. `user.id`; others are passed over).
        func strings(_ name: String, _ keys: Set<String>, _ json: inout JSONReader) throws -> [String: String]? {
            try field(name, "an object", &json) { json -> [String: String]? in
                if try json.readNull() { return nil }
                var members: [String: String] = [:]
                try json.members { key, json in
                    let key = key.name
                    guard keys.contains(key) else { return }
                    if let value = try field("\(name).\(key)", "a string", &json, { try $0.stringOrNull() }) { members[key] = value }
                }
                return members
            }
        }
        try json.members { key, json in
            switch key {
            case "type": type = try field("type", "a string", &json) { try $0.stringOrNull() }
            case "widget": widget = try field("widget", "a string", &json) { try $0.stringOrNull() }
            case "token": token = try field("token", "a string", &json) { try $0.stringOrNull() }
            case "link": link = try field("link", "a string", &json) { try $0.stringOrNull() }
            case "lastSeen": lastSeen = try field("lastSeen", "an integer", &json) { try $0.int64OrNull() }
            case "upTo": upTo = try field("upTo", "an integer", &json) { try $0.int64OrNull() }
            case "clientId": clientId = try field("clientId", "a string", &json) { try $0.stringOrNull() }
            case "text": text = try field("text", "a string", &json) { try $0.stringOrNull() }
            case "action": action = try field("action", "a string", &json) { try $0.stringOrNull() }
            case "url": url = try field("url", "a string", &json) { try $0.stringOrNull() }
            case "title": title = try field("title", "a string", &json) { try $0.stringOrNull() }
            case "conversation": conversation = try field("conversation", "a string", &json) { try $0.stringOrNull() }
            case "rating": rating = try field("rating", "a string", &json) { try $0.stringOrNull() }
            case "language": language = try field("language", "a string", &json) { try $0.stringOrNull() }
            case "widgetLanguage": widgetLanguage = try field("widgetLanguage", "a string", &json) { try $0.stringOrNull() }
            case "page":
                page = try strings("page", ["url", "title"], &json).map { PageFields(url: $0["url"], title: $0["title"]) }
            case "files":
                files = try field("files", "an array of file ids", &json) { json in
                    if try json.readNull() { return nil }
                    var ids: [String] = []
                    try json.elements { json in
                        guard ids.count < 100 else { try json.skip(); return }
                        ids.append(try json.string())
                    }
                    return ids
                }
            case "active":
                active = try field("active", "true or false", &json) { json in try json.readNull() ? nil : try json.bool() }
            case "user":
                user = try strings("user", ["id", "hash", "name", "email"], &json).map { UserFields(id: $0["id"], hash: $0["hash"], name: $0["name"], email: $0["email"]) }
            default: break
            }
        }
        if let wrong { throw wrong }
    }
}

/// A request of the widget, validated.
enum ClientRequest {
    /// `page`: where the widget is, when the widget said and it is a page Baton keeps;
    /// `language`: the browser's first language, when it is a language tag; `widgetLanguage`:
    /// the one the widget shows, when Baton speaks it (an unusable page or language is
    /// left out: it must not stop the chat from opening).
    case hello(widget: String, token: String?, link: String?, lastSeen: MessageID, user: ClaimedUser?, page: VisitedPage?, language: String?,
               widgetLanguage: String?)
    case message(clientID: String, text: String, action: String?, files: [FileID])
    case typing(active: Bool)
    /// The widget is on another page (a single-page site moved on).
    case page(VisitedPage)
    /// The visitor ends the chat with the agents.
    case end
    /// The visitor rates a chat that ended.
    case rate(ConversationID, ChatRating)
    /// The widget showed the visitor their messages up to this one.
    case seen(MessageID)
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
    /// Reads and validates a text frame.
    static func parse(_ text: String) throws(ProtocolError) -> ClientRequest {
        let frame: ClientFrame
        do {
            frame = try ClientFrame(json: text)
        } catch let wrong as ClientFrame.WrongShape {
            throw .malformed(wrong.field.map { "\"\($0)\" must be \(wrong.expected)" } ?? "a frame is a JSON object")
        } catch {
            throw .malformed("it does not parse as a JSON object")
        }
        guard let type = frame.type else { throw .missing("type", in: "widget") }
        switch type {
        case "hello":
            guard let widget = frame.widget else { throw .missing("widget", in: "hello") }
            return .hello(widget: widget, token: frame.token, link: frame.link, lastSeen: max(0, frame.lastSeen ?? 0),
                          user: try frame.user.map(ClaimedUser.init(validating:)),
                          page: frame.page.flatMap { page in page.url.flatMap { VisitedPage(url: $0, title: page.title) } },
                          language: frame.language.flatMap(Visitor.languageTag),
                          widgetLanguage: frame.widgetLanguage.flatMap { WidgetSettings.languages.contains($0) ? $0 : nil })
        case "message":
            guard let clientID = frame.clientId else { throw .missing("clientId", in: "message") }
            let files = frame.files ?? []
            if let bad = files.first(where: { !FileID.isValid($0) }) {
                let shown = bad.count > 40 ? String(bad.prefix(40)) + "…" : bad
                throw ProtocolError(code: "unknown_file", message: "\"\(shown)\" is not a file id.", clientID: clientID)
            }
            // A message of files alone needs no text.
            guard let text = frame.text ?? (files.isEmpty ? nil : "") else {
                throw ProtocolError(code: "missing_field", message: "A message frame needs the field \"text\".", clientID: clientID)
            }
            return .message(clientID: clientID, text: text, action: frame.action, files: files.map(FileID.init))
        case "typing":
            return .typing(active: frame.active ?? true)
        case "page":
            guard let url = frame.url else { throw .missing("url", in: "page") }
            guard let page = VisitedPage(url: url, title: frame.title) else {
                throw ProtocolError(code: "invalid_page",
                                    message: "A page's url is an absolute http or https address of at most \(VisitedPage.maxURLLength) characters.")
            }
            return .page(page)
        case "end":
            return .end
        case "rate":
            guard let conversation = frame.conversation else { throw .missing("conversation", in: "rate") }
            guard let text = frame.rating else { throw .missing("rating", in: "rate") }
            guard let rating = ChatRating(rawValue: text) else {
                throw ProtocolError(code: "invalid_rating", message: "A rating is \"good\" or \"bad\".")
            }
            return .rate(ConversationID(conversation), rating)
        case "seen":
            guard let upTo = frame.upTo else { throw .missing("upTo", in: "seen") }
            return .seen(max(0, upTo))
        case "ping":
            return .ping
        default:
            let shown = type.count > 40 ? String(type.prefix(40)) + "…" : type
            throw ProtocolError(code: "unknown_type", message: "Unknown frame type \"\(shown)\"; expected hello, message, typing, page, end, rate, seen or ping.")
        }
    }
}

/// The website user a page says is signed in (`hello.user`), checked for form; whether
/// the page may say so is the widget's identity secret's to decide (`IdentityCheck`).
struct ClaimedUser: Equatable {
    /// The website's user id: 1 to 256 characters, no control characters.
    var id: String
    /// HMAC-SHA256 of `id` with the widget's identity secret, 64 hex digits (lowercase here).
    var hash: String
    var name: String?
    var email: String?

    init(id: String, hash: String, name: String? = nil, email: String? = nil) {
        self.id = id
        self.hash = hash
        self.name = name
        self.email = email
    }

    init(validating fields: ClientFrame.UserFields) throws(ProtocolError) {
        func invalid(_ detail: String) -> ProtocolError {
            ProtocolError(code: "invalid_identity", message: "hello.user is not valid: \(detail).")
        }
        guard let id = fields.id, !id.isEmpty, id.unicodeScalars.count <= 256,
              !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw invalid("\"id\" must be 1 to 256 characters without control characters")
        }
        guard let hash = fields.hash?.lowercased(), hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw invalid("\"hash\" must be the HMAC-SHA256 of the id, as 64 hex digits")
        }
        /// Optional details: cleaned as visitor text is, at most `limit` characters, nil when empty.
        func detail(_ value: String?, _ name: String, limit: Int) throws(ProtocolError) -> String? {
            guard let value else { return nil }
            let cleaned = ChatService.clean(value).split(whereSeparator: \.isNewline).joined(separator: " ")
            guard cleaned.unicodeScalars.count <= limit else { throw invalid("\"\(name)\" is longer than \(limit) characters") }
            return cleaned.isEmpty ? nil : cleaned
        }
        self.init(id: id, hash: hash, name: try detail(fields.name, "name", limit: 200), email: try detail(fields.email, "email", limit: 254))
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
    /// The widget's working hours changed while the chat was open (nil: none now).
    case hours(WorkingHours?)
    case pong

    /// How many of the working hours' next changes a welcome names (`widget.hours`): three
    /// days of office hours. Past the last, the header says what it said then until the
    /// next welcome.
    static let hoursChangesSent = 6

    struct Limits: Sendable {
        var maxTextLength: Int
        var messagesPerSecond: Double
        var burst: Int
        /// Files: the largest, how many in a message, and the upload ticket (nil: no files).
        var maxFileBytes: Int
        var maxFilesPerMessage: Int
        var uploadTicket: String?
    }

    var json: String {
        var w = JSONWriter()
        w.object { w in
            switch self {
            case .welcome(let session, let limits):
                w.field("type", "welcome")
                w.field("protocol", WidgetProtocol.version)
                if let token = session.newToken { w.field("token", token) }
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
                    w.field("askForRating", session.widget.settings.askForRating)
                    if let language = session.language { w.field("language", language) }
                    if let hours = session.widget.settings.workingHours { Self.write(hours, to: &w) }
                }
                w.key("messages")
                w.array(session.messages) { w, message in Self.write(message, to: &w) }
                w.field("truncated", session.truncated)
                w.field("identified", session.visitor.externalID != nil)
                if session.linkExpired { w.field("linkExpired", true) }
                w.key("limits")
                w.object { w in
                    w.field("maxTextLength", limits.maxTextLength)
                    w.field("messagesPerSecond", limits.messagesPerSecond)
                    w.field("burst", limits.burst)
                }
                if let ticket = limits.uploadTicket {
                    w.key("files")
                    w.object { w in
                        w.field("upload", String(FileRoutes.uploadPath.dropFirst()))
                        w.field("ticket", ticket)
                        w.field("maxBytes", limits.maxFileBytes)
                        w.field("maxPerMessage", limits.maxFilesPerMessage)
                    }
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
            case .hours(let hours):
                w.field("type", "hours")
                if let hours {
                    Self.write(hours, to: &w)
                } else {
                    w.key("hours")
                    w.array(EmptyCollection<Int>()) { _, _ in }
                }
            case .pong:
                w.field("type", "pong")
            }
        }
        return w.string
    }

    /// The working hours as the widget follows them: when people are back if they are away
    /// now (`awayUntil`, milliseconds since 1970), and the next times the hours close and
    /// open (`hours`), for the header to follow without a reconnect.
    static func write(_ hours: WorkingHours, to w: inout JSONWriter) {
        let now = Date()
        if !hours.isOpen(at: now), let back = hours.nextOpening(after: now) {
            w.field("awayUntil", Int64(back.timeIntervalSince1970 * 1000))
        }
        w.key("hours")
        w.array(hours.changes(after: now, count: hoursChangesSent)) { w, change in
            w.object { w in
                w.field("at", Int64(change.at.timeIntervalSince1970 * 1000))
                w.field("open", change.open)
            }
        }
    }

    static func write(_ conversation: Conversation, to w: inout JSONWriter) {
        w.object { w in
            w.field("id", conversation.id.rawValue)
            w.field("state", conversation.state.rawValue)
            // Whether it went to the agents, and how the visitor rated it: the widget asks
            // for a rating of a chat with the agents that ended.
            w.field("handedOver", conversation.progress.handedOver)
            if let rating = conversation.variable(ChatRating.variable) { w.field("rating", rating) }
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
            if !message.files.isEmpty {
                w.key("files")
                w.array(message.files) { w, file in FileRoutes.write(file, to: &w) }
            }
            if let clientID = message.clientID { w.field("clientId", clientID) }
            if let replaces = message.replaces { w.field("replaces", replaces) }
            if let notice = message.notice {
                w.key("notice")
                w.object { w in
                    w.field("kind", notice.kind.rawValue)
                    if let name = notice.name { w.field("name", name) }
                    if let rating = notice.rating { w.field("rating", rating) }
                }
            }
            w.field("at", message.createdAt)
        }
    }
}
