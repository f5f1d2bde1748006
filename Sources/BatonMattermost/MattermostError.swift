/// Why a Mattermost operation failed, in words an admin can act on. `retryAfter` and
/// `isTransient` tell the outbox whether and when to try again.
public enum MattermostError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was given is no address of a server Baton can use (`url`: as given, without
    /// any user name and password in it), and why.
    case invalidURL(url: String, reason: String)
    /// The server could not be reached (DNS, refused, timeout).
    case unreachable(url: String, reason: String)
    /// The TLS handshake failed (certificate, protocol).
    case tls(url: String, reason: String)
    /// The address answers, but not like a Mattermost server.
    case notMattermost(url: String, reason: String)
    /// The address redirects elsewhere (`to`, the server's address it points to).
    case redirected(url: String, to: String)
    /// Wrong username or password, or an invalid token.
    case badCredentials(username: String?)
    /// The session expired and logging in again failed.
    case sessionExpired
    /// The relay user is not a system administrator.
    case notAdmin(username: String)
    case teamNotFound(String)
    /// A link into a team on another server than the one being connected.
    case teamLinkElsewhere(host: String, server: String)
    /// More than one team has the display name an admin wrote: their names.
    case teamAmbiguous(String, names: [String])
    case channelNotFound(String)
    case usersNotFound([String])
    /// The server refused: no permission.
    case forbidden(String)
    /// Over the rate limit; try again after this many seconds.
    case rateLimited(retryAfter: Double)
    /// Any other error answer of the server.
    case server(status: Int, id: String, message: String)
    /// The API answers, but the event stream's WebSocket upgrade is refused (most often a
    /// proxy in front of Mattermost that does not pass WebSockets on).
    case webSocketRefused(url: String)
    /// The HTTP proxy between Baton and Mattermost cannot be reached or will not open the
    /// tunnel (`proxy`: its address without credentials).
    case proxy(url: String, proxy: String, reason: String)
    /// The proxy asks for a user and password (HTTP's 407, or SOCKS5's way of signing in), or refused the ones given.
    case proxyAuthentication(url: String, proxy: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "\"\(url)\" cannot be used as Mattermost's address: \(reason)."
        case .unreachable(let url, let reason):
            "Cannot reach Mattermost at \(url) (\(reason)). Check the address and that the server is running and reachable from Baton."
        case .tls(let url, let reason):
            "The secure connection to \(url) failed (\(reason)). Check the certificate, or the http/https part of the address."
        case .notMattermost(let url, let reason):
            "\(url) does not answer like a Mattermost server (\(reason)). Check the address: it is the one you open Mattermost with."
        case .redirected(let url, let target):
            "\(url) redirects to \(target). Use that address for Mattermost (Baton does not follow redirects)."
        case .badCredentials(let username):
            username.map { "Mattermost refused the username \"\($0)\" or its password. Check both." }
                ?? "Mattermost refused the access token. Check that it is valid and not revoked."
        case .sessionExpired:
            "The Mattermost session expired and logging in again failed. Check the relay user's credentials."
        case .notAdmin(let username):
            "The Mattermost user \"\(username)\" is not a system administrator. Baton's relay user needs admin rights to create channels and add agents."
        case .teamNotFound(let name):
            "There is no Mattermost team named \"\(name)\" (or the relay user cannot see it). Use the team's name from its URL (chat.example.com/NAME/…) or its display name."
        case .teamLinkElsewhere(let host, let server):
            "That link is into another Mattermost server (\(host)); this connection is to \(server). Give a link into \(server), or the team's name."
        case .teamAmbiguous(let name, let names):
            "Several Mattermost teams are called \"\(name)\": write the name of the one you mean, as in its URL (\(names.joined(separator: ", ")))."
        case .channelNotFound(let name):
            "There is no channel named \"\(name)\" in the team. Check the name, or create it."
        case .usersNotFound(let names):
            "Mattermost has no user named \(names.map { "\"\($0)\"" }.joined(separator: ", "))."
        case .forbidden(let message):
            "Mattermost refused the operation: \(message)"
        case .rateLimited(let seconds):
            "Mattermost is rate-limiting Baton; retrying in \(Int(seconds.rounded(.up))) s."
        case .server(_, "baton.answer_too_large", let message):
            // Baton's own refusal of a too large answer, not a status Mattermost sent.
            "Baton did not read Mattermost's answer: \(message)"
        case .server(let status, let id, let message):
            "Mattermost answered \(status): \(message)\(id.isEmpty ? "" : " (\(id))")"
        case .webSocketRefused(let url):
            "\(url) refused the WebSocket of Mattermost's event stream (/api/v4/websocket), so agents' replies cannot reach visitors. "
                + "A proxy in front of Mattermost must pass WebSockets on (nginx: proxy_http_version 1.1 and the Upgrade and Connection headers)."
        case .proxy(let url, let proxy, let reason):
            "Cannot reach Mattermost at \(url) through the proxy \(proxy) (\(reason)). Check the proxy's address (--mattermost-proxy, "
                + "or HTTPS_PROXY / HTTP_PROXY), that it runs and lets Baton through; NO_PROXY lists the hosts Baton reaches directly."
        case .proxyAuthentication(let url, let proxy):
            proxy.hasPrefix("socks5:")
                ? "The proxy \(proxy) asks for a user name and password to reach \(url), or refused the ones given. "
                    + "Put them in the proxy's address: socks5://USER:PASSWORD@HOST:PORT (percent-encoded)."
                : "The proxy \(proxy) asks for a user name and password to reach \(url) (407), or refused the ones given. "
                    + "Put them in the proxy's address: http://USER:PASSWORD@HOST:PORT (percent-encoded)."
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .rateLimited, .sessionExpired, .webSocketRefused, .proxy: true
        case .server(let status, _, _): status >= 500 || status == 408
        default: false
        }
    }

    /// The team holds as many channels as the server allows (`TeamSettings.MaxChannelsPerTeam`,
    /// 2,000 by default; archived channels count): the server's first check, or its
    /// database's.
    public var isChannelLimit: Bool {
        if case .server(400, let id, _) = self {
            return id == "api.channel.create_channel.max_channel_limit.app_error" || id == "store.sql_channel.save_channel.limit.app_error"
        }
        return false
    }

    /// The post is older than the server lets a post's text be changed
    /// (`ServiceSettings.PostEditTimeLimit`, unlimited by default).
    public var isEditTimeLimit: Bool {
        if case .server(400, "api.post.update_post.permissions_time_limit.app_error", _) = self { return true }
        return false
    }

    /// How long to wait before trying again, when the server said so.
    public var retryAfter: Double? {
        if case .rateLimited(let seconds) = self { return seconds }
        return nil
    }
}
