import BatonBot
import BatonCore
import Foundation
import Hummingbird

/// Bots and their widgets.
extension AdminAPI {
    struct SettingsBody: Codable {
        var title: String?
        var subtitle: String?
        var greeting: String?
        var color: String?
        var avatarURL: String?
        var allowedOrigins: [String]?
        /// Only signed-in website users may chat; absent keeps what is set.
        var identityRequired: Bool?
        /// When people answer; always when absent.
        var workingHours: WorkingHoursBody?
        /// Ask visitors to rate a chat with the agents once it ends; absent keeps what is set.
        var askForRating: Bool?
        /// Email visitors who left the replies they missed; absent keeps what is set.
        var emailMissedReplies: Bool?
        /// The widget's language (`en`, `de`…); null: the bot's, else the page's or
        /// visitor's.
        var language: String?
        /// The fields a request had, null ones included (nil: made here, all of them). A
        /// save keeps what is set for a field it leaves out: a script that renames a bot
        /// must not open its widget to every site by leaving out its allowed origins.
        var given: Set<String>?

        enum CodingKeys: String, CodingKey {
            case title, subtitle, greeting, color, avatarURL, allowedOrigins, identityRequired, workingHours, askForRating,
                 emailMissedReplies, language
        }

        /// Whether the request set `field` (to a value or to null).
        func sets(_ field: CodingKeys) -> Bool { given?.contains(field.rawValue) ?? true }
    }

    /// `{"timeZone": "Europe/Berlin", "days": {"mon": ["09:00-17:00"], …}, "awayMessage": …}`.
    struct WorkingHoursBody: Codable {
        var timeZone: String
        var days: [String: [String]]
        var awayMessage: String?
        var closedDates: [String]?

        init(timeZone: String, days: [String: [String]], awayMessage: String?, closedDates: [String]?) {
            self.timeZone = timeZone
            self.days = days
            self.awayMessage = awayMessage
            self.closedDates = closedDates
        }

        init(_ hours: WorkingHours) {
            var days: [String: [String]] = [:]
            for (index, name) in WorkingHours.weekdays.enumerated() where index < hours.days.count {
                days[name] = hours.days[index].map(\.text)
            }
            self.init(timeZone: hours.timeZone, days: days, awayMessage: hours.awayMessage, closedDates: hours.closedDates)
        }
    }

    struct BotBody: Encodable {
        var key, name, source, botName, embedSnippet, previewURL: String
        /// The language the bot's document declares; absent when it says none.
        var botLanguage: String?
        var settings: SettingsBody
        /// Whether an identity secret is set (the secret itself is shown only when made).
        var identityVerification: Bool
        /// Whether this Baton has a mail server to email visitors with (`BATON_SMTP`).
        var mailServer: Bool
        /// What its emails did last, when it has one.
        var mail: MailBody?
        var createdAt, updatedAt: Int64
    }

    /// The mail server, and when this Baton last emailed a visitor or failed to.
    struct MailBody: Encodable {
        var server: String
        var lastSentAt: Int64?
        var lastFailure: String?
        var lastFailureAt: Int64?
    }

    struct BotSummaryBody: Encodable {
        var key, name, title, color, mattermost: String
        var createdAt, updatedAt: Int64
    }

