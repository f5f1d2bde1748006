import AsyncHTTPClient
import BatonCore
import Foundation
import NIOCore
import Synchronization

/// A proxy between Baton and Mattermost: an HTTP forward proxy that opens tunnels with
/// `CONNECT` (squid, tinyproxy, a company's egress proxy), or a SOCKS5 proxy (an SSH
/// tunnel's `ssh -D`, Dante). Every connection to a Mattermost it serves, the API's and the
/// event stream's, plain or TLS, goes through such a tunnel; TLS runs end to end inside it,
/// so the proxy sees the host and port only.
public struct MattermostProxy: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// HTTP `CONNECT`.
        case http
        /// SOCKS5, the host name resolved by the proxy; with a user name and password when
        /// the address has them (through Baton's bridge, `SOCKSBridge`).
        case socks5
    }

    public let kind: Kind
    public let host: String
    public let port: Int
    let username: String?
    let password: String?

    /// `http://[USER:PASSWORD@]HOST[:PORT]` (port 80 when left out, the user and password
    /// percent-encoded), or `socks5://[USER:PASSWORD@]HOST[:PORT]` (or `socks5h://`; port
    /// 1080); without a scheme `http://` is meant (as curl and Go read it).
    public init(parsing text: String) throws(ProxyAddressError) {
        var url = text.trimmingWhitespace()
        if !url.contains("://") { url = "http://" + url }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased() else {
            throw ProxyAddressError(reason: "not an address")
        }
        switch scheme {
        case "http": kind = .http
        case "socks5", "socks5h": kind = .socks5
        case "https":
            throw ProxyAddressError(reason: "Baton speaks to a proxy in plain HTTP (http://); TLS to Mattermost still runs end to end through its tunnel")
        case let other where other.hasPrefix("socks"):
            throw ProxyAddressError(reason: "of SOCKS proxies, Baton speaks SOCKS5 (socks5://)")
        default:
            throw ProxyAddressError(reason: "an http:// or socks5:// address")
        }
        guard var host = parts.host, !host.isEmpty else { throw ProxyAddressError(reason: "no host") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard parts.percentEncodedPath.isEmpty || parts.percentEncodedPath == "/", parts.query == nil, parts.fragment == nil else {
            throw ProxyAddressError(reason: "only a host and port (no path or query)")
        }
        let defaultPort = kind == .http ? 80 : 1080
        guard (1...65535).contains(parts.port ?? defaultPort) else { throw ProxyAddressError(reason: "a port from 1 to 65535") }
        guard URLPassword.hasValidUserInfo(url) else {
            throw ProxyAddressError(reason: "the user name and password are percent-encoded: write %25 for a % in them")
        }
        self.host = host
        port = parts.port ?? defaultPort
        username = parts.user.flatMap { $0.isEmpty ? nil : $0 }
        password = parts.password
        if kind == .socks5, let username {
            // RFC 1929: each is 1 to 255 bytes.
            guard username.utf8.count <= 255, let password, (1...255).contains(password.utf8.count) else {
                throw ProxyAddressError(reason: "a SOCKS5 proxy's user name and password are 1 to 255 bytes each")
            }
        }
    }

    public init(_ kind: Kind = .http, host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.kind = kind
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// The address without the credentials, for logs and messages.
    public var description: String { "\(kind.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// What Baton's connections go to for this proxy: the proxy itself, or, for a SOCKS5
    /// proxy with a user and password, Baton's bridge to it on loopback (an HTTP proxy).
    var connectable: MattermostProxy {
        kind == .socks5 && username != nil ? SOCKSBridge.to(self).entrance : self
    }

    /// The `Proxy-Authorization` value (HTTP), when the address carries a user.
    var authorization: String? {
        guard kind == .http else { return nil }
        return username.map { "Basic " + Data("\($0):\(password ?? "")".utf8).base64EncodedString() }
    }

}

/// Why a proxy's address cannot be used.
public struct ProxyAddressError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Which proxy, if any, each Mattermost address is reached through: Baton's own setting
/// (`--mattermost-proxy`), else the variables other programs read (`HTTPS_PROXY` for
/// `https://` addresses, `HTTP_PROXY` for `http://`, the upper-case spelling before the
/// lower-case one, as Go reads them), except the hosts `NO_PROXY` lists. Loopback addresses
/// and `localhost` are never sent to a proxy from those variables (a proxy elsewhere
/// cannot reach this machine's loopback); Baton's own setting applies to them too.
public struct MattermostProxyRules: Sendable, Equatable {
    /// A proxy and the setting that named it (for the log).
    public struct Route: Sendable, Equatable {
        public let proxy: MattermostProxy
        public let source: String
    }

    var forHTTPS: Route?
    var forHTTP: Route?
    var bypass: NoProxy
    var loopbackDirect: Bool
    /// Variables other programs read that Baton cannot use (`HTTPS_PROXY=socks4://…`):
    /// passed over, and said at start.
    public var passedOver: [ProxySettingError] = []

    /// Every Mattermost reached directly.
    public static let direct = MattermostProxyRules(forHTTPS: nil, forHTTP: nil, bypass: NoProxy(parsing: ""), loopbackDirect: true)

    /// Every Mattermost through `proxy`, except the hosts `noProxy` lists.
    public static func through(_ proxy: MattermostProxy, source: String = "--mattermost-proxy", noProxy: String? = nil) -> MattermostProxyRules {
        let route = Route(proxy: proxy, source: source)
        return MattermostProxyRules(forHTTPS: route, forHTTP: route, bypass: NoProxy(parsing: noProxy ?? ""), loopbackDirect: false)
    }

    /// From the process's environment: `BATON_MATTERMOST_PROXY` (`none` for direct
    /// whatever the others say), else `HTTPS_PROXY` / `HTTP_PROXY`; `NO_PROXY` for both.
    /// Baton's own setting that cannot be used is an error naming it; one of the others is
    /// passed over (`passedOver`): they are other programs' too, and Baton ran without them.
    public static func fromEnvironment(_ environment: [String: String]) throws(ProxySettingError) -> MattermostProxyRules {
        func value(_ names: String...) -> (name: String, text: String)? {
            for name in names {
                if let text = environment[name]?.trimmingWhitespace(), !text.isEmpty { return (name, text) }
            }
            return nil
        }
        let noProxy = value("NO_PROXY", "no_proxy")?.text
        if let own = value("BATON_MATTERMOST_PROXY") {
            return try direct.replacingProxy(with: own.text, from: own.name, bypass: NoProxy(parsing: noProxy ?? ""))
        }
        var passedOver: [ProxySettingError] = []
        func route(_ names: String...) -> Route? {
            for name in names {
                guard let text = environment[name]?.trimmingWhitespace(), !text.isEmpty else { continue }
                do {
                    return Route(proxy: try MattermostProxy(parsing: text), source: name)
                } catch {
                    passedOver.append(ProxySettingError(source: name, value: URLPassword.hidden(in: text), reason: error.reason, conventional: true))
                    return nil
                }
            }
            return nil
        }
        var rules = MattermostProxyRules(forHTTPS: route("HTTPS_PROXY", "https_proxy"), forHTTP: route("HTTP_PROXY", "http_proxy"),
                                         bypass: NoProxy(parsing: noProxy ?? ""), loopbackDirect: true)
        rules.passedOver = passedOver
        return rules
    }

    /// These rules with Baton's own setting from `source` instead of the proxies they had
    /// (a flag over the environment), the same hosts bypassing it.
    public func replacingProxy(with text: String, from source: String) throws(ProxySettingError) -> MattermostProxyRules {
        try replacingProxy(with: text, from: source, bypass: bypass)
    }

    private func replacingProxy(with text: String, from source: String, bypass: NoProxy) throws(ProxySettingError) -> MattermostProxyRules {
        if ["none", "direct", "off"].contains(text.trimmingWhitespace().lowercased()) { return .direct }
        do {
            let route = Route(proxy: try MattermostProxy(parsing: text), source: source)
            return MattermostProxyRules(forHTTPS: route, forHTTP: route, bypass: bypass, loopbackDirect: false)
        } catch {
            throw ProxySettingError(source: source, value: URLPassword.hidden(in: text), reason: error.reason, conventional: false)
        }
    }

    /// The proxy for the Mattermost at `url` (`https://chat.example.com`), nil for direct.
    public func route(for url: String) -> Route? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), var host = parts.host?.lowercased() else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let secure = scheme == "https" || scheme == "wss"
        guard let route = secure ? forHTTPS : forHTTP else { return nil }
        if loopbackDirect && (host == "localhost" || host.hasSuffix(".localhost") || AddressRange.loopback.contains { $0.contains(address: host) }) {
            return nil
        }
        if bypass.covers(host: host, port: parts.port ?? (secure ? 443 : 80)) { return nil }
        return route
    }

    /// In words, for the log at start; nil when every Mattermost is reached directly.
    public var summary: String? {
        func through(_ route: Route) -> String { "through the proxy \(route.proxy) (\(route.source))" }
        let text: String
        switch (forHTTPS, forHTTP) {
        case (nil, nil): return nil
        case (let secure?, let plain?) where secure == plain: text = "Mattermost is reached \(through(secure))"
        case (let secure?, let plain?): text = "Mattermost at an https:// address is reached \(through(secure)), at an http:// address \(through(plain))"
        case (let secure?, nil): text = "Mattermost at an https:// address is reached \(through(secure))"
        case (nil, let plain?): text = "Mattermost at an http:// address is reached \(through(plain))"
        }
        var exceptions: [String] = []
        if loopbackDirect { exceptions.append("this machine") }
        if !bypass.isEmpty { exceptions.append("the hosts NO_PROXY lists") }
        return text + (exceptions.isEmpty ? "" : ", except " + exceptions.joined(separator: " and "))
    }
}

