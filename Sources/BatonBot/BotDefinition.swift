import BatonCore
import Synchronization

/// A bot as written by an admin (docs/bot-format.md). Decoded from YAML or JSON; every
/// part that can be wrong remembers its line so errors point at it.
public struct BotDefinition: Sendable, Decodable {
    public var name: String
    /// The language the bot speaks: its defaults' and how it reads the visitor.
    public var language: BotLanguage
    /// Whether the document says the language (else English is assumed, and the widget
    /// speaks the page's or the browser's).
    public var declaresLanguage: Bool
    public var greeting: BotText
    public var settings: BotSettings
    public var intents: [Intent]
    public var flows: [String: [Step]]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, language, greeting, settings, intents, flows }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        if let code = try c.decodeIfPresent(String.self, forKey: .language) {
            guard let language = BotLanguage.named(code.trimmingWhitespace()) else {
                throw DecodingError.dataCorruptedError(forKey: .language, in: c, debugDescription:
                    "a bot speaks one of: \(BotLanguage.codes.joined(separator: ", "))")
            }
            self.language = language
            declaresLanguage = true
        } else {
            language = .english
            declaresLanguage = false
        }
        greeting = try c.decode(BotText.self, forKey: .greeting)
        settings = BotSettings(try c.decodeIfPresent(BotSettings.Written.self, forKey: .settings), texts: language.texts)
        intents = try c.decodeIfPresent([Intent].self, forKey: .intents) ?? []
        flows = try c.decodeIfPresent([String: [Step]].self, forKey: .flows) ?? [:]
    }
}

/// A text with optional quick-reply buttons. Written as a plain string, or as
/// `{text, buttons}`.
public struct BotText: Sendable, Decodable, Hashable {
    public var text: String
    public var buttons: [Button]

    public init(text: String, buttons: [Button] = []) {
        self.text = text
        self.buttons = buttons
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case text, buttons }

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(text: text)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        self.init(text: try c.decode(String.self, forKey: .text),
                  buttons: try c.decodeIfPresent([Button].self, forKey: .buttons) ?? [])
    }
}

/// A quick-reply button: a string (sends its title), or `{title, action}` where action is
/// `handover`, `flow:NAME` or `intent:NAME`.
public struct Button: Sendable, Decodable, Hashable {
    public var title: String
    public var action: String?

    public init(title: String, action: String? = nil) {
        self.title = title
        self.action = action
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case title, action }

    public init(from decoder: any Decoder) throws {
        if let title = try? decoder.singleValueContainer().decode(String.self) {
            self.init(title: title)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        self.init(title: try c.decode(String.self, forKey: .title), action: try c.decodeIfPresent(String.self, forKey: .action))
    }

    var quickReply: QuickReply { QuickReply(title: title, action: action) }
}

/// How the bot behaves when it does not understand, and how it hands over. A text the
/// document leaves out is the bot's language's (`BotTexts`).
public struct BotSettings: Sendable, Hashable {
    /// Lowest match score (0 to 1) at which an intent counts as understood.
    public var threshold: Double = 0.6
    /// Misunderstandings in a row that trigger a handover.
    public var maxMisunderstandings: Int = 2
    /// Said when no intent matches.
    public var fallback: String
    /// Phrases that ask for a person, matched like intents.
    public var handoverTriggers: [String]
    /// A flow whose questions are asked before every handover (skipped when answered).
    public var handoverFlow: String?
    /// Said when the visitor sends files while a question waits for its answer (before
    /// the question is asked again: a file, or its caption, is not the answer).
    public var fileReceived: String
    /// Said when the conversation is handed over and agents are reachable.
    public var handoverMessage: String
    /// Said when the conversation is handed over but no agent side is connected.
    public var noAgentsMessage: String
    /// Messages that leave a question unanswered, its flow with it ("cancel"), matched
    /// whole (case, accents and punctuation aside).
    public var cancelTriggers: [String]
    /// Said when the visitor left a question so.
    public var cancelMessage: String

    /// The defaults, in the language of `texts`.
    public init(texts: BotTexts = BotLanguage.english.texts) {
        fallback = texts.fallback
        handoverTriggers = texts.handoverTriggers
        fileReceived = texts.fileReceived
        handoverMessage = texts.handoverMessage
        noAgentsMessage = texts.noAgentsMessage
        cancelTriggers = texts.cancelTriggers
        cancelMessage = texts.cancelled
    }