    func registerBots(on api: RouterGroup<BatonRequestContext>) {
        api.get("bots") { _, _ in
            struct Answer: Encodable { var bots: [BotSummaryBody] }
            var bots: [BotSummaryBody] = []
            for widget in try await services.store.widgets() {
                let botName = (try? await services.bots.widget(forKey: widget.key))?.bot.name ?? widget.name
                bots.append(BotSummaryBody(key: widget.key, name: widget.name, title: widget.settings.title ?? botName, color: widget.settings.color,
                                           mattermost: await mattermostState(widget.key), createdAt: widget.createdAt, updatedAt: widget.updatedAt))
            }
            return try Self.json(Answer(bots: bots))
        }

        api.post("bots") { request, context in
            struct Input: Decodable { var key: String?; var name: String; var source: String?; var settings: SettingsBody? }
            let input = try await Self.decode(Input.self, from: request)
            let name = try Self.botName(input.name), settings = try Self.settings(input.settings ?? SettingsBody())
            // A key chosen from the name: the name's own ("support-desk") while it is free,
            // else with a random ending ("support-desk-x7k2").
            let keys = input.key.map { [$0] } ?? Self.newKeys(from: input.name)
            for (index, key) in keys.enumerated() {
                let last = index == keys.count - 1
                let taken = APIError(.conflict, code: "key_taken", "A bot with the key \"\(key)\" exists already.")
                if let problem = try await BotKeys.problem(with: key, in: services.store) {
                    if last { throw APIError(.conflict, code: "key_taken", problem) } else { continue }
                }
                let now = Millis.now()
                let widget = Widget(key: key, name: name, botSource: input.source ?? Self.template(named: input.name),
                                    settings: settings, createdAt: now, updatedAt: now)
                // Checked again as it is written: of two bots made with one key at once, one is.
                guard try await checked({ try await services.bots.create(widget) != nil }) else { if last { throw taken } else { continue } }
                context.logger.info("Bot created", metadata: ["bot": "\(key)", "admin": "\(context.admin?.email ?? "")"])
                return try await botResponse(widget, request: request, status: .created)
            }
            throw APIError(.conflict, code: "key_taken", "No key could be chosen from the name: give one.")
        }

        api.get("bots/{key}") { request, context in
            try await botResponse(try await widget(context), request: request)
        }

        api.put("bots/{key}") { request, context in
            struct Input: Decodable { var name: String; var source: String; var settings: SettingsBody; var updatedAt: Int64? }
            let input = try await Self.decode(Input.self, from: request)
            var widget = try await widget(context)
            // The version the change was made on: another tab's or admin's save since then
            // would be undone without anyone knowing. Checked as it is written, so that
            // of two saves on the same version only one lands.
            let changedMeanwhile = APIError(.conflict, code: "edited_meanwhile",
                                            "This bot was changed since it was opened here (in another tab, or by another admin). Reload to see that change, then make yours again.")
            if let seen = input.updatedAt, seen != widget.updatedAt { throw changedMeanwhile }
            let basis = widget.updatedAt
            widget.name = try Self.botName(input.name)
            widget.botSource = input.source
            widget.settings = try Self.settings(input.settings, keeping: widget.settings)
            widget.updatedAt = max(Millis.now(), widget.updatedAt + 1)
            guard try await save(widget, ifUpdatedAt: input.updatedAt.map { _ in basis }) else { throw changedMeanwhile }
            return try await botResponse(widget, request: request)
        }

        api.delete("bots/{key}") { _, context in
            let widget = try await widget(context)
            try await services.connections.delete(widgetKey: widget.key)
            try await services.store.deleteTasks(widgetKey: widget.key)
            try await services.bots.delete(key: widget.key)
            services.mattermost.reload()
            context.logger.notice("Bot deleted", metadata: ["bot": "\(widget.key)", "admin": "\(context.admin?.email ?? "")"])
            return Response(status: .noContent)
        }

        // Identity verification: a new secret is shown once, here; the old one stops
        // working at once. Deleting it turns verification off.
        api.post("bots/{key}/identity-secret") { _, context in
            struct Answer: Encodable { var secret: String }
            let secret = IdentityCheck.newSecret()
            let widget = try await change(context) { widget in
                widget.settings.sealedIdentitySecret = try identity.seal(secret, widgetKey: widget.key)
                return true
            }
            context.logger.notice("Identity secret made", metadata: ["bot": "\(widget.key)", "admin": "\(context.admin?.email ?? "")"])
            return try Self.json(Answer(secret: secret))
        }

        api.delete("bots/{key}/identity-secret") { _, context in
            var turnedOff = false
            let widget = try await change(context) { widget in
                turnedOff = widget.settings.sealedIdentitySecret != nil || widget.settings.identityRequired
                widget.settings.sealedIdentitySecret = nil
                widget.settings.identityRequired = false
                return turnedOff
            }
            if turnedOff {
                context.logger.notice("Identity verification turned off", metadata: ["bot": "\(widget.key)", "admin": "\(context.admin?.email ?? "")"])
            }
            return Response(status: .noContent)
        }

        api.post("bots/{key}/check") { request, _ in
            struct Input: Decodable { var source: String }
            struct Answer: Encodable { var ok: Bool; var issues: [APIError.Issue] }
            let input = try await Self.decode(Input.self, from: request)
            let issues: [APIError.Issue]
            do throws(BotDocumentError) {
                _ = try BotDocument.parse(input.source)
                issues = []
            } catch {
                issues = error.issues.map(Self.issue)
            }
            return try Self.json(Answer(ok: issues.isEmpty, issues: issues))
        }

        // How a definition (saved or not) reads a sentence: for tuning intents.
        api.post("bots/{key}/try") { request, _ in
            struct Input: Decodable { var source: String; var text: String }
            struct Score: Encodable { var intent: String; var score: Double }
            struct Answer: Encodable {
                var ok: Bool
                var issues: [APIError.Issue]
                var outcome: String?
                var intent: String?
                var threshold: Double?
                var handoverScore: Double?
                var scores: [Score]?
            }
            let input = try await Self.decode(Input.self, from: request)
            guard !input.text.trimmingWhitespace().isEmpty else {
                throw APIError(.unprocessableContent, code: "invalid_text", "Write a sentence to try.",
                               issues: [.init(path: "text", message: "Write a sentence to try.")])
            }
            let bot: ScriptedBot
            do throws(BotDocumentError) {
                bot = try ScriptedBot(source: input.source)
            } catch {
                return try Self.json(Answer(ok: false, issues: error.issues.map(Self.issue)))
            }
            let reading = bot.explain(input.text)
            func rounded(_ score: Double) -> Double { (score * 1000).rounded() / 1000 }
            return try Self.json(Answer(ok: true, issues: [], outcome: reading.outcome.rawValue, intent: reading.intent,
                                        threshold: reading.threshold, handoverScore: rounded(reading.handoverScore),
                                        scores: reading.scores.prefix(10).map { Score(intent: $0.intent, score: rounded($0.score)) }))
        }
    }

