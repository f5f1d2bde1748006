import BatonCore
import BatonMattermost
import BatonStore
import Foundation
import Logging
import NIOCore

/// Everything `baton serve` can be told, by flag or by `BATON_*` environment variable
/// (docs/configuration.md). Flags win over the environment, the environment over defaults.
public struct BatonConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = DatabaseLocation.sqlite(path: "baton.sqlite")
    /// Sync SQLite to disk on every commit (survives power loss).
    public var durable = true
    /// Create the demo widget when the database has no widget.
    public var demo = true
    public var logLevel = Logger.Level.info
    /// Lines for a person, or JSON for a log collector.
    public var logFormat = LogFormat.text
    public var chat = ChatPolicy()
    public var socket = SocketLimits()
    /// The file holding the key that encrypts stored credentials; by default `baton.key`
    /// next to the database. `BATON_SECRET_KEY` replaces the file.
    public var secretKeyFile: String?
    /// How often the database is checked for connections changed by another process.
    public var integrationPollInterval: Duration = .seconds(2)
    /// How long a widget's upload may take before it must come at 4 KB a second on
    /// average (`FileRoutes`); shorter in tests.
    public var uploadGrace: Duration = .seconds(30)
    /// Baton's address as visitors' browsers reach it (e.g. `https://chat.example.com`),
    /// for embed snippets; by default taken from each request.
    public var publicURL: String?
    /// Reverse proxies whose `X-Forwarded-For` names the client (failed sign-ins are
    /// counted per client); none by default: the client is the TCP peer.
    public var trustedProxies = TrustedProxies.none
    /// PEM certificates of a private certificate authority that signed Mattermost's
    /// certificate, trusted besides the system's (`MattermostTrust`).
    public var mattermostCAFile: String?
    /// Which HTTP proxy each Mattermost is reached through: `--mattermost-proxy`, else
    /// `HTTPS_PROXY` / `HTTP_PROXY`, except `NO_PROXY`'s hosts (`MattermostProxyRules`).
    public var mattermostProxies = MattermostProxyRules.direct
    /// bcrypt cost of admin passwords (each step doubles the work).
    public var passwordCost: UInt8 = 12
    /// How each Mattermost connection paces itself (session checks, queues, concurrency).
    public var mattermostLimits = LinkLimits()
    /// The bearer token that `GET /metrics` asks for; without one there is no `/metrics`.
    /// Set from the environment only (`BATON_METRICS_TOKEN`): a flag would show it to
    /// anyone who lists the processes.
    public var metricsToken: String?
    /// Days a conversation is kept after its last change, when it is closed or never left
    /// the bot; nil keeps everything (docs/configuration.md, "Retention").
    public var retentionDays: Int?
    /// Whether the retention sweep erases the rooms of what it deletes in Mattermost too
    /// (`--retention-mattermost erase`); by default they stay.
    public var retentionErasesMattermost = false
    /// How often the retention sweep runs (tests make it short).
    public var retentionSweepInterval: Duration = .seconds(3600)
    /// Emails of the replies visitors missed; off without a mail server.
    public var mail = MailSettings()

    /// The key file actually used.
    public var resolvedSecretKeyFile: String {
        if let secretKeyFile { return secretKeyFile }
        switch database {
        case .sqlite(let path):
            let folder = (path as NSString).deletingLastPathComponent
            return folder.isEmpty ? "baton.key" : folder + "/baton.key"
        case .postgres:
            return "baton.key"
        }
    }

    public init() {}

    /// The environment variables read, with what they set.
    public static let environmentVariables: [(name: String, meaning: String)] = [
        ("BATON_HOST", "address to listen on"),
        ("BATON_PORT", "port to listen on"),
        ("BATON_DATABASE", "database location"),
        ("BATON_DURABLE", "sync every commit to disk (true/false)"),
        ("BATON_DEMO", "create the demo widget on an empty database (true/false)"),
        ("BATON_LOG_LEVEL", "trace, debug, info, notice, warning, error or critical"),
        ("BATON_LOG_FORMAT", "text, or json for one JSON object a line"),
        ("BATON_MAX_MESSAGE_LENGTH", "longest visitor message, in characters"),
        ("BATON_MAX_FILE_SIZE", "largest file sent in a chat, e.g. 10MB; 0 turns files off"),
        ("BATON_REMIND_AGENTS_AFTER", "minutes a visitor waits in a room nobody joined before the agents are reminded; 0 never"),
        ("BATON_RETENTION_DAYS", "days a finished conversation is kept after its last change; 0 keeps everything"),
        ("BATON_RETENTION_MATTERMOST", "what the retention does to a deleted chat's room in Mattermost: keep or erase"),
        ("BATON_RATE_LIMIT", "visitor messages per second per connection"),
        ("BATON_RATE_BURST", "visitor messages allowed at once before the rate applies"),
        ("BATON_IDLE_TIMEOUT", "seconds a connection may stay silent before it is closed"),
        ("BATON_SOCKETS_PER_CLIENT", "widget sockets one client address may hold at once; 0 no limit"),
        ("BATON_NEW_VISITORS_PER_MINUTE", "new visitors one client address may start a minute; 0 no limit"),
        ("BATON_SHUTDOWN_GRACE", "seconds connections have to finish when Baton stops"),
        ("BATON_SECRET_KEY", "the key that encrypts stored credentials (instead of the key file)"),
        ("BATON_SECRET_KEY_FILE", "the key file (default: baton.key next to the database)"),
        ("BATON_PUBLIC_URL", "Baton's address as browsers reach it, for embed snippets"),
        ("BATON_TRUSTED_PROXIES", "reverse proxies whose X-Forwarded-For names the client: addresses or CIDR ranges"),
        ("BATON_MATTERMOST_CA_FILE", "PEM certificates of a private authority that signed Mattermost's certificate"),
        ("BATON_MATTERMOST_PROXY", "proxy to reach Mattermost through (http:// or socks5://), or none"),
        ("BATON_METRICS_TOKEN", "the bearer token /metrics asks for (16 to 200 characters); without it /metrics answers 404"),
        ("BATON_SMTP", "mail server for emailing visitors the replies they missed: smtp://USER:PASSWORD@HOST:587 or smtps://…"),
        ("BATON_MAIL_FROM", "who those emails come from, e.g. Support <support@example.com>"),
        ("BATON_MAIL_MISSED_REPLIES_AFTER", "minutes a chat stays quiet, with replies the visitor has not seen, before they are emailed; 0 never"),
        ("BATON_MAIL_CA_FILE", "PEM certificates of a private authority that signed the mail server's certificate"),
    ]

    /// Reads the `BATON_*` variables over the defaults.
    /// `environment` with only the `BATON_*` variables in `names` (others, such as the
    /// proxy variables, as they are).
    public static func environment(_ environment: [String: String], only names: Set<String>) -> [String: String] {
        environment.filter { !$0.key.hasPrefix("BATON_") || names.contains($0.key) }
    }

    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> BatonConfiguration {
        var config = BatonConfiguration()
        try config.apply(environment)
        return config
    }

    public mutating func apply(_ environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingWhitespace(), !text.isEmpty else { return nil }
            return text
        }
        if let text = value("BATON_HOST") { host = text }
        if let text = value("BATON_PORT") { port = try Self.port(text, from: "BATON_PORT") }
        if let text = value("BATON_DATABASE") { database = try Self.database(text, from: "BATON_DATABASE") }
        if let text = value("BATON_DURABLE") { durable = try Self.bool(text, from: "BATON_DURABLE") }
        if let text = value("BATON_DEMO") { demo = try Self.bool(text, from: "BATON_DEMO") }
        if let text = value("BATON_LOG_LEVEL") { logLevel = try Self.logLevel(text, from: "BATON_LOG_LEVEL") }
        if let text = value("BATON_LOG_FORMAT") { logFormat = try Self.logFormat(text, from: "BATON_LOG_FORMAT") }
        if let text = value("BATON_MAX_MESSAGE_LENGTH") {
            chat.maxTextLength = try Self.integer(text, in: 1...16383, from: "BATON_MAX_MESSAGE_LENGTH")
        }
        if let text = value("BATON_MAX_FILE_SIZE") { chat.maxFileBytes = try Self.byteSize(text, from: "BATON_MAX_FILE_SIZE") }
        if let text = value("BATON_REMIND_AGENTS_AFTER") {
            mattermostLimits.remindAgentsAfter = try Self.reminderDelay(text, from: "BATON_REMIND_AGENTS_AFTER")
        }
        if let text = value("BATON_RETENTION_DAYS") { retentionDays = try Self.retentionDays(text, from: "BATON_RETENTION_DAYS") }
        if let text = value("BATON_RETENTION_MATTERMOST") {
            retentionErasesMattermost = try Self.mattermostErasure(text, from: "BATON_RETENTION_MATTERMOST")
        }
        if let text = value("BATON_RATE_LIMIT") { socket.messagesPerSecond = try Self.rate(text, from: "BATON_RATE_LIMIT") }
        if let text = value("BATON_RATE_BURST") { socket.burst = try Self.integer(text, in: 1...10_000, from: "BATON_RATE_BURST") }
        if let text = value("BATON_SOCKETS_PER_CLIENT") {
            socket.socketsPerClient = try Self.integer(text, in: 0...1_000_000, from: "BATON_SOCKETS_PER_CLIENT")
        }
        if let text = value("BATON_NEW_VISITORS_PER_MINUTE") {
            socket.newVisitorsPerMinute = try Self.integer(text, in: 0...1_000_000, from: "BATON_NEW_VISITORS_PER_MINUTE")
        }
        if let text = value("BATON_IDLE_TIMEOUT") { socket.idleTimeout = try Self.seconds(text, in: 5...3600, from: "BATON_IDLE_TIMEOUT") }
        if let text = value("BATON_SHUTDOWN_GRACE") {
            socket.shutdownGrace = try Self.seconds(text, in: 0...600, from: "BATON_SHUTDOWN_GRACE")
        }
        if let text = value("BATON_SECRET_KEY_FILE") { secretKeyFile = text }
        if let text = value("BATON_PUBLIC_URL") { publicURL = try Self.publicURL(text, from: "BATON_PUBLIC_URL") }
        if let text = value("BATON_TRUSTED_PROXIES") { trustedProxies = try TrustedProxies(parsing: text, from: "BATON_TRUSTED_PROXIES") }
        if let text = value("BATON_MATTERMOST_CA_FILE") { mattermostCAFile = text }
        do {
            mattermostProxies = try MattermostProxyRules.fromEnvironment(environment)
        } catch {
            throw ConfigurationError(error)
        }
        if let text = value("BATON_METRICS_TOKEN") { metricsToken = try Self.metricsToken(text, from: "BATON_METRICS_TOKEN") }
        try mail.apply(value)
    }

    /// A token of 16 to 200 visible ASCII characters (it travels in an HTTP header).
    public static func metricsToken(_ text: String, from source: String) throws(ConfigurationError) -> String {
        guard (16...200).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            // The value is a secret: it is not repeated in the error.
            throw ConfigurationError(source: source, value: "…", expected: "16 to 200 visible ASCII characters, no spaces")
        }
        return text
    }

    // MARK: Parsing, shared by flags and environment

    public static func port(_ text: String, from source: String) throws(ConfigurationError) -> Int {
        try integer(text, in: 0...65535, from: source)
    }

    public static func integer(_ text: String, in range: ClosedRange<Int>, from source: String) throws(ConfigurationError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(source: source, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A size in bytes: a whole number, optionally with KB or MB (decimal: 1 MB is
    /// 1,000,000 bytes), up to 100 MB; 0 turns files off.
    public static func byteSize(_ text: String, from source: String) throws(ConfigurationError) -> Int {
        let upper = text.uppercased().replacingOccurrences(of: " ", with: "")
        var number = Substring(upper), unit = 1
        for (suffix, factor) in [("KB", 1000), ("MB", 1_000_000), ("B", 1)] where upper.hasSuffix(suffix) {
            number = upper.dropLast(suffix.count)
            unit = factor
            break
        }
        guard let value = Int(number), value >= 0, value <= 100_000_000 / unit else {
            throw ConfigurationError(source: source, value: text, expected: "a size such as 10MB, 500KB or 0 (no files), at most 100MB")
        }
        return value * unit
    }

    /// Minutes before the agents are reminded of a waiting visitor: 1 to 1,440, or 0 for never (nil).
    public static func reminderDelay(_ text: String, from source: String) throws(ConfigurationError) -> Duration? {
        guard let value = Int(text), (0...1440).contains(value) else {
            throw ConfigurationError(source: source, value: text, expected: "a number of minutes from 1 to 1440, or 0 for no reminders")
        }
        return value == 0 ? nil : .seconds(value * 60)
    }

    /// Days to keep conversations: 1 to 36,500, or 0 for ever (nil).
    public static func retentionDays(_ text: String, from source: String) throws(ConfigurationError) -> Int? {
        guard let value = Int(text), (0...36_500).contains(value) else {
            throw ConfigurationError(source: source, value: text, expected: "a number of days from 1 to 36500, or 0 to keep everything")
        }
        return value == 0 ? nil : value
    }

    /// `erase` (true) or `keep` (false): whether Mattermost rooms go with what is deleted.
    public static func mattermostErasure(_ text: String, from source: String) throws(ConfigurationError) -> Bool {
        switch text {
        case "erase": return true
        case "keep": return false
        default: throw ConfigurationError(source: source, value: text, expected: "keep or erase")
        }
    }

    public static func seconds(_ text: String, in range: ClosedRange<Int>, from source: String) throws(ConfigurationError) -> Duration {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(source: source, value: text, expected: "a number of seconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return .seconds(value)
    }

    public static func rate(_ text: String, from source: String) throws(ConfigurationError) -> Double {
        // Written in decimals: `Double` also reads 0x10 (16), 1e3 and "nan".
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(text), value >= 0.01, value <= 100_000 else {
            throw ConfigurationError(source: source, value: text, expected: "a number of messages per second from 0.01 to 100000")
        }
        return value
    }

    /// The largest widget frame accepted: room for a message of the longest text allowed
    /// (`--max-message-length`) in any characters, at 12 bytes each as a client that
    /// writes JSON in ASCII escapes one beyond the Basic Multilingual Plane (an emoji:
    /// `\ud83d\ude00`), and the frame's other fields. A longer limit than the default's
    /// would otherwise let a widget send a message of emoji that the socket refuses
    /// (closing it, 1009).
    public var frameBytes: Int { max(socket.maxFrameBytes, chat.maxTextLength * 12 + 8 * 1024) }

    public static func publicURL(_ text: String, from source: String) throws(ConfigurationError) -> String {
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(source: source, value: text, expected: "an http:// or https:// address")
        }
        // It goes into embed snippets and the logged setup link: no password in it.
        guard parsed.user == nil, parsed.password == nil else {
            throw ConfigurationError(source: source, value: "…", expected: "an http:// or https:// address without a user name or password")
        }
        // The dashboard's pages load from the host's root: under a path they would not.
        guard parsed.path.isEmpty, parsed.query == nil, parsed.fragment == nil else {
            throw ConfigurationError(source: source, value: text,
                                     expected: "an http:// or https:// address without a path, such as https://chat.example.com "
                                        + "(Baton is served from the root of a host of its own)")
        }
        return url
    }

    public static func bool(_ text: String, from source: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(source: source, value: text, expected: "true or false (or yes/no, on/off, 1/0)")
        }
    }

    public static func logFormat(_ text: String, from source: String) throws(ConfigurationError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationError(source: source, value: text, expected: "text or json")
        }
        return format
    }

    public static func logLevel(_ text: String, from source: String) throws(ConfigurationError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError(source: source, value: text, expected: "trace, debug, info, notice, warning, error or critical")
        }
        return level
    }

    public static func database(_ text: String, from source: String) throws(ConfigurationError) -> DatabaseLocation {
        do {
            return try DatabaseLocation(parsing: text)
        } catch {
            guard text.hasPrefix("postgres") else {
                // Why the store refused it, where it says (the last part in parentheses of
                // its words, after the location as written).
                var why = "sqlite:PATH"
                if case .invalidLocation(let located) = error, located.hasSuffix(")"), let open = located.range(of: " (", options: .backwards) {
                    why = String(located[open.upperBound..<located.index(before: located.endIndex)])
                }
                throw ConfigurationError(source: source, value: text, expected: "a SQLite file path (\(why)) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
            // The URL may hold a password: it is not repeated. What is wrong with it is the
            // part in parentheses of the store's words.
            var why = "\(error)"
            if case .invalidLocation(let located) = error, let open = located.firstIndex(of: "("), let close = located.lastIndex(of: ")"), open < close {
                why = String(located[located.index(after: open)..<close])
            }
            throw ConfigurationError(source: source, value: "\(text.prefix(while: { $0 != ":" }))://…",
                                     expected: "postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require]; here: \(why)")
        }
    }
}

/// A configuration value that cannot be used, with where it came from.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var source: String
    public var value: String
    public var expected: String
    public var description: String { "\(source)=\"\(value)\" is not valid: expected \(expected)" }

    public init(source: String, value: String, expected: String) {
        self.source = source
        self.value = value
        self.expected = expected
    }

    /// A proxy's address that cannot be used (its password left out of `value`).
    init(_ error: ProxySettingError) {
        self.init(source: error.source, value: error.value, expected: error.expected)
    }
}