/// The hosts `NO_PROXY` lists, read as Go reads it (Mattermost's own language): `*` for
/// every host; an IP address or CIDR range; a name, which also covers its subdomains
/// (`example.com`: `example.com` and `chat.example.com`), or with a leading dot (or `*.`)
/// only its subdomains; any of them with `:PORT` for that port only. Case does not count,
/// names are not resolved; what is none of these is passed over.
struct NoProxy: Sendable, Equatable {
    enum Entry: Sendable, Equatable {
        case addresses(AddressRange, port: Int?)
        case name(String, subdomainsOnly: Bool, port: Int?)
    }

    var everything = false
    var entries: [Entry] = []

    var isEmpty: Bool { !everything && entries.isEmpty }

    init(parsing text: String) {
        for item in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            var entry = item.lowercased()
            if entry == "*" {
                everything = true
                continue
            }
            if let range = AddressRange(parsing: entry) {
                entries.append(.addresses(range, port: nil))
                continue
            }
            var port: Int?
            if entry.hasPrefix("["), let end = entry.firstIndex(of: "]") {
                let rest = entry[entry.index(after: end)...]
                if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
                entry = String(entry[entry.index(after: entry.startIndex)..<end])
            } else if let colon = entry.lastIndex(of: ":"), entry.firstIndex(of: ":") == colon, let number = Int(entry[entry.index(after: colon)...]) {
                port = number
                entry = String(entry[..<colon])
            }
            if let range = AddressRange(parsing: entry) {
                entries.append(.addresses(range, port: port))
                continue
            }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            let subdomainsOnly = entry.hasPrefix(".")
            while entry.hasPrefix(".") { entry.removeFirst() }
            while entry.hasSuffix(".") { entry.removeLast() }
            guard !entry.isEmpty, !entry.contains("/"), !entry.contains(":") else { continue }
            entries.append(.name(entry, subdomainsOnly: subdomainsOnly, port: port))
        }
    }

    /// Whether `host` (lower case, an IPv6 address without brackets) on `port` goes direct.
    func covers(host: String, port: Int) -> Bool {
        if everything { return true }
        var name = host
        while name.hasSuffix(".") { name.removeLast() }
        let address = AddressRange.bytes(of: name)
        return entries.contains { entry in
            switch entry {
            case .addresses(let range, let only):
                guard let address, only == nil || only == port else { return false }
                return range.contains(address)
            case .name(let domain, let subdomainsOnly, let only):
                guard address == nil, only == nil || only == port else { return false }
                return name.hasSuffix("." + domain) || (!subdomainsOnly && name == domain)
            }
        }
    }
}

