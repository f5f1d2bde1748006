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
        if let name {
            do { _ = try AdminAPI.botName(name) } catch let error as APIError { throw AdminError(error.message) }
        }
        return try await withStore { store in
            let library = BotLibrary(store: store)
            if var widget = try await store.widget(key: key) {
                guard widget.botSource != source || (name != nil && name != widget.name) else { return "The bot \(key) has this definition already." }
                let basis = widget.updatedAt
                widget.botSource = source
                if let name { widget.name = name.trimmingWhitespace() }
                widget.updatedAt = max(Millis.now(), basis + 1)
                guard try await library.save(widget, ifUpdatedAt: basis) != nil else {
                    throw AdminError("The bot \(key) was changed meanwhile (in the dashboard?): nothing saved. Run the command again.")
                }
                return "Saved the definition of the bot \(key). A running Baton uses it within seconds; chats under way go on with it."
            }
            if let problem = try await BotKeys.problem(with: key, in: store) { throw AdminError(problem) }
            let bot = try ScriptedBot(source: source)
            let now = Millis.now()
            let widget = Widget(key: key, name: (name ?? bot.name).trimmingWhitespace(), botSource: source, createdAt: now, updatedAt: now)
            guard try await library.create(widget) != nil else { throw AdminError("A bot with the key \"\(key)\" exists already.") }
            return "Made the bot \(key) (\(widget.name)). Its widget: <script src=\"\(config.publicURL ?? "http://\(config.address)")/widget.js\" data-widget=\"\(key)\" async></script>"
        }
    }

    static func unknown(_ key: String) -> AdminError {
        AdminError("There is no bot with the key \"\(key)\". `baton bot list` shows the bots there are.")
    }

    private func withStore(_ body: (SQLStore) async throws -> String) async throws -> String {
        try config.database.checkExists()
        let store = try await SQLStore.open(config.database, durable: config.durable, logger: logger)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Which keys a new bot may take: the API's and the command's checks.
enum BotKeys {
    /// Why `key` cannot be a new bot's, or nil when it can.
    static func problem(with key: String, in store: SQLStore) async throws -> String? {
        guard Widget.isValidKey(key) else { return "\"\(key)\" cannot be a bot's key: use 1 to 64 letters, digits, - and _." }
        if try await store.widget(key: key) != nil { return "A bot with the key \"\(key)\" exists already." }
        // Keys differing only in case ("DEMO" beside "demo") would be taken for each other in
        // embed tags and links.
        if let same = try await store.widgets().first(where: { $0.key.lowercased() == key.lowercased() }) {
            return "A bot with the key \"\(same.key)\" exists already: keys differ in more than case."
        }
        // A deleted bot's chats keep its key: a new bot of that key would take them over.
        guard try await store.conversations(ConversationFilter(widgetKey: key, limit: 1)).isEmpty else {
            return "The chats of a deleted bot keep the key \"\(key)\": choose another key."
        }
        return nil
    }
}