    /// The settings as the document has them, over the defaults in the language of `texts`.
    init(_ written: Written?, texts: BotTexts) {
        self.init(texts: texts)
        guard let written else { return }
        threshold = written.threshold ?? threshold
        maxMisunderstandings = written.maxMisunderstandings ?? maxMisunderstandings
        fallback = written.fallback ?? fallback
        fileReceived = written.fileReceived ?? fileReceived
        handoverTriggers = written.handoverTriggers ?? handoverTriggers
        handoverFlow = written.handoverFlow
        handoverMessage = written.handoverMessage ?? handoverMessage
        noAgentsMessage = written.noAgentsMessage ?? noAgentsMessage
        cancelTriggers = written.cancelTriggers ?? cancelTriggers
        cancelMessage = written.cancelMessage ?? cancelMessage
    }

    /// `settings:` as written: what is absent takes the default.
    struct Written: Decodable {
        var threshold: Double?
        var maxMisunderstandings: Int?
        var fallback, fileReceived: String?
        var handoverTriggers, cancelTriggers: [String]?
        var handoverFlow, handoverMessage, noAgentsMessage, cancelMessage: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case threshold, maxMisunderstandings, fallback, fileReceived, handoverTriggers, handoverFlow, handoverMessage, noAgentsMessage,
                 cancelTriggers, cancelMessage
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            threshold = try c.decodeIfPresent(Double.self, forKey: .threshold)
            maxMisunderstandings = try c.decodeIfPresent(Int.self, forKey: .maxMisunderstandings)
            fallback = try c.decodeIfPresent(String.self, forKey: .fallback)
            fileReceived = try c.decodeIfPresent(String.self, forKey: .fileReceived)
            handoverTriggers = try c.decodeIfPresent([String].self, forKey: .handoverTriggers)
            handoverFlow = try c.decodeIfPresent(String.self, forKey: .handoverFlow)
            handoverMessage = try c.decodeIfPresent(String.self, forKey: .handoverMessage)
            noAgentsMessage = try c.decodeIfPresent(String.self, forKey: .noAgentsMessage)
            cancelTriggers = try c.decodeIfPresent([String].self, forKey: .cancelTriggers)
            cancelMessage = try c.decodeIfPresent(String.self, forKey: .cancelMessage)
        }
    }
}

/// Something the bot understands: example phrases and keywords → an answer.
public struct Intent: Sendable, Decodable, Hashable {
    public var name: String
    public var examples: [String]
    public var keywords: [String]
    public var answer: String?
    public var buttons: [Button]
    /// A flow to run after answering.
    public var then: String?
    /// Hand over after answering.
    public var handover: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case name, examples, keywords, answer, buttons, then, handover }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        examples = try c.decodeIfPresent([String].self, forKey: .examples) ?? []
        keywords = try c.decodeIfPresent([String].self, forKey: .keywords) ?? []
        answer = try c.decodeIfPresent(String.self, forKey: .answer)
        buttons = try c.decodeIfPresent([Button].self, forKey: .buttons) ?? []
        then = try c.decodeIfPresent(String.self, forKey: .then)
        handover = try c.decodeIfPresent(Bool.self, forKey: .handover) ?? false
    }
}

/// The kinds of answer a question accepts.
public enum AnswerType: String, Sendable, Decodable, Hashable, CaseIterable {
    case text, email, phone, choice
}

/// A question of a flow: asks, validates, re-asks on a bad answer, stores the answer.
public struct Question: Sendable, Hashable {
    public var ask: String
    /// The variable the answer is stored in (`name`, `email`, `topic`...).
    public var save: String
    public var type: AnswerType
    public var choices: [String]
    /// Said before asking again after a bad answer; a default per type (in the bot's
    /// language) otherwise.
    public var retry: String?
    /// What a text answer must match, whole (`AnswerPattern`).
    var pattern: AnswerPattern?
}

/// One step of a flow.
public enum Step: Sendable, Decodable, Hashable {
    case say(BotText)
    case ask(Question)
    /// Hand over, optionally saying something first.
    case handover(String?)
    /// Continue with another flow.
    case goto(String)

    enum CodingKeys: String, CodingKey, CaseIterable { case say, buttons, ask, save, type, choices, retry, pattern, handover, goto }