/// A proxy setting that cannot be used, with where it came from.
public struct ProxySettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let source: String
    /// The value as given, its password left out.
    public let value: String
    public let reason: String
    /// Whether it is a variable other programs read too (`HTTPS_PROXY`), which Baton can
    /// be told to leave alone.
    public let conventional: Bool

    /// What was expected instead, and why the value is not it.
    public var expected: String {
        "a proxy's address, http://[USER:PASSWORD@]HOST:PORT or socks5://[USER:PASSWORD@]HOST:PORT (\(reason))"
    }

    public var description: String {
        conventional
            ? "\(source)=\"\(value)\" is not a proxy Baton can use (\(reason)); Mattermost is reached without it. "
                + "To reach it through a proxy, set --mattermost-proxy (BATON_MATTERMOST_PROXY)"
            : "\(source)=\"\(value)\" is not valid: expected \(expected)"
    }
}

/// The process's HTTP clients for Mattermost: for each server a running link reaches,
/// one per proxy in use (or none), with its connection pool and short connect timeouts so
/// an unreachable server is reported fast; and for the setup's steps, one per proxy that
/// does not try a failed connection again (`MattermostClient.makeHTTP`). Made at first
/// use, after `MattermostTrust` read the trusted certificates, and kept for the life of
/// the process unless renewed (`renew`). Process-wide, as AsyncHTTPClient's own
/// `HTTPClient.shared` is: every link to a server shares that server's connections,
/// whichever widget it serves.
enum MattermostProxies {
    struct Key: Hashable, Sendable {
        var server: String?
        var proxy: MattermostProxy?
        var interactive: Bool
    }

