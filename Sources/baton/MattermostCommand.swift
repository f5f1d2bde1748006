import ArgumentParser
import BatonCore
import BatonMattermost
import BatonServer
import Foundation
import Logging

struct MattermostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mattermost",
        abstract: "Connect a bot to Mattermost, show the connection, or remove it.",
        discussion: "These commands work on the database; a running Baton picks the change up by itself.",
        subcommands: [Connect.self, Status.self, Disconnect.self]
    )
}

/// Where the database and the key are (shared by the commands that work on the database).
struct StorageOptions: ParsableArguments {
    @Option(help: "Database: a SQLite file or postgres://… URL (BATON_DATABASE). Default ./baton.sqlite.")
    var database: String?

    @Option(help: "Key file for stored credentials (BATON_SECRET_KEY_FILE). Default: baton.key next to a SQLite database, or in the working folder.")
    var secretKeyFile: String?

    /// The `BATON_*` variables the database commands read (besides `BATON_SECRET_KEY`,
    /// which the key's loading reads): the database, the key file, where Baton is reached
    /// (for the links they print), and how Mattermost is reached.
    static let variables: Set<String> = ["BATON_DATABASE", "BATON_SECRET_KEY_FILE", "BATON_HOST", "BATON_PORT", "BATON_PUBLIC_URL",
                                         "BATON_MATTERMOST_CA_FILE", "BATON_MATTERMOST_PROXY"]

    func configuration() throws -> BatonConfiguration {
        // Only what these commands use: a variable of `serve`'s that holds no valid value
        // (a rate limit, a mail server's certificate file) is none of their business.
        var config = try BatonConfiguration.fromEnvironment(BatonConfiguration.environment(ProcessInfo.processInfo.environment, only: Self.variables))
        if let database { config.database = try BatonConfiguration.database(database, from: "--database") }
        if let secretKeyFile { config.secretKeyFile = secretKeyFile }
        config.logLevel = .warning
        return config
    }
}

/// The database, and how Mattermost is reached (the `mattermost` subcommands).
struct MattermostStorageOptions: ParsableArguments {
    @OptionGroup var storage: StorageOptions

    @Option(help: "PEM certificates of a private certificate authority that signed Mattermost's certificate (BATON_MATTERMOST_CA_FILE).")
    var mattermostCAFile: String?

    @Option(help: "Proxy to reach Mattermost through, http://[USER:PASSWORD@]HOST:PORT or socks5://[USER:PASSWORD@]HOST:PORT, or none (BATON_MATTERMOST_PROXY). Default: HTTPS_PROXY / HTTP_PROXY, except NO_PROXY's hosts.")
    var mattermostProxy: String?

    func admin() throws -> MattermostAdmin {
        var config = try storage.configuration()
        if let mattermostCAFile { config.mattermostCAFile = mattermostCAFile }
        if let mattermostProxy { try config.setMattermostProxy(mattermostProxy, from: "--mattermost-proxy") }
        for variable in config.mattermostProxies.passedOver { FileHandle.standardError.write(Data("Warning: \(variable)\n".utf8)) }
        try config.trustMattermostAuthority()
        var logger = Logger(label: "baton")
        logger.logLevel = config.logLevel
        return MattermostAdmin(config: config, logger: logger)
    }
}

extension MattermostCommand {
    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect a bot to Mattermost (the dashboard wizard's steps, for scripts).",
            discussion: """
                Example:
                  baton mattermost connect --bot demo --url https://chat.example.com --username baton-relay \\
                    --password-env MM_PASSWORD --team support --agents alice,bob --create-index-channel "Live chats"
                The password is never taken on the command line: give a file or an environment variable.
                """)

