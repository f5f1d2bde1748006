import BatonBot
import BatonCore
import BatonMattermost
import BatonStore
import Foundation
import Logging

/// `baton mattermost …`: connect a widget to Mattermost, show the connection, remove it,
/// working on the database directly (a running server picks changes up by itself).
public struct MattermostAdmin: Sendable {
    public struct ConnectOptions: Sendable {
        public var widgetKey: String
        public var url: String
        public var credentials: MattermostCredentials
        public var team: String
        public var agents: [String]
        public var indexChannel: MattermostSetup.IndexChannel
        public var closeCommand = "!close"
        public var internalPrefix = "//"
        public var archiveOnClose = false
        public var rooms = MattermostSettings.RoomKind.channel
        /// The language of what Baton writes to the agents (`WidgetSettings.languages`).
        public var language = "en"

        public init(widgetKey: String, url: String, credentials: MattermostCredentials, team: String, agents: [String],
                    indexChannel: MattermostSetup.IndexChannel) {
            self.widgetKey = widgetKey
            self.url = url
            self.credentials = credentials
            self.team = team
            self.agents = agents
            self.indexChannel = indexChannel
        }
    }

    let config: BatonConfiguration
    let logger: Logger

    public init(config: BatonConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Opens the store and the credential box for the length of `body`. Only `connect`
    /// may make the database (`existing: false`): the other commands are about what is in
    /// one, and a mistyped --database would otherwise make a new, empty one (and a key).
    /// A command that fails leaves nothing it made: no database, no key file.
    func withConnections<T>(existing: Bool = true, _ body: (SQLStore, MattermostConnections) async throws -> T) async throws -> T {
        if existing { try config.database.checkExists() }
        let made = config.database.missingSQLiteFile
        let box = try CredentialBox.load(environment: ProcessInfo.processInfo.environment, keyFile: config.resolvedSecretKeyFile)
        do {
            return try await config.openStore(keyedBy: box, logger: logger).closing { store in
                try await body(store, MattermostConnections(store: store, box: box))
            }
        } catch {
            if let made { DatabaseLocation.removeSQLite(at: made) }
            // Nothing was sealed with a key made for a command that failed.
            if box.created { try? FileManager.default.removeItem(atPath: config.resolvedSecretKeyFile) }
            throw error
        }
    }

    /// Runs the wizard's steps against the server and saves the connection; returns what
    /// to tell the user.
    public func connect(_ options: ConnectOptions) async throws -> [String] {
        if let (field, reason) = MattermostSettings.problem(closeCommand: options.closeCommand, internalPrefix: options.internalPrefix) {
            throw AdminError("\(field == "closeCommand" ? "--close-command" : "--internal-prefix") \"\(field == "closeCommand" ? options.closeCommand : options.internalPrefix)\" cannot be used: \(reason).")
        }
        // An address that is none is told before the database is opened (or made).
        _ = try MattermostClient.normaliseURL(options.url)
        let made = config.database.missingSQLiteFile
        // The bot first, without making anything (no database, no key file): Mattermost's
        // steps below can take a while, and a Ctrl-C meanwhile left an empty database.
        // One Baton never ran on has only the demo bot, which it would make.
        if made == nil {
            let store = try await SQLStore.open(config.database, durable: config.durable, logger: logger)
            do { try await Self.checkBot(options.widgetKey, in: store) } catch { await store.close(); throw error }
            await store.close()
        } else if !(config.demo && options.widgetKey == DemoBot.widgetKey) {
            throw Self.noBot(options.widgetKey, keys: config.demo ? [DemoBot.widgetKey] : [])
        }
        let setup = try await MattermostSetup.signIn(url: options.url, credentials: options.credentials, logger: logger,
                                                     proxies: config.mattermostProxies)
        let team = try await setup.team(named: options.team)
        let agents = try await setup.agents(options.agents, team: team)
        let index = try await setup.indexChannel(options.indexChannel, team: team, agents: agents, language: options.language)
        let settings = setup.settings(team: team, agents: agents, indexChannel: index, closeCommand: options.closeCommand,
                                      internalPrefix: options.internalPrefix, archiveOnClose: options.archiveOnClose, rooms: options.rooms,
                                      language: options.language)
        return try await withConnections(existing: false) { store, connections in
            // Before Baton ever ran on this database it has no bot yet: the demo bot is
            // made here as `baton serve` would make it, so that connecting may come first.
            if config.demo { try await DemoSeed.ensure(BotLibrary(store: store), logger: logger) }
            try await Self.checkBot(options.widgetKey, in: store)
            try await connections.save(settings, credentials: options.credentials, widgetKey: options.widgetKey)
            return [
                made.map { "Made the database \($0) (Baton had not run on it); `baton serve` uses it with the same --database." },
                "Connected bot \"\(options.widgetKey)\" to \(settings.url) as \(settings.relayUser.name).",
                setup.client.proxy.map { "Reached through the proxy \($0)" },
                "Team: \(team.displayName) (\(team.name))",
                "Agents added to every chat: \(agents.map(\.username).joined(separator: ", "))",
                "Index channel: \(settings.indexChannel.channelLabel) — \(settings.link(toChannel: index.name))",
                settings.rooms == .thread ? "Chats: a thread each, under its announcement in the index channel"
                    : "Chats: a channel each, announced in the index channel",
                "Posts for the agents in: \(settings.languageName)",
                "A running Baton picks this up within a few seconds; no restart needed.",
            ].compactMap { $0 }
        }
    }

    /// The connection's settings (never its credential) and how it is doing.
    public func status(widgetKey: String) async throws -> [String] {
        try await withConnections { store, connections in
            try await Self.checkBot(widgetKey, in: store)
            guard let (settings, _) = try await connections.load(widgetKey: widgetKey) else {
                return ["Bot \"\(widgetKey)\" is not connected to Mattermost."]
            }
            let status = try await store.integrationStatus(widgetKey: widgetKey, kind: "mattermost")
            let outbox = try await store.taskCount(widgetKey: widgetKey)
            var lines: [String?] = [
                "Bot \"\(widgetKey)\" → \(settings.url)",
                config.mattermostProxies.route(for: settings.url).map { "Through the proxy \($0.proxy) (\($0.source))" },
                "Relay user: \(settings.relayUser.name) (\(settings.auth == .token ? "token" : "password"))",
                "Team: \(settings.team.teamLabel)",
                "Agents: \(settings.agents.map(\.name).joined(separator: ", "))",
                "Index channel: \(settings.indexChannel.channelLabel)",
                "Chats: \(settings.rooms == .thread ? "a thread each in the index channel" : "a channel each")",
                "Close command: \(settings.closeCommand)   Internal prefix: \(settings.internalPrefix)   Archive on close: \(settings.rooms == .thread ? "no (threads stay)" : settings.archiveOnClose ? "yes" : "no")",
                "Posts for the agents in: \(settings.languageName)",
                "State: \(status?.state ?? "not started yet (a running Baton starts it within seconds of a change; is Baton running?)")",
                "Last event: \(status?.lastEventAt.map(Self.format) ?? "none yet")",
                "Outbox: \(outbox) task\(outbox == 1 ? "" : "s") waiting",
            ]
            if let error = status?.lastError { lines.append("Last error: \(error)") }
            return lines.compactMap { $0 }
        }
    }

    public func disconnect(widgetKey: String) async throws -> [String] {
        try await withConnections { store, connections in
            try await Self.checkBot(widgetKey, in: store)
            guard try await connections.load(widgetKey: widgetKey) != nil else {
                return ["Bot \"\(widgetKey)\" was not connected to Mattermost."]
            }
            try await connections.delete(widgetKey: widgetKey)
            return ["Disconnected bot \"\(widgetKey)\" from Mattermost. New handovers wait in Baton until it is connected again."]
        }
    }

    /// Refuses a key no bot of the database has, naming those it has.
    static func checkBot(_ key: String, in store: SQLStore) async throws {
        guard try await store.widget(key: key) == nil else { return }
        throw noBot(key, keys: try await store.widgets().map(\.key))
    }

    static func noBot(_ key: String, keys: [String]) -> AdminError {
        let known = keys.isEmpty ? "it has no bot: create one in the dashboard" : "its bots: \(keys.map { "\"\($0)\"" }.joined(separator: ", "))"
        return AdminError("There is no bot with the key \"\(key)\" in this database (\(known)).")
    }

    static func format(_ millis: Millis) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