extension BatonConfiguration {
    /// The address and port `channel` listens on, as a URL's authority: an IPv6 address in
    /// brackets (`[::1]:8080`).
    public func address(of channel: any Channel) -> String {
        Self.authority(host: Self.reachable(channel.localAddress?.ipAddress ?? host), port: channel.localAddress?.port ?? port)
    }

    /// The address and port these settings listen on (0.0.0.0 read as this machine's
    /// loopback, where a browser on it reaches Baton).
    public var address: String { Self.authority(host: Self.reachable(host), port: port) }

    /// Opens the database; a key `box` made just now for one that cannot be opened
    /// (PostgreSQL not reached, a wrong password) is not left behind: nothing was sealed
    /// with it.
    public func openStore(keyedBy box: CredentialBox, logger: Logger) async throws -> SQLStore {
        do {
            return try await SQLStore.open(database, durable: durable, logger: logger)
        } catch {
            if box.created { try? FileManager.default.removeItem(atPath: resolvedSecretKeyFile) }
            throw error
        }
    }

    /// Refuses a `host` that Baton could not listen on (no address, no name this machine
    /// looks up, an address of another machine), before anything is opened or written:
    /// found when listening, the database and key file had been made already.
    public func checkHost(from source: String) throws(ConfigurationError) {
        let refusal = ConfigurationError(source: source, value: host,
                                         expected: "an address of this machine (127.0.0.1, or 0.0.0.0 for all) or a name it can look up")
        guard let address = try? SocketAddress.makeAddressResolvingHost(host, port: 0) else { throw refusal }
        let family = address.protocol.rawValue
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bound = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        if bound != 0, errno == EADDRNOTAVAIL { throw refusal }
    }

    /// A host to open in a browser: "all addresses" (0.0.0.0, ::) as this machine's loopback.
    static func reachable(_ host: String) -> String { host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host }

    static func authority(host: String, port: Int) -> String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    /// Trusts `mattermostCAFile`'s certificates for every connection to Mattermost from
    /// now on (before the first is made); refuses a file that is missing or holds none.
    public func trustMattermostAuthority() throws {
        guard let file = mattermostCAFile else { return }
        MattermostTrust.trust(try CertificateAuthorityFile.certificates(pemFile: file, for: "Mattermost"))
    }

    /// `--mattermost-proxy`'s value, `NO_PROXY` still applying.
    public mutating func setMattermostProxy(_ text: String, from source: String) throws(ConfigurationError) {
        do {
            mattermostProxies = try mattermostProxies.replacingProxy(with: text, from: source)
        } catch {
            throw ConfigurationError(error)
        }
    }
}
