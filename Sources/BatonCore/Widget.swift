/// A chat widget a website embeds, and the bot that answers in it. `key` is public: it
/// appears in the embed snippet.
public struct Widget: Sendable, Codable, Hashable {
    public var key: String
    public var name: String
    /// The bot definition as the admin wrote it (YAML or JSON, see docs/bot-format.md).
    public var botSource: String
    public var settings: WidgetSettings
    public var createdAt: Millis
    public var updatedAt: Millis

    public init(key: String, name: String, botSource: String, settings: WidgetSettings = .init(),
                createdAt: Millis, updatedAt: Millis) {
        self.key = key
        self.name = name
        self.botSource = botSource
        self.settings = settings
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether `key` has the form of a widget key: 1 to 64 of `a-z A-Z 0-9 _ -`.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 64 && key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F
        }
    }
}

/// How a widget looks and where it may run.
public struct WidgetSettings: Sendable, Codable, Hashable {
    /// The panel's title; the bot's name when nil.
    public var title: String?
    /// A line under the title ("We reply in minutes").
    public var subtitle: String?
    /// The first thing the bot says in this widget, instead of its own greeting text (the
    /// greeting's buttons stay); the bot's greeting when nil.
    public var greeting: String?
    /// The launcher and header colour, `#rrggbb`.
    public var color: String
    /// An https:// image shown for the bot.
    public var avatarURL: String?
    /// Origins (`https://example.com`) allowed to embed the widget; empty allows any.
    public var allowedOrigins: [String]
    /// Identity verification is on: the secret the website signs its users' ids with,
    /// encrypted at rest (as Mattermost credentials are; base64). Nil when off.
    public var sealedIdentitySecret: String?
    /// Only signed-in, verified website users may chat (needs the secret).
    public var identityRequired: Bool
    /// When people answer; always, when nil.
    public var workingHours: WorkingHours?
    /// When a chat with the agents ends, the widget asks the visitor to rate it (good or
    /// bad); the agents see the answer.
    public var askForRating: Bool
    /// A visitor who gave an email address and left gets the agents' replies they did not
    /// see by email (when Baton has a mail server; docs/configuration.md, "Email").
    public var emailMissedReplies: Bool
    /// The language of the widget's own words and notices, one of `languages`; nil: the
    /// page's or the visitor's (see docs/widget.md, "Language").
    public var language: String?

    /// The languages the widget speaks (`Public/languages/` has their words, one file each).
    public static let languages = ["en", "ar", "de", "es", "fa", "fr", "he", "id", "it", "ja", "ko", "nl", "pl", "pt", "ru", "tr", "uk", "zh", "zh-Hant"]

    /// The widget's language for a BCP 47 tag, in any case: its primary subtag (`pt-BR` and
    /// `pt_BR` are `pt`), but Chinese in traditional characters (`zh-Hant`, or Taiwan's,
    /// Hong Kong's or Macau's without `Hans`: `zh-TW`) is `zh-Hant`; nil for a language the
    /// widget does not speak. (widget.js reads a page's and a browser's tags the same way.)
    public static func language(forTag tag: String) -> String? {
        let parts = tag.trimmingWhitespace().lowercased().split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "_" })
            .map(String.init)
        guard let primary = parts.first else { return nil }
        if primary == "zh", !parts.contains("hans"), parts.contains("hant") || parts.contains(where: ["tw", "hk", "mo"].contains) {
            return "zh-Hant"
        }
        // The old codes of Hebrew and Indonesian, still in some pages and browsers.
        let code = ["iw": "he", "in": "id"][primary] ?? primary
        return languages.contains(code) ? code : nil
    }

    /// The language the widget is told to speak: its Language, else the one its bot says
    /// it speaks; nil lets the widget take the page's or the browser's.
    public func language(botLanguage: String?) -> String? { language ?? botLanguage }

    public init(title: String? = nil, subtitle: String? = nil, greeting: String? = nil, color: String = "#3b5bdb",
                avatarURL: String? = nil, allowedOrigins: [String] = [], sealedIdentitySecret: String? = nil,
                identityRequired: Bool = false, workingHours: WorkingHours? = nil, askForRating: Bool = true,
                emailMissedReplies: Bool = true, language: String? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.greeting = greeting
        self.color = color
        self.avatarURL = avatarURL
        self.allowedOrigins = allowedOrigins
        self.sealedIdentitySecret = sealedIdentitySecret
        self.identityRequired = identityRequired
        self.workingHours = workingHours
        self.askForRating = askForRating
        self.emailMissedReplies = emailMissedReplies
        self.language = language
    }

    enum CodingKeys: String, CodingKey {
        case title, subtitle, greeting, color, avatarURL, allowedOrigins, sealedIdentitySecret, identityRequired, workingHours, askForRating,
            emailMissedReplies, language
    }

    /// Settings stored by older versions lack newer fields: they get their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        subtitle = try c.decodeIfPresent(String.self, forKey: .subtitle)
        greeting = try c.decodeIfPresent(String.self, forKey: .greeting)
        color = try c.decodeIfPresent(String.self, forKey: .color) ?? "#3b5bdb"
        avatarURL = try c.decodeIfPresent(String.self, forKey: .avatarURL)
        allowedOrigins = try c.decodeIfPresent([String].self, forKey: .allowedOrigins) ?? []
        sealedIdentitySecret = try c.decodeIfPresent(String.self, forKey: .sealedIdentitySecret)
        identityRequired = try c.decodeIfPresent(Bool.self, forKey: .identityRequired) ?? false
        workingHours = try c.decodeIfPresent(WorkingHours.self, forKey: .workingHours)
        askForRating = try c.decodeIfPresent(Bool.self, forKey: .askForRating) ?? true
        emailMissedReplies = try c.decodeIfPresent(Bool.self, forKey: .emailMissedReplies) ?? true
        language = try c.decodeIfPresent(String.self, forKey: .language)
    }
}

/// The version of Baton, as `baton --version` prints it.
public enum BatonVersion {
    public static let current = "0.1.0"
}