    func widget(_ context: BatonRequestContext) async throws -> Widget {
        guard let key = context.apiParameters["key"], let widget = try await services.store.widget(key: key) else {
            throw APIError(.notFound, code: "unknown_bot", "There is no bot with the key \"\(context.apiParameters["key"] ?? "")\".")
        }
        return widget
    }

    /// Changes part of a bot without undoing another change saved meanwhile: reads it,
    /// lets `body` change it (false: nothing to save) and saves it if no other save came
    /// in between, else starts over.
    private func change(_ context: BatonRequestContext, _ body: (inout Widget) throws -> Bool) async throws -> Widget {
        for _ in 0..<8 {
            let read = try await widget(context)
            var widget = read
            guard try body(&widget) else { return read }
            widget.updatedAt = max(Millis.now(), read.updatedAt + 1)
            if try await save(widget, ifUpdatedAt: read.updatedAt) { return widget }
        }
        throw APIError(.conflict, code: "edited_meanwhile", "This bot is being changed by others at this moment; try again.")
    }

    /// Checks the bot document; saves and uses it at once, or refuses with every problem.
    /// With `basis`: false, and nothing saved, when the bot was saved since.
    @discardableResult
    private func save(_ widget: Widget, ifUpdatedAt basis: Millis? = nil) async throws -> Bool {
        try await checked { try await services.bots.save(widget, ifUpdatedAt: basis) != nil }
    }

    /// Runs a save that checks the bot document; its problems become the API's 422.
    private func checked<T>(_ save: () async throws -> T) async throws -> T {
        do {
            return try await save()
        } catch let error as BotDocumentError {
            throw APIError(.unprocessableContent, code: "invalid_bot",
                           "The bot definition has \(error.issues.count) problem\(error.issues.count == 1 ? "" : "s"): \(error.issues[0].description)",
                           issues: error.issues.map(Self.issue))
        }
    }

    static func issue(_ issue: BotIssue) -> APIError.Issue {
        APIError.Issue(path: issue.path, line: issue.line, column: issue.column, message: issue.message)
    }

