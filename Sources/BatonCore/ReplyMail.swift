import Foundation

/// An email telling a visitor what the agents answered after they left: the replies
/// they did not see, in the widget's language, and where to go on with the chat.
public struct ReplyMail: Sendable, Hashable {
    /// The visitor's address, checked (`ReplyMail.isAddress`).
    public var to: String
    /// Who the email comes from, by name: the widget's title, else the bot's name.
    public var senderName: String
    public var subject: String
    /// Plain text, lines separated by `\n`.
    public var body: String
    /// The language it is written in (one of `WidgetSettings.languages`).
    public var language: String

    public init(to: String, senderName: String, subject: String, body: String, language: String) {
        self.to = to
        self.senderName = senderName
        self.subject = subject
        self.body = body
        self.language = language
    }

    /// `text` as an address the email can go to: trimmed, in Unicode's composed form (NFC),
    /// a domain in other letters in its ASCII form (`grace@müller.de` →
    /// `grace@xn--mller-kva.de`); nil when it is no address (`isAddress`).
    public static func deliverableAddress(_ text: String) -> String? {
        let text = text.trimmingWhitespace().precomposedStringWithCanonicalMapping
        guard let at = text.lastIndex(of: "@") else { return nil }
        let domain = String(text[text.index(after: at)...])
        let ascii = domain.unicodeScalars.allSatisfy({ $0.isASCII }) ? domain : Punycode.asciiDomain(domain)
        guard let ascii else { return nil }
        let address = String(text[..<at]) + "@" + ascii
        return isAddress(address) ? address : nil
    }

    /// Whether `text` can be an email address in a mail header: one `@` with something on
    /// each side, an ASCII domain with a dot, at most 254 bytes (64 before the `@`), and
    /// nothing that could end a header or an address (spaces, control characters,
    /// `<>()[],;:"\`). Before the `@` letters other than ASCII may be (`grâce@…`: such
    /// an address goes only through a mail server that offers SMTPUTF8), but no invisible
    /// or formatting characters (a right-to-left override would show another address).
    public static func isAddress(_ text: String) -> Bool {
        guard (3...254).contains(text.utf8.count) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, parts[1].utf8.allSatisfy({ $0 < 0x80 }),
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        let forbidden = Set("<>()[],;:\"\\ ".unicodeScalars)
        return text.unicodeScalars.allSatisfy { scalar in
            if scalar.isASCII { return !forbidden.contains(scalar) && scalar.value > 0x20 && scalar.value != 0x7F }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
                 .connectorPunctuation, .dashPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                return true
            default:
                return false
            }
        }
    }

    /// Whether an address needs a mail server that offers SMTPUTF8 (RFC 6531): letters
    /// other than ASCII before its `@`.
    public static func needsSMTPUTF8(_ address: String) -> Bool { !address.utf8.allSatisfy { $0 < 0x80 } }
}

/// Why an email could not be sent.
public enum MailFailure: Error, Equatable, CustomStringConvertible {
    /// Worth trying again later: the mail server could not be reached, or answered with a
    /// temporary refusal (4xx).
    case temporary(String)
    /// Trying again would not help: the server refused the address or the message (5xx).
    case permanent(String)

    public var description: String {
        switch self {
        case .temporary(let reason), .permanent(let reason): reason
        }
    }
}

/// Sends email (BatonMail's SMTP client; a recorder in tests).
public protocol Mailer: Sendable {
    /// Sends `mail`; throws `MailFailure`.
    func send(_ mail: ReplyMail) async throws
}

/// A conversation whose visitor may not have seen the agents' newest reply, as the store
/// finds it: whether it is mailed is decided against what the visitor saw and what was
/// mailed before.
public struct UnseenReplies: Sendable, Hashable {
    public var conversationID: ConversationID
    /// The newest agent message (not a correction).
    public var newestReply: MessageID
    /// The newest message the visitor's widget showed them (0: none).
    public var seen: MessageID
    /// The newest message emailed to them (0: none).
    public var mailed: MessageID
    /// Failed tries of the email now due.
    public var attempts: Int

    public init(conversationID: ConversationID, newestReply: MessageID, seen: MessageID, mailed: MessageID, attempts: Int = 0) {
        self.conversationID = conversationID
        self.newestReply = newestReply
        self.seen = seen
        self.mailed = mailed
        self.attempts = attempts
    }

    /// Whether there is a reply the visitor neither saw nor got by email.
    public var hasNews: Bool { newestReply > max(seen, mailed) }
}

/// What Baton keeps to email visitors the replies they missed (docs/configuration.md,
/// "Email").
public protocol ReplyMailStore: Sendable {
    /// The visitor's widget showed them the messages of `conversation` up to `message`.
    func markRepliesSeen(in conversation: ConversationID, upTo message: MessageID) async throws
    /// Handed-over conversations last changed after `after` and at or before `until`, with
    /// their newest agent message, what the visitor saw and what was mailed.
    func unseenReplies(changedAfter after: Millis, until: Millis, limit: Int) async throws -> [UnseenReplies]
    /// Emails that failed for a while and are due again by `now`.
    func replyMailRetries(dueBy now: Millis, limit: Int) async throws -> [UnseenReplies]
    /// Records that the messages up to `upTo` are being mailed, when the record still says
    /// what `unseen` read (the visitor saw nothing more meanwhile, and another process did
    /// not take them); false otherwise. The retry, if any, is cleared.
    func claimReplyMail(_ unseen: UnseenReplies, upTo: MessageID) async throws -> Bool
    /// The email of the replies up to `upTo` failed: the record goes back to `mailed`, to
    /// be tried again at `retryAt` (nil: not again), after `attempts` tries.
    func replyMailFailed(_ conversation: ConversationID, upTo: MessageID, mailed: MessageID, attempts: Int, retryAt: Millis?) async throws

    /// How the emails went lately, whichever Baton sent them.
    func mailDelivery() async throws -> MailDelivery
    /// An email went at `time`.
    func recordMailSent(at time: Millis) async throws
    /// An email failed at `time`, for `reason` (in words, without passwords).
    func recordMailFailure(_ reason: String, at time: Millis) async throws
}

/// When an email of missed replies last went, and the last failure: the dashboard shows
/// them, so that a mail server that refuses Baton is seen without reading the log.
public struct MailDelivery: Sendable, Hashable {
    public var lastSentAt: Millis?
    public var lastFailure: String?
    public var lastFailureAt: Millis?

    public init(lastSentAt: Millis? = nil, lastFailure: String? = nil, lastFailureAt: Millis? = nil) {
        self.lastSentAt = lastSentAt
        self.lastFailure = lastFailure
        self.lastFailureAt = lastFailureAt
    }
}
