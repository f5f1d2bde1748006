import ArgumentParser
import BatonCore
import BatonServer
import BatonStore
import Foundation
import Hummingbird
import Logging

@main
struct Baton: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "A self-hosted chatbot and live-chat server that hands conversations to agents in Mattermost.",
        version: BatonVersion.current,
        subcommands: [Serve.self, MattermostCommand.self, BotCommand.self, AdminCommand.self, BackupCommand.self, MailCommand.self],
        defaultSubcommand: Serve.self
    )

    static func main() async {
        // What Baton writes (the database and its journal, backups, the key file) holds
        // transcripts, visitors' addresses and password hashes: its owner's alone, whatever
        // the umask it was started with (systemd's is 022).
        umask(0o077)
        // `serve` is the default and takes no words of its own: a first word that names
        // no command is a mistyped one, not an argument of `serve` (its usage said so).
        if let first = CommandLine.arguments.dropFirst().first, !first.hasPrefix("-") {
            let names = configuration.subcommands.map { $0._commandName }
            if !(names + ["help"]).contains(first) {
                FileHandle.standardError.write(Data("""
                    Error: Unknown command '\(first)'.
                    Commands: \(names.joined(separator: ", ")) (serve is the default). See 'baton --help'.

                    """.utf8))
                Foundation.exit(64)
            }
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Found while running (a password file that is not there), not in the
            // arguments: said alone, without the root command's usage.
            exit(withError: CommandFailure(message: error.message))
        } catch {
            exit(withError: error)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Baton server.",
        discussion: "Every option can also be set with the BATON_* environment variable named in its help; flags win. See docs/configuration.md.\n\nENVIRONMENT:\n"
            + BatonConfiguration.environmentVariables.map { "  \($0.name)\n      \($0.meaning)" }.joined(separator: "\n")
    )

    @Option(help: "Address to listen on (BATON_HOST). Default 127.0.0.1; use 0.0.0.0 for all interfaces.")
    var host: String?

    // Numbers are taken as they come, so that a negative one ("--port -1") is refused as
    // a value (BatonConfiguration says why) rather than read as a flag.
    @Option(parsing: .unconditional, help: "Port to listen on (BATON_PORT). Default 8080; 0 picks a free port.")
    var port: String?

    @Option(help: "Database: a SQLite file path or sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DATABASE (BATON_DATABASE; better there than here, where others may see the password). Default ./baton.sqlite.")
    var database: String?

    @Option(help: "Sync every commit to disk: true or false (BATON_DURABLE). Default true.")
    var durable: String?

    @Option(help: "Create the demo widget on an empty database: true or false (BATON_DEMO). Default true.")
    var demo: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (BATON_LOG_LEVEL). Default info.")
    var logLevel: String?

    @Option(help: "Log format: text, or json for one JSON object a line (BATON_LOG_FORMAT). Default text.")
    var logFormat: String?

    @Option(parsing: .unconditional, help: "Longest visitor message in characters (BATON_MAX_MESSAGE_LENGTH). Default 4000.")
    var maxMessageLength: String?

    @Option(parsing: .unconditional, help: "Largest file a visitor may send or an agent's file passed on, e.g. 10MB, 500KB or bytes; 0 turns files off (BATON_MAX_FILE_SIZE). Default 10MB.")
    var maxFileSize: String?

    @Option(parsing: .unconditional, help: "Remind the agents in the index channel when a visitor has waited this many minutes in a room nobody joined (within the widget's working hours, once); 0 never (BATON_REMIND_AGENTS_AFTER). Default 5.")
    var remindAgentsAfter: String?

    @Option(parsing: .unconditional, help: "Delete a conversation this many days after its last change (its last message, or its close), when it is closed or never left the bot, and then visitors left without any; 0 keeps everything (BATON_RETENTION_DAYS). Default 0.")
    var retentionDays: String?

    @Option(help: "What the retention period does in Mattermost: keep the rooms of the chats it deletes, or erase them too (BATON_RETENTION_MATTERMOST). Default keep.")
    var retentionMattermost: String?

    @Option(parsing: .unconditional, help: "Visitor messages per second per connection (BATON_RATE_LIMIT). Default 5.")
    var rateLimit: String?

    @Option(parsing: .unconditional, help: "Visitor messages allowed at once before the rate applies (BATON_RATE_BURST). Default 10.")
    var rateBurst: String?

    @Option(parsing: .unconditional, help: "Widget sockets one client address may hold at once; 0 for no limit (BATON_SOCKETS_PER_CLIENT). Default 200.")
    var socketsPerClient: String?

    @Option(parsing: .unconditional, help: "New visitors one client address may start a minute; 0 for no limit (BATON_NEW_VISITORS_PER_MINUTE). Default 30.")
    var newVisitorsPerMinute: String?

    @Option(parsing: .unconditional, help: "Seconds a connection may stay silent before it is closed: a new one before its first request, an HTTP one between requests (BATON_IDLE_TIMEOUT). Default 60.")
    var idleTimeout: String?

    @Option(parsing: .unconditional, help: "Seconds connections have to finish what they are doing when Baton stops; then they are closed (BATON_SHUTDOWN_GRACE). Default 10.")
    var shutdownGrace: String?

    @Option(help: "Key file for stored credentials (BATON_SECRET_KEY_FILE; BATON_SECRET_KEY replaces it). Default: baton.key next to a SQLite database, or in the working folder.")
    var secretKeyFile: String?

    @Option(help: "Baton's address as browsers reach it, e.g. https://chat.example.com (BATON_PUBLIC_URL), for embed snippets and links.")
    var publicURL: String?

    @Option(help: "Reverse proxies in front of Baton whose X-Forwarded-For names the client, e.g. 127.0.0.1,::1 or 10.0.0.0/8 (BATON_TRUSTED_PROXIES). Default: none.")
    var trustedProxies: String?

    @Option(help: "PEM certificates of a private certificate authority that signed Mattermost's certificate, trusted besides the system's (BATON_MATTERMOST_CA_FILE).")
    var mattermostCAFile: String?

    @Option(help: "Proxy to reach Mattermost through, http://[USER:PASSWORD@]HOST:PORT or socks5://[USER:PASSWORD@]HOST:PORT, or none (BATON_MATTERMOST_PROXY). Default: HTTPS_PROXY / HTTP_PROXY, except NO_PROXY's hosts.")
    var mattermostProxy: String?

    @Option(help: "Who the emails of missed replies come from, e.g. \"Support <support@example.com>\" (BATON_MAIL_FROM); they go out through the mail server BATON_SMTP names (smtp://USER:PASSWORD@HOST:587, smtps://…).")
    var mailFrom: String?

    @Option(parsing: .unconditional, help: "Email a visitor who left the agents' replies they did not see, once the chat has been quiet this many minutes; 0 never (BATON_MAIL_MISSED_REPLIES_AFTER). Default 5; needs BATON_SMTP and --mail-from.")
    var mailMissedRepliesAfter: String?

    @Option(help: "PEM certificates of a private certificate authority that signed the mail server's certificate, trusted besides the system's (BATON_MAIL_CA_FILE).")
    var mailCAFile: String?

    /// Bad settings are reported before anything starts, with `serve`'s usage.
    func validate() throws {
        do {
            _ = try configuration()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let config = try configuration()
        var serving: ServeLock.Held?
        if case .sqlite(let path) = config.database, path != ":memory:" { serving = try ServeLock.take(forDatabase: path) }
        defer { serving?.release() }
        if config.logFormat == .json {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        try config.trustMattermostAuthority()
        var log = Logger(label: "baton")
        log.logLevel = config.logLevel
        let logger = log
        for variable in config.mattermostProxies.passedOver { logger.warning("\(variable)") }
        if let proxies = config.mattermostProxies.summary { logger.info("\(proxies)") }
        if let server = config.mail.server, let quiet = config.mail.quiet {
            let minutes = quiet.components.seconds / 60
            let authority = config.mail.authority.map { ", trusting the certificate authority in \($0.file)" } ?? ""
            logger.info("Emailing visitors the replies they missed once a chat has been quiet \(minutes) minute\(minutes == 1 ? "" : "s"), through \(server)\(authority)")
        }
        let (app, _) = try await buildApplication(config, logger: logger) { channel in
            logger.notice("Baton \(BatonVersion.current) is ready at http://\(config.address(of: channel))/")
        }
        do {
            try await app.runService()
        } catch {
            if let message = listenFailure(error, host: config.host, port: config.port) { throw CommandFailure(message: message) }
            throw error
        }
        // Said so that a clean stop (SIGINT, SIGTERM) is told from a crash in the log.
        logger.notice("Baton stopped")
    }

    /// Defaults, then the environment, then the flags. A variable whose flag is given is
    /// not read (a flag wins, also over a variable that holds no valid value).
    func configuration() throws -> BatonConfiguration {
        let flagged: [(given: Bool, variable: String)] = [
            (host != nil, "BATON_HOST"), (port != nil, "BATON_PORT"), (database != nil, "BATON_DATABASE"), (durable != nil, "BATON_DURABLE"),
            (demo != nil, "BATON_DEMO"), (logLevel != nil, "BATON_LOG_LEVEL"), (logFormat != nil, "BATON_LOG_FORMAT"),
            (maxMessageLength != nil, "BATON_MAX_MESSAGE_LENGTH"), (maxFileSize != nil, "BATON_MAX_FILE_SIZE"),
            (remindAgentsAfter != nil, "BATON_REMIND_AGENTS_AFTER"), (retentionDays != nil, "BATON_RETENTION_DAYS"),
            (retentionMattermost != nil, "BATON_RETENTION_MATTERMOST"), (rateLimit != nil, "BATON_RATE_LIMIT"), (rateBurst != nil, "BATON_RATE_BURST"),
            (socketsPerClient != nil, "BATON_SOCKETS_PER_CLIENT"), (newVisitorsPerMinute != nil, "BATON_NEW_VISITORS_PER_MINUTE"),
            (idleTimeout != nil, "BATON_IDLE_TIMEOUT"), (shutdownGrace != nil, "BATON_SHUTDOWN_GRACE"), (secretKeyFile != nil, "BATON_SECRET_KEY_FILE"),
            (publicURL != nil, "BATON_PUBLIC_URL"), (trustedProxies != nil, "BATON_TRUSTED_PROXIES"),
            (mattermostCAFile != nil, "BATON_MATTERMOST_CA_FILE"), (mattermostProxy != nil, "BATON_MATTERMOST_PROXY"),
            (mailFrom != nil, "BATON_MAIL_FROM"), (mailMissedRepliesAfter != nil, "BATON_MAIL_MISSED_REPLIES_AFTER"), (mailCAFile != nil, "BATON_MAIL_CA_FILE"),
        ]
        let overridden = Set(flagged.filter(\.given).map(\.variable))
        var config = try BatonConfiguration.fromEnvironment(ProcessInfo.processInfo.environment.filter { !overridden.contains($0.key) })
        if let host { config.host = host }
        if let port { config.port = try BatonConfiguration.port(port, from: "--port") }
        if let database { config.database = try BatonConfiguration.database(database, from: "--database") }
        if let durable { config.durable = try BatonConfiguration.bool(durable, from: "--durable") }
        if let demo { config.demo = try BatonConfiguration.bool(demo, from: "--demo") }
        if let logLevel { config.logLevel = try BatonConfiguration.logLevel(logLevel, from: "--log-level") }
        if let logFormat { config.logFormat = try BatonConfiguration.logFormat(logFormat, from: "--log-format") }
        if let maxMessageLength {
            config.chat.maxTextLength = try BatonConfiguration.integer(maxMessageLength, in: 1...16383, from: "--max-message-length")
        }
        if let maxFileSize { config.chat.maxFileBytes = try BatonConfiguration.byteSize(maxFileSize, from: "--max-file-size") }
        if let remindAgentsAfter {
            config.mattermostLimits.remindAgentsAfter = try BatonConfiguration.reminderDelay(remindAgentsAfter, from: "--remind-agents-after")
        }
        if let retentionDays { config.retentionDays = try BatonConfiguration.retentionDays(retentionDays, from: "--retention-days") }
        if let retentionMattermost {
            config.retentionErasesMattermost = try BatonConfiguration.mattermostErasure(retentionMattermost, from: "--retention-mattermost")
        }
        if let rateLimit { config.socket.messagesPerSecond = try BatonConfiguration.rate(rateLimit, from: "--rate-limit") }
        if let rateBurst { config.socket.burst = try BatonConfiguration.integer(rateBurst, in: 1...10_000, from: "--rate-burst") }
        if let socketsPerClient {
            config.socket.socketsPerClient = try BatonConfiguration.integer(socketsPerClient, in: 0...1_000_000, from: "--sockets-per-client")
        }
        if let newVisitorsPerMinute {
            config.socket.newVisitorsPerMinute = try BatonConfiguration.integer(newVisitorsPerMinute, in: 0...1_000_000, from: "--new-visitors-per-minute")
        }
        if let idleTimeout { config.socket.idleTimeout = try BatonConfiguration.seconds(idleTimeout, in: 5...3600, from: "--idle-timeout") }
        if let shutdownGrace {
            config.socket.shutdownGrace = try BatonConfiguration.seconds(shutdownGrace, in: 0...600, from: "--shutdown-grace")
        }
        if let secretKeyFile { config.secretKeyFile = secretKeyFile }
        if let publicURL { config.publicURL = try BatonConfiguration.publicURL(publicURL, from: "--public-url") }
        if let trustedProxies { config.trustedProxies = try TrustedProxies(parsing: trustedProxies, from: "--trusted-proxies") }
        if let mattermostCAFile { config.mattermostCAFile = mattermostCAFile }
        if let mattermostProxy { try config.setMattermostProxy(mattermostProxy, from: "--mattermost-proxy") }
        if let mailFrom { try config.mail.setSender(mailFrom, from: "--mail-from") }
        if let mailMissedRepliesAfter { try config.mail.setQuiet(mailMissedRepliesAfter, from: "--mail-missed-replies-after") }
        if let mailCAFile { try config.mail.setAuthorityFile(mailCAFile, from: "--mail-ca-file") }
        try config.mail.check()
        // A certificate file that is missing or holds none is a setting to mend, as the
        // mail server's is (it stopped Baton later, as any failure).
        if let file = config.mattermostCAFile { _ = try CertificateAuthorityFile.certificates(pemFile: file, for: "Mattermost") }
        try config.checkHost(from: host != nil ? "--host" : "BATON_HOST")
        return config
    }
}