    /// This Baton's mail server, and how the emails went lately (whichever Baton sent them).
    private func mailBody() async throws -> MailBody? {
        guard config.mail.isOn, let server = config.mail.server else { return nil }
        let status = try await services.store.mailDelivery()
        return MailBody(server: "\(server)", lastSentAt: status.lastSentAt, lastFailure: status.lastFailure, lastFailureAt: status.lastFailureAt)
    }

    private func botResponse(_ widget: Widget, request: Request, status: HTTPResponse.Status = .ok) async throws -> Response {
        let base = publicBase(for: request)
        let bot = (try? await services.bots.widget(forKey: widget.key))?.bot
        let botName = bot?.name ?? widget.name
        let settings = SettingsBody(title: widget.settings.title, subtitle: widget.settings.subtitle,
                                    greeting: widget.settings.greeting, color: widget.settings.color,
                                    avatarURL: widget.settings.avatarURL, allowedOrigins: widget.settings.allowedOrigins,
                                    identityRequired: widget.settings.identityRequired,
                                    workingHours: widget.settings.workingHours.map(WorkingHoursBody.init),
                                    askForRating: widget.settings.askForRating, emailMissedReplies: widget.settings.emailMissedReplies,
                                    language: widget.settings.language)
        return try Self.json(BotBody(key: widget.key, name: widget.name, source: widget.botSource, botName: botName,
                                     embedSnippet: "<script src=\"\(base)/widget.js\" data-widget=\"\(widget.key)\" async></script>",
                                     previewURL: "/preview/\(widget.key)", botLanguage: bot?.language, settings: settings,
                                     identityVerification: widget.settings.sealedIdentitySecret != nil,
                                     mailServer: config.mail.isOn, mail: try await mailBody(),
                                     createdAt: widget.createdAt, updatedAt: widget.updatedAt), status: status)
    }

    /// The bot's name as the dashboard lists it: trimmed, not blank, on one line, at most
    /// 100 characters (as the API's document says, for `baton bot import` too).
    static func botName(_ text: String) throws -> String {
        let name = text.trimmingWhitespace()
        let problem = name.isEmpty ? "The name must not be blank."
            : name.count > 100 ? "The name is \(name.count) characters long: at most 100, please."
            : controlCharacterProblem(name, label: "The name")
        if let problem {
            throw APIError(.unprocessableContent, code: "invalid_name", problem, issues: [.init(path: "name", message: problem)])
        }
        return name
    }