        @Option(help: "The bot's widget key.") var bot: String
        @Option(help: "Mattermost's address, e.g. https://chat.example.com.") var url: String
        @Option(help: "The relay user's username (with --password-file or --password-env).") var username: String?
        @Option(help: "A file holding the relay user's password.") var passwordFile: String?
        @Option(help: "An environment variable holding the relay user's password.") var passwordEnv: String?
        @Option(help: "An environment variable holding a personal access token or bot token instead.") var tokenEnv: String?
        @Option(help: "The team: its name (as in its URL), a link into it, or its display name.") var team: String
        @Option(help: "Usernames of the agents added to every chat, comma-separated.") var agents: String = ""
        @Option(help: "An existing channel where new chats are announced (give this or --create-index-channel).") var indexChannel: String?
        @Option(help: "Create this channel for the announcements, or use it if it exists (give this or --index-channel).")
        var createIndexChannel: String?
        @Option(help: "The post that closes a chat.") var closeCommand: String = "!close"
        @Option(help: "Posts starting with this stay in Mattermost.") var internalPrefix: String = "//"
        @Flag(help: "Archive a chat's channel when the chat is closed (chats in channels only).") var archiveOnClose = false
        @Option(help: "Where chats happen: \"channel\" (a channel each) or \"thread\" (a thread under its announcement in the index channel).")
        var rooms: MattermostSettings.RoomKind = .channel
        @Option(help: "The language Baton writes to the agents in: \(WidgetSettings.languages.joined(separator: ", ")).")
        var language: String = "en"
        @OptionGroup var storage: MattermostStorageOptions

        func validate() throws {
            guard WidgetSettings.languages.contains(language) else {
                throw ValidationError("--language must be one of \(WidgetSettings.languages.joined(separator: ", ")).")
            }
        }

        func run() async throws {
            let credentials: MattermostCredentials
            switch (passwordFile, passwordEnv, tokenEnv) {
            case (let file?, nil, nil):
                guard let username else { throw ValidationError("--password-file needs --username.") }
                credentials = .password(username: username, password: try SecretInput.file(file))
            case (nil, let variable?, nil):
                guard let username else { throw ValidationError("--password-env needs --username.") }
                credentials = .password(username: username, password: try SecretInput.environment(variable))
            case (nil, nil, let variable?):
                credentials = .token(try SecretInput.environment(variable))
            default:
                throw ValidationError("Give exactly one of --password-file, --password-env or --token-env.")
            }
            let index: MattermostSetup.IndexChannel
            switch (indexChannel, createIndexChannel) {
            case (let name?, nil): index = .existing(name)
            case (nil, let name?): index = .create(name)
            default: throw ValidationError("Give exactly one of --index-channel or --create-index-channel.")
            }
            if archiveOnClose && rooms == .thread {
                throw ValidationError("--archive-on-close is for chats in channels: with --rooms thread, threads stay (the index channel is never archived).")
            }
            var options = MattermostAdmin.ConnectOptions(widgetKey: bot, url: url, credentials: credentials, team: team,
                                                        agents: agents.split(separator: ",").map(String.init), indexChannel: index)
            options.closeCommand = closeCommand.trimmingWhitespace()
            options.internalPrefix = internalPrefix
            options.archiveOnClose = archiveOnClose
            options.rooms = rooms
            options.language = language
            do {
                for line in try await storage.admin().connect(options) { print(line) }
            } catch {
                throw CommandFailure(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a bot's Mattermost connection and how it is doing.")
        @Option(help: "The bot's widget key.") var bot: String
        @OptionGroup var storage: MattermostStorageOptions

        func run() async throws {
            do {
                for line in try await storage.admin().status(widgetKey: bot) { print(line) }
            } catch {
                throw CommandFailure(error)
            }
        }
    }

    struct Disconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disconnect a bot from Mattermost.")
        @Option(help: "The bot's widget key.") var bot: String
        @OptionGroup var storage: MattermostStorageOptions

        func run() async throws {
            do {
                for line in try await storage.admin().disconnect(widgetKey: bot) { print(line) }
            } catch {
                throw CommandFailure(error)
            }
        }
    }
}

/// Prints an error's description (not Swift's debug form) and exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
    init(message: String) { description = message }
}

extension MattermostSettings.RoomKind: ExpressibleByArgument {}