    /// `type:`, with a message that names the valid types when it is none of them (the
    /// question is then read as a text one, to find the document's other problems).
    private static func answerType(_ c: KeyedDecodingContainer<CodingKeys>, _ decoder: any Decoder) throws -> AnswerType {
        guard let text = try c.decodeIfPresent(String.self, forKey: .type) else { return .text }
        guard let type = AnswerType(rawValue: text) else {
            try DecodingProblems.report(in: decoder, at: c.codingPath + [CodingKeys.type],
                                        "unknown type \"\(text)\" (expected one of: \(AnswerType.allCases.map(\.rawValue).joined(separator: ", ")))")
            return .text
        }
        return type
    }

    /// `pattern:`, with what is wrong with it when it cannot be used (then left out, to
    /// find the document's other problems).
    private static func pattern(_ c: KeyedDecodingContainer<CodingKeys>, _ decoder: any Decoder) throws -> AnswerPattern? {
        guard let text = try c.decodeIfPresent(String.self, forKey: .pattern) else { return nil }
        let path = c.codingPath + [CodingKeys.pattern]
        guard text.count <= 200 else {
            try DecodingProblems.report(in: decoder, at: path, "a pattern is at most 200 characters")
            return nil
        }
        do {
            return try AnswerPattern(text)
        } catch {
            try DecodingProblems.report(in: decoder, at: path, "this pattern cannot be used: \(error.reason)")
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        let kinds = [CodingKeys.say, .ask, .handover, .goto].filter { c.contains($0) }
        guard kinds.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "a step has exactly one of say, ask, handover or goto"))
        }
        switch kinds[0] {
        case .say:
            self = .say(BotText(text: try c.decode(String.self, forKey: .say),
                                buttons: try c.decodeIfPresent([Button].self, forKey: .buttons) ?? []))
        case .ask:
            self = .ask(Question(ask: try c.decode(String.self, forKey: .ask),
                                 save: try c.decode(String.self, forKey: .save),
                                 type: try Self.answerType(c, decoder),
                                 choices: try c.decodeIfPresent([String].self, forKey: .choices) ?? [],
                                 retry: try c.decodeIfPresent(String.self, forKey: .retry),
                                 pattern: try Self.pattern(c, decoder)))
        case .handover:
            // `handover: true` or `handover: "text to say"`
            if let flag = try? c.decode(Bool.self, forKey: .handover) {
                guard flag else {
                    throw DecodingError.dataCorruptedError(forKey: .handover, in: c, debugDescription: "handover: false does nothing; remove the step")
                }
                self = .handover(nil)
            } else {
                self = .handover(try c.decode(String.self, forKey: .handover))
            }
        default:
            self = .goto(try c.decode(String.self, forKey: .goto))
        }
    }
}

/// Refuses keys a type does not know, so a typo (`anwser:`) is an error, not silence.
private func rejectUnknownKeys<K: CodingKey & CaseIterable>(_ decoder: any Decoder, allowed: K.Type) throws {
    let known = Set(K.allCases.map(\.stringValue))
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        let expected = K.allCases.map(\.stringValue).joined(separator: ", ")
        try DecodingProblems.report(in: decoder, at: decoder.codingPath + [key],
                                    "unknown field \"\(key.stringValue)\" (expected one of: \(expected))", unknownField: true)
    }
}

/// Problems found while decoding a definition that need not stop it: an unknown field
/// (left out) or an unknown value with an obvious stand-in. `BotDocument` collects them
/// (through the decoder's `userInfo`) and goes on, so that one round shows every problem
/// of the document, with the validator's; without a collector each is thrown as before.
final class DecodingProblems: Sendable {
    static let key = CodingUserInfoKey(rawValue: "baton.decodingProblems")!
    private let noted = Mutex<(issues: [BotIssue], withUnknownFields: Set<String>)>(([], []))

    /// What was noted, in the order found.
    var found: [BotIssue] { noted.withLock { $0.issues } }
    /// The paths of the parts that hold an unknown field (`intents[0]` for
    /// `intents[0].anwser`).
    var withUnknownFields: Set<String> { noted.withLock { $0.withUnknownFields } }

    /// Notes the problem at `path` when `decoder` collects them; else throws it.
    static func report(in decoder: any Decoder, at path: [any CodingKey], _ message: String, unknownField: Bool = false) throws {
        guard let problems = decoder.userInfo[key] as? DecodingProblems else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: message))
        }
        problems.noted.withLock { noted in
            noted.issues.append(BotIssue(path: BotDocument.pathString(path), message: message))
            if unknownField { noted.withUnknownFields.insert(BotDocument.pathString(path.dropLast())) }
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