    private static let clients = Mutex<[Key: (client: HTTPClient, madeAt: ContinuousClock.Instant)]>([:])
    /// How long a renewed client is kept before it is shut down: longer than any request
    /// may take (`MattermostClient.timeout`, 20 s), so that those under way end as they would.
    static let renewedClientGrace: Duration = .seconds(60)

    static func http(_ key: Key) -> HTTPClient {
        clients.withLock { clients in
            if let entry = clients[key] { return entry.client }
            let client = make(key)
            clients[key] = (client, .now)
            return client
        }
    }

    /// Puts a new client in the place of the one for `key`, unless that was made after
    /// `moment`, and shuts the old one down once its requests under way have ended.
    /// Returns whether it did.
    static func renew(_ key: Key, unlessMadeAfter moment: ContinuousClock.Instant) -> Bool {
        let old: HTTPClient? = clients.withLock { clients in
            guard let entry = clients[key], entry.madeAt <= moment else { return nil }
            clients[key] = (make(key), .now)
            return entry.client
        }
        guard let old else { return false }
        // Scheduled on its own event loop rather than in a task of its own: nothing waits
        // for it, and a process that ends first has nothing to release.
        old.eventLoopGroup.next().scheduleTask(in: .seconds(renewedClientGrace.components.seconds)) {
            old.shutdown { _ in }
        }
        return true
    }

    private static func make(_ key: Key) -> HTTPClient {
        MattermostClient.makeHTTP(tls: MattermostTrust.clientConfiguration(), proxy: key.proxy, retryingConnections: !key.interactive)
    }
}
