import BatonBot
import BatonCore
import BatonStore
import Foundation
import Logging

/// `baton bot`: bot definitions as files, for admins who keep them with the rest of their
/// configuration (in version control, checked before they go live). Works on the database
/// directly, as `baton admin` does; a running Baton uses a changed bot within seconds
/// (`BotLibrary` checks the store again after its `ttl`).
public struct BotFiles: Sendable {
    let config: BatonConfiguration
    let logger: Logger

    /// The largest definition file read: the admin API's limit on a request's body.
    public static let maximumBytes = 1 << 20

    public init(config: BatonConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The problems of a bot definition, one line each as compilers and editors write them
    /// (`FILE:LINE:COLUMN: message`); empty when the definition may be saved.
    public static func problems(of source: String, file: String) -> [String] {
        do {
            _ = try ScriptedBot(source: source)
            return []
        } catch let error as BotDocumentError {
            return error.issues.map { issue in
                let place = [issue.line, issue.column].compactMap { $0 }.map(String.init).joined(separator: ":")
                let path = issue.path.isEmpty ? "" : "\(issue.path): "
                return "\(file):\(place.isEmpty ? "" : place + ":") \(path)\(issue.message)"
            }
        } catch {
            return ["\(file): \(error)"]
        }
    }

    /// One line per bot: key, name, when it was last changed.
    public func list() async throws -> String {
        try await withStore { store in
            let widgets = try await store.widgets()
            guard !widgets.isEmpty else { return "No bots yet: `baton serve` makes the demo bot at its first start, or `baton bot import FILE --key KEY` one of yours." }
            return widgets.map { "\($0.key)  \($0.name)  changed \(MattermostAdmin.format($0.updatedAt))" }.joined(separator: "\n")
        }
    }

    /// The bot's definition as stored (YAML, as written in the dashboard's editor).
    public func export(key: String) async throws -> String {
        try await withStore { store in
            guard let widget = try await store.widget(key: key) else { throw Self.unknown(key) }
            return widget.botSource
        }
    }

    /// Saves `source` as the definition of the bot `key`, or makes that bot (named `name`,
    /// else as the definition says) when there is none. Nothing is saved when the
    /// definition has a problem: every problem is in the error, a line each.
    public func importing(_ source: String, file: String, key: String, name: String?) async throws -> String {
        let problems = Self.problems(of: source, file: file)
        guard problems.isEmpty else {
            throw AdminError("Not saved: the bot definition has \(problems.count) problem\(problems.count == 1 ? "" : "s").\n" + problems.joined(separator: "\n"))
        }
        let given = try name.map(Self.checkedName)
        return try await withStore { store in
            let library = BotLibrary(store: store)
            if var widget = try await store.widget(key: key) {
                // A file written by `export` (or an editor) may end with one more line end
                // than the dashboard's text: the same definition, not a change.
                let same = Self.withoutFinalLineEnds(widget.botSource) == Self.withoutFinalLineEnds(source)
                guard !same || (given != nil && given != widget.name) else { return "The bot \(key) has this definition already." }
                let basis = widget.updatedAt
                if !same { widget.botSource = source }
                if let given { widget.name = given }
                widget.updatedAt = max(Millis.now(), basis + 1)
                guard try await library.save(widget, ifUpdatedAt: basis) != nil else {
                    throw AdminError("The bot \(key) was changed meanwhile (in the dashboard?): nothing saved. Run the command again.")
                }
                return "Saved the definition of the bot \(key). A running Baton uses it within seconds; chats under way go on with it."
            }
            if let same = try await store.widgets().first(where: { $0.key.lowercased() == key.lowercased() }) {
                throw AdminError("There is a bot \"\(same.key)\", and keys must differ in more than case: to change that bot, use --key \(same.key).")
            }
            if let problem = try await BotKeys.problem(with: key, in: store) { throw AdminError(problem) }
            let bot = try ScriptedBot(source: source)
            let now = Millis.now()
            let widget = Widget(key: key, name: try given ?? Self.checkedName(bot.name), botSource: source, createdAt: now, updatedAt: now)
            guard try await library.create(widget) != nil else { throw AdminError("A bot with the key \"\(key)\" exists already.") }
            let snippet = "<script src=\"…/widget.js\" data-widget=\"\(key)\" async></script>"
            return "Made the bot \(key) (\(widget.name)). "
                + (config.publicURL.map { "Its widget: <script src=\"\($0)/widget.js\" data-widget=\"\(key)\" async></script>" }
                    ?? "Its widget: \(snippet), with Baton's address as visitors reach it (the dashboard's Widget tab has it whole).")
        }
    }

    /// A bot's name as the dashboard takes it (trimmed, on one line, at most 100
    /// characters), or why not.
    static func checkedName(_ name: String) throws -> String {
        do { return try AdminAPI.botName(name) } catch let error as APIError { throw AdminError(error.message) }
    }

    static func withoutFinalLineEnds(_ text: String) -> Substring {
        var text = Substring(text)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    static func unknown(_ key: String) -> AdminError {
        AdminError("There is no bot with the key \"\(key)\". `baton bot list` shows the bots there are.")
    }

    private func withStore(_ body: (SQLStore) async throws -> String) async throws -> String {
        try config.database.checkExists()
        return try await SQLStore.open(config.database, durable: config.durable, logger: logger).closing(after: body)
    }
}
