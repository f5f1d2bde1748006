import BatonCore
import BatonMail
import Logging
import NIOSSL

/// Emailing visitors the agents' replies they missed (docs/configuration.md, "Email"):
/// on when a mail server and a sender are given.
public struct MailSettings: Sendable {
    /// `BATON_SMTP` (environment only: it may hold a password).
    public var server: SMTPServer?
    /// `--mail-from` / `BATON_MAIL_FROM`.
    public var sender: MailSender?
    /// `--mail-ca-file` / `BATON_MAIL_CA_FILE`: the file and the certificates of a private
    /// authority that signed the mail server's certificate, trusted besides the system's.
    public private(set) var authority: (file: String, certificates: [NIOSSLCertificate])?
    /// How long a chat stays quiet, its newest replies unseen, before they are mailed
    /// (`--mail-missed-replies-after` minutes; 0 turns the emails off).
    public var quiet: Duration? = .seconds(300)
    /// How often conversations are looked at (tests make it short).
    public var interval: Duration = .seconds(15)
    /// The pause after a first failed email (doubling after each next one, at most an hour).
    public var retryPause: Duration = .seconds(60)

    public init() {}

    /// Whether emails go out: a mail server, a sender, and a quiet time.
    public var isOn: Bool { server != nil && sender != nil && quiet != nil }

    /// The client to send with, when emails are on.
    var mailer: SMTPClient? {
        guard isOn, let server, let sender else { return nil }
        return client(server: server, sender: sender)
    }

    /// A client for `server`, trusting the private authority when one is given.
    public func client(server: SMTPServer, sender: MailSender) -> SMTPClient {
        SMTPClient(server: server, sender: sender, trustRoots: authority?.certificates ?? [])
    }

    /// The service that sends them, when they are on.
    func service(chat: ChatService, isLeading: @escaping @Sendable () -> Bool, metrics: ReplyMailMetrics, logger: Logger) -> ReplyMailer? {
        guard let mailer, let quiet else { return nil }
        return ReplyMailer(chat: chat, mailer: mailer, quiet: quiet, interval: interval, retryPause: retryPause, isLeading: isLeading,
                           metrics: metrics, logger: logger)
    }

    mutating func apply(_ value: (String) -> String?) throws(ConfigurationError) {
        if let text = value("BATON_SMTP") { try setServer(text, from: "BATON_SMTP") }
        if let text = value("BATON_MAIL_FROM") { try setSender(text, from: "BATON_MAIL_FROM") }
        if let text = value("BATON_MAIL_MISSED_REPLIES_AFTER") { try setQuiet(text, from: "BATON_MAIL_MISSED_REPLIES_AFTER") }
        if let text = value("BATON_MAIL_CA_FILE") { try setAuthorityFile(text, from: "BATON_MAIL_CA_FILE") }
    }

    /// Reads the private authority's certificates now, so that a bad file stops the start.
    public mutating func setAuthorityFile(_ path: String, from source: String) throws(ConfigurationError) {
        do {
            authority = (path, try CertificateAuthorityFile.certificates(pemFile: path, for: "the mail server"))
        } catch {
            throw ConfigurationError(source: source, value: path, expected: "a file of PEM certificates (\(error.reason))")
        }
    }

    mutating func setServer(_ text: String, from source: String) throws(ConfigurationError) {
        do {
            server = try SMTPServer(url: text)
        } catch {
            throw ConfigurationError(source: source, value: error.value, expected: error.expected)
        }
    }

    public mutating func setSender(_ text: String, from source: String) throws(ConfigurationError) {
        do {
            sender = try MailSender(text)
        } catch {
            throw ConfigurationError(source: source, value: error.value, expected: error.expected)
        }
    }

    public mutating func setQuiet(_ text: String, from source: String) throws(ConfigurationError) {
        guard let minutes = Int(text), (0...1440).contains(minutes) else {
            throw ConfigurationError(source: source, value: text, expected: "a number of minutes from 1 to 1440, or 0 for no emails")
        }
        quiet = minutes == 0 ? nil : .seconds(minutes * 60)
    }

    /// A mail server needs a sender, and a sender a mail server.
    public func check() throws(ConfigurationError) {
        if server != nil, sender == nil {
            throw ConfigurationError(source: "BATON_SMTP", value: server.map { "\($0)" } ?? "",
                                     expected: "to come with a sender (--mail-from or BATON_MAIL_FROM, e.g. \"Support <support@example.com>\")")
        }
        if let authority, server == nil {
            throw ConfigurationError(source: "--mail-ca-file (or BATON_MAIL_CA_FILE)", value: authority.file,
                                     expected: "to come with a mail server to send through (BATON_SMTP=smtp://USER:PASSWORD@HOST:587)")
        }
        if let sender, server == nil {
            throw ConfigurationError(source: "--mail-from (or BATON_MAIL_FROM)", value: sender.address,
                                     expected: "to come with a mail server to send through (BATON_SMTP=smtp://USER:PASSWORD@HOST:587)")
        }
    }
}
