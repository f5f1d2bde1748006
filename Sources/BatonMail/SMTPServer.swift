import BatonCore
import Foundation

/// The mail server Baton sends through and who its email comes from, as an admin writes
/// them: `smtp://USER:PASSWORD@HOST:PORT` (STARTTLS when the server offers it, and always
/// before a password unless the server is on this machine) or `smtps://…` (TLS from the
/// first byte, port 465 by default); and `Support <support@example.com>`.
public struct SMTPServer: Sendable, Equatable, CustomStringConvertible {
    public enum Security: Sendable, Equatable {
        /// TLS from the start (`smtps://`).
        case tls
        /// Plain, turned to TLS with STARTTLS when the server offers it (`smtp://`).
        case startTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// `smtp://…?tls=optional`: email goes in plain text to a server across the network that
    /// offers no STARTTLS. Without it, Baton sends email unencrypted only on this machine:
    /// its emails carry links that open visitors' chats.
    public var plainAllowed = false

    /// Reads `smtp://` or `smtps://` addresses; the user name and password may be
    /// percent-encoded (an `@` in a user name as `%40`).
    public init(url text: String) throws(MailConfigurationError) {
        let expected = "smtp://USER:PASSWORD@HOST:PORT or smtps://USER:PASSWORD@HOST:PORT (the user and password optional; "
            + "smtp://…?tls=optional for a server without TLS)"
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
              let scheme = components.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
              let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/",
              components.query == nil || (scheme == "smtp" && components.query == "tls=optional"), components.fragment == nil else {
            throw MailConfigurationError(value: URLPassword.hidden(in: text), expected: expected)
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        security = scheme == "smtps" ? .tls : .startTLS
        port = components.port ?? (scheme == "smtps" ? 465 : 587)
        guard (1...65535).contains(port) else { throw MailConfigurationError(value: URLPassword.hidden(in: text), expected: expected) }
        // URLComponents gives them decoded already: decoded again, a password with a `%`
        // (written `%25`) came out wrong, or as none at all.
        guard URLPassword.hasValidUserInfo(text.trimmingCharacters(in: .whitespaces)) else {
            throw MailConfigurationError(value: URLPassword.hidden(in: text), expected: expected + "; write %25 for a % in the user or password")
        }
        username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        password = components.password
        if password != nil, username == nil { throw MailConfigurationError(value: URLPassword.hidden(in: text), expected: expected) }
        plainAllowed = components.query == "tls=optional"
    }

    public init(host: String, port: Int, security: Security = .startTLS, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }

    /// Whether the server is on this machine, where a password may go without TLS.
    /// (Written as `localhost` in any case, an address of 127.0.0.0/8, `::1`, or an IPv4
    /// loopback address written as IPv6, `::ffff:127.0.0.1`; a name that only this
    /// machine's hosts file points here counts as across the network.)
    public var isLoopback: Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.") || host.hasPrefix("::ffff:127.")
    }

    /// The address without its password, for logs and errors.
    public var description: String {
        let scheme = security == .tls ? "smtps" : "smtp"
        let user = username.map { ($0.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? $0) + "@" } ?? ""
        return "\(scheme)://\(user)\(host.contains(":") ? "[\(host)]" : host):\(port)" + (plainAllowed ? "?tls=optional" : "")
    }

}

/// Who Baton's email comes from: an address, and a name when the admin gave one (else
/// each email names its widget).
public struct MailSender: Sendable, Equatable {
    public var address: String
    public var name: String?

    /// Reads `support@example.com` or `Support <support@example.com>`.
    public init(_ text: String) throws(MailConfigurationError) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let expected = "an address such as support@example.com, or Support <support@example.com>"
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            let name = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw MailConfigurationError(value: text, expected: expected)
            }
            self.name = name.isEmpty ? nil : name
        } else {
            address = text
            name = nil
        }
        guard ReplyMail.isAddress(address) else { throw MailConfigurationError(value: text, expected: expected) }
    }

    public init(address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }
}

/// A mail setting that cannot be used, with what was expected.
public struct MailConfigurationError: Error, CustomStringConvertible {
    public let value: String
    public let expected: String
    public var description: String { "\"\(value)\" is not \(expected)" }
}
