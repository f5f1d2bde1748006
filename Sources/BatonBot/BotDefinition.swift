import BatonCore

/// A bot as written by an admin (docs/bot-format.md). Decoded from YAML or JSON; every
/// part that can be wrong remembers its line so errors point at it.
public struct BotDefinition: Sendable, Decodable {
    public var name: String
    public var greeting: BotText
    public var settings: BotSettings
    public var intents: [Intent]
    public var flows: [String: [Step]]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, greeting, settings, intents, flows }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        greeting = try c.decode(BotText.self, forKey: .greeting)
        settings = try c.decodeIfPresent(BotSettings.self, forKey: .settings) ?? BotSettings()
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

/// How the bot behaves when it does not understand, and how it hands over.
public struct BotSettings: Sendable, Decodable, Hashable {
    /// Lowest match score (0 to 1) at which an intent counts as understood.
    public var threshold: Double = 0.6
    /// Misunderstandings in a row that trigger a handover.
    public var maxMisunderstandings: Int = 2
    /// Said when no intent matches.
    public var fallback: String = "Sorry, I didn't understand that. Could you say it another way?"
    /// Phrases that ask for a person, matched like intents.
    public var handoverTriggers: [String] = ["talk to a human", "talk to a person", "speak to a human", "speak to a person",
                                             "real person", "human agent", "live agent", "talk to an agent",
                                             "talk to someone", "customer service", "operator"]
    /// A flow whose questions are asked before every handover (skipped when answered).
    public var handoverFlow: String?
    /// Said when the visitor sends files while a question waits for its answer (before
    /// the question is asked again: a file, or its caption, is not the answer).
    public var fileReceived: String = "Thanks, I've got your file."
    /// Said when the conversation is handed over and agents are reachable.
    public var handoverMessage: String = "I'm connecting you with a person. They'll answer here shortly."
    /// Said when the conversation is handed over but no agent side is connected.
    public var noAgentsMessage: String = "Nobody is available to chat right now. Leave your message here and we'll get back to you."

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case threshold, maxMisunderstandings, fallback, fileReceived, handoverTriggers, handoverFlow, handoverMessage, noAgentsMessage
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try rejectUnknownKeys(decoder, allowed: CodingKeys.self)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? threshold
        maxMisunderstandings = try c.decodeIfPresent(Int.self, forKey: .maxMisunderstandings) ?? maxMisunderstandings
        fallback = try c.decodeIfPresent(String.self, forKey: .fallback) ?? fallback
        fileReceived = try c.decodeIfPresent(String.self, forKey: .fileReceived) ?? fileReceived
        handoverTriggers = try c.decodeIfPresent([String].self, forKey: .handoverTriggers) ?? handoverTriggers
        handoverFlow = try c.decodeIfPresent(String.self, forKey: .handoverFlow)
        handoverMessage = try c.decodeIfPresent(String.self, forKey: .handoverMessage) ?? handoverMessage
        noAgentsMessage = try c.decodeIfPresent(String.self, forKey: .noAgentsMessage) ?? noAgentsMessage
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
    /// Said before asking again after a bad answer; a default per type otherwise.
    public var retry: String?
}

/// One step of a flow.
public enum Step: Sendable, Decodable, Hashable {
    case say(BotText)
    case ask(Question)
    /// Hand over, optionally saying something first.
    case handover(String?)
    /// Continue with another flow.
    case goto(String)

    enum CodingKeys: String, CodingKey, CaseIterable { case say, buttons, ask, save, type, choices, retry, handover, goto }

    /// `type:`, with a message that names the valid types when it is none of them.
    private static func answerType(_ c: KeyedDecodingContainer<CodingKeys>) throws -> AnswerType {
        guard let text = try c.decodeIfPresent(String.self, forKey: .type) else { return .text }
        guard let type = AnswerType(rawValue: text) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription:
                "unknown type \"\(text)\" (expected one of: \(AnswerType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return type
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
                                 type: try Self.answerType(c),
                                 choices: try c.decodeIfPresent([String].self, forKey: .choices) ?? [],
                                 retry: try c.decodeIfPresent(String.self, forKey: .retry)))
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
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key],
            debugDescription: "unknown field \"\(key.stringValue)\" (expected one of: \(expected))"))
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