    /// Whether an address written out may hold `scalar`: ASCII's visible characters but
    /// the quotes, angle brackets, backslash, braces, `|`, `^` and backtick RFC 3986 leaves
    /// out, and beyond ASCII anything but controls, separators and format characters.
    static func mayBeInAddress(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value > 0x20 && scalar.value < 0x7F && !"\"<>\\{}|^`".unicodeScalars.contains(scalar) }
        switch scalar.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: return false
        default: return true
        }
    }

    /// Control characters (C0 and C1; line breaks too, unless `multiline`) show as boxes
    /// or break the line in the widget, the dashboard and Mattermost's posts: refused.
    static func controlCharacterProblem(_ text: String, label: String, multiline: Bool = false) -> String? {
        let found = text.unicodeScalars.first { scalar in
            if multiline && (scalar == "\n" || scalar == "\r" || scalar == "\t") { return false }
            return scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
        }
        func named(_ scalar: Unicode.Scalar) -> String {
            let code = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - code.count)) + code
        }
        // A direction override shows the rest of the line reversed (a name that reads as
        // another's), as in admins' emails and visitors' words, where it is refused or taken out.
        if found == nil, let override = text.unicodeScalars.first(where: { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }) {
            return "\(label) contains a direction override (\(named(override))), which shows text in another order than written: remove it."
        }
        guard let found else { return nil }
        return multiline ? "\(label) contains a control character (\(named(found))): remove it."
            : "\(label) contains a line break or a control character (\(named(found))): write it on one line, without it."
    }

    /// Settings checked beyond what the API document says: the avatar, the origins, and
    /// that only a widget with an identity secret requires signed-in users. The secret is
    /// kept from `current` (it is not part of the body).
    static func settings(_ body: SettingsBody, keeping current: WidgetSettings = .init()) throws -> WidgetSettings {
        var issues: [APIError.Issue] = []
        for (value, field, label, multiline) in [(body.title, "title", "The title", false), (body.subtitle, "subtitle", "The subtitle", false),
                                                 (body.greeting, "greeting", "The greeting", true)] {
            if let value, let problem = controlCharacterProblem(value, label: label, multiline: multiline) {
                issues.append(.init(path: "settings.\(field)", message: problem))
            }
        }
        // The widget's greeting is said before the visitor has said anything: only what a
        // returning (or signed-in) visitor gave before can be known then.
        if let greeting = body.greeting,
           let placeholder = BotMarkdown.placeholders(in: greeting).first(where: { $0 != "name" && $0 != "email" }) {
            let why = ScriptedBot.isVariableName(placeholder)
                ? "would always be empty: the greeting comes before the visitor has answered anything"
                : "is no variable name: it would show as written"
            issues.append(.init(path: "settings.greeting",
                                message: "{{\(placeholder)}} \(why). Only {{name}} and {{email}} can be filled in, for a visitor who gave them before (left out for others)."))
        }
        var avatar = body.avatarURL?.trimmingWhitespace()
        if avatar?.isEmpty == true { avatar = nil }
        // Foundation's URL takes a NUL, quotes and spaces: the address is held to what a
        // URL may hold written out (RFC 3986's characters, non-ASCII as in an IRI), so that
        // any use of it, not only the widget's `img.src`, gets an address.
        if let avatar, !(avatar.hasPrefix("https://") && URL(string: avatar)?.host != nil && avatar.count <= 2048
                         && avatar.unicodeScalars.allSatisfy(Self.mayBeInAddress)) {
            issues.append(.init(path: "settings.avatarURL",
                                message: "The avatar must be an https:// address of an image, written without spaces, quotes, angle brackets or control characters, at most 2048 characters."))
        }
        var origins: [String] = []
        for (index, text) in (body.allowedOrigins ?? []).enumerated() {
            if OriginPolicy.normalise(text).isEmpty { continue }
            guard let origin = OriginPolicy.canonical(text) else {
                issues.append(.init(path: "settings.allowedOrigins[\(index)]",
                                    message: "\"\(text)\" is not an origin: write it like https://www.example.com (scheme, host, and a port from 1 to 65535 if not the default)."))
                continue
            }
            if !origins.contains(origin) { origins.append(origin) }
        }
        let workingHours = body.workingHours.map { Self.workingHours($0, issues: &issues) } ?? nil
        // Language tags are the same in any case: `ZH-HANT` is `zh-Hant`.
        let typed = body.language?.trimmingWhitespace() ?? ""
        let language = WidgetSettings.languages.first { $0.lowercased() == typed.lowercased() }
        if !typed.isEmpty, language == nil {
            let shown = typed.count > 20 ? String(typed.prefix(20)) + "…" : typed
            issues.append(.init(path: "settings.language",
                                message: "The widget does not speak \"\(shown)\": use one of \(WidgetSettings.languages.joined(separator: ", ")), or none for the page's or visitor's language."))
        }
        let identityRequired = body.identityRequired ?? current.identityRequired
        if identityRequired && current.sealedIdentitySecret == nil {
            issues.append(.init(path: "settings.identityRequired",
                                message: "Only signed-in users can be required once identity verification is on: generate an identity secret first."))
        }
        guard issues.isEmpty else {
            throw APIError(.unprocessableContent, code: "invalid_settings", issues[0].message, issues: issues)
        }
        func text(_ value: String?) -> String? {
            guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        // A field the request left out keeps what is set; null (or an empty text or list)
        // clears it.
        return WidgetSettings(title: body.sets(.title) ? text(body.title) : current.title,
                              subtitle: body.sets(.subtitle) ? text(body.subtitle) : current.subtitle,
                              greeting: body.sets(.greeting) ? text(body.greeting) : current.greeting,
                              color: body.sets(.color) ? body.color ?? "#3b5bdb" : current.color,
                              avatarURL: body.sets(.avatarURL) ? avatar : current.avatarURL,
                              allowedOrigins: body.sets(.allowedOrigins) ? origins : current.allowedOrigins,
                              sealedIdentitySecret: current.sealedIdentitySecret, identityRequired: identityRequired,
                              workingHours: body.sets(.workingHours) ? workingHours : current.workingHours,
                              askForRating: body.askForRating ?? current.askForRating,
                              emailMissedReplies: body.emailMissedReplies ?? current.emailMissedReplies,
                              language: body.sets(.language) ? language : current.language)
    }

    /// Working hours as written, checked: a known time zone, ranges like 09:00-17:00 that
    /// do not overlap, and at least one in the week.
    static func workingHours(_ body: WorkingHoursBody, issues: inout [APIError.Issue]) -> WorkingHours? {
        let before = issues.count
        let zone = body.timeZone.trimmingWhitespace()
        // An IANA name: Foundation also takes abbreviations and offsets ("BST", "IST",
        // "GMT+5"), each of which it reads as one zone of several the admin may have meant
        // (BST is Bangladesh there, not British Summer Time).
        if TimeZone(identifier: zone) == nil || !(zone.contains("/") || zone == "UTC" || zone == "GMT") {
            issues.append(.init(path: "settings.workingHours.timeZone",
                                message: "\"\(body.timeZone)\" is not a time zone's name: use one like Europe/Berlin, America/New_York or UTC (abbreviations such as BST or IST name several zones)."))
        }
        // A range past midnight ("22:00-06:00" on Monday) is kept as its two days' parts
        // (Monday 22:00-24:00, Tuesday 00:00-06:00).
        var days = Array(repeating: [WorkingHours.Interval](), count: 7)
        // The part a night carried into the next day, as the admin wrote it, for messages
        // ("Sunday's 22:00-06:00", not the "00:00-06:00" nobody typed on Monday).
        var carried = Array(repeating: [WorkingHours.Interval: String](), count: 7)
        let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        for (day, name) in WorkingHours.weekdays.enumerated() {
            for (index, text) in (body.days[name] ?? []).enumerated() {
                guard let (today, tomorrow) = WorkingHours.Interval.overnight(parsing: text) else {
                    issues.append(.init(path: "settings.workingHours.days.\(name)[\(index)]",
                                        message: "\"\(text)\" is not a range of hours: write it like 09:00-17:00 (24:00 ends the day; 22:00-06:00 runs past midnight)."))
                    continue
                }
                days[day].append(today)
                if let tomorrow {
                    days[(day + 1) % 7].append(tomorrow)
                    carried[(day + 1) % 7][tomorrow] = "\(dayNames[day])'s \(text.trimmingWhitespace())"
                }
            }
        }
        for (day, name) in WorkingHours.weekdays.enumerated() {
            days[day].sort { $0.from < $1.from }
            for (earlier, later) in zip(days[day], days[day].dropFirst()) where later.from < earlier.to {
                let said = { (range: WorkingHours.Interval) in carried[day][range] ?? range.text }
                issues.append(.init(path: "settings.workingHours.days.\(name)", message: "\(said(earlier)) and \(said(later)) overlap."))
            }
            // Ranges that meet are one: Tuesday's "17:00-09:00" and Wednesday's own
            // "09:00-17:00" make Wednesday "00:00-17:00", not "00:00-09:00, 09:00-17:00".
            days[day] = days[day].reduce(into: []) { merged, next in
                if let last = merged.last, last.to == next.from {
                    merged[merged.count - 1].to = next.to
                } else {
                    merged.append(next)
                }
            }
        }
        var closed: [String] = []
        for (index, date) in (body.closedDates ?? []).enumerated() {
            let text = date.trimmingWhitespace()
            guard WorkingHours.isDate(text) else {
                issues.append(.init(path: "settings.workingHours.closedDates[\(index)]", message: "\"\(date)\" is not a date: write it like 2026-12-25."))
                continue
            }
            if !closed.contains(text) { closed.append(text) }
        }
        if issues.count == before, days.allSatisfy(\.isEmpty) {
            issues.append(.init(path: "settings.workingHours.days", message: "No day has opening hours: give at least one, or turn working hours off."))
        }
        // `{{opens}}` is the one placeholder: another would reach visitors as written.
        if let away = body.awayMessage, let unknown = BotMarkdown.placeholders(in: away).first(where: { $0 != "opens" }) {
            issues.append(.init(path: "settings.workingHours.awayMessage",
                                message: "{{\(unknown)}} means nothing here: the away message knows only {{opens}} (when people are back)."))
        }
        guard issues.count == before else { return nil }
        let away = body.awayMessage?.trimmingWhitespace()
        return WorkingHours(timeZone: zone, days: days, awayMessage: away?.isEmpty == false ? away : nil, closedDates: closed.sorted())
    }

    /// The keys a new bot named `name` may get, in turn: "Support Desk" → "support-desk",
    /// then "support-desk-x7k2" and two more random endings (a name without letters or
    /// digits: random keys alone).
    static func newKeys(from name: String) -> [String] {
        var slug = ""
        // Accents taken off their letters ("Ünïcödé" gives "unicode", not "n-c-d"), and the
        // Latin letters that have none to take off written the usual way ("Ørsted" gives
        // "orsted", not "rsted"; "Łódź" "lodz").
        var lowered = name.lowercased()
        for (letter, plain) in Self.latinLetters { lowered = lowered.replacingOccurrences(of: letter, with: plain) }
        let plain = lowered.decomposedStringWithCanonicalMapping
        for scalar in plain.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        slug = String(slug.prefix(40))
        while slug.hasSuffix("-") { slug.removeLast() }
        let random = (0..<3).map { _ in slug + (slug.isEmpty ? "" : "-") + RandomID.make(length: 4) }
        return (slug.isEmpty ? [] : [slug]) + random
    }

    /// Lower-case Latin letters without a canonical decomposition, as they are usually
    /// written in ASCII.
    static let latinLetters: KeyValuePairs<String, String> = [
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n",
    ]

    /// A small working bot to start from.
    static func template(named name: String) -> String {
        let quoted = String(decoding: (try? JSONEncoder().encode(name.trimmingWhitespace().prefix(64).description)) ?? Data("\"Bot\"".utf8), as: UTF8.self)
        return """
            # Your bot. The format is described in docs/bot-format.md.
            name: \(quoted)
            greeting:
              text: Hi! How can I help you?
              buttons:
                - Opening hours
                - title: Talk to a person
                  action: handover

            settings:
              fallback: Sorry, I didn't get that. You can ask about our opening hours, or talk to a person.
              handoverFlow: contact

            intents:
              - name: hours
                examples: [when are you open, opening hours, are you open on weekends]
                keywords: [hours, open]
                answer: We're open Monday to Friday, 9:00 to 17:00.

            flows:
              contact:
                - ask: What's your name?
                  save: name
                - ask: And your email address?
                  save: email
                  type: email

            """
    }

    func mattermostState(_ key: String) async -> String {
        guard await services.mattermost.isConnected(widgetKey: key) else { return "none" }
        guard let status = services.mattermost.status(widgetKey: key) else { return "connecting" }
        if status.state != .connected, status.lastError != nil { return "error" }
        return status.state.rawValue
    }
}

extension AdminAPI.SettingsBody {
    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        title = try fields.decodeIfPresent(String.self, forKey: .title)
        subtitle = try fields.decodeIfPresent(String.self, forKey: .subtitle)
        greeting = try fields.decodeIfPresent(String.self, forKey: .greeting)
        color = try fields.decodeIfPresent(String.self, forKey: .color)
        avatarURL = try fields.decodeIfPresent(String.self, forKey: .avatarURL)
        allowedOrigins = try fields.decodeIfPresent([String].self, forKey: .allowedOrigins)
        identityRequired = try fields.decodeIfPresent(Bool.self, forKey: .identityRequired)
        workingHours = try fields.decodeIfPresent(AdminAPI.WorkingHoursBody.self, forKey: .workingHours)
        askForRating = try fields.decodeIfPresent(Bool.self, forKey: .askForRating)
        emailMissedReplies = try fields.decodeIfPresent(Bool.self, forKey: .emailMissedReplies)
        language = try fields.decodeIfPresent(String.self, forKey: .language)
        given = Set(fields.allKeys.map(\.rawValue))
    }
}
