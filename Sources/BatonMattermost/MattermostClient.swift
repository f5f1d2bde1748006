import AsyncHTTPClient
import BatonCore
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOExtras
import NIOHTTP1
import NIOSOCKS
import NIOSSL
import Synchronization

/// How the relay user signs in.
public enum MattermostCredentials: Sendable, Equatable {
    /// Username (or email) and password: Baton logs in and logs in again when the session
    /// expires.
    case password(username: String, password: String)
    /// A personal access token or a bot token.
    case token(String)

    var username: String? {
        if case .password(let username, _) = self { return username }
        return nil
    }
}

/// A Mattermost REST API v4 client for one server and one user. Sends the session token as
/// `Authorization: Bearer`, never keeps cookies, logs in again once when a request gets
/// 401, and turns every failure into a `MattermostError`.
public final class MattermostClient: Sendable {
    /// The server's address without a trailing slash, e.g. `https://chat.example.com`.
    public let baseURL: String
    let credentials: MattermostCredentials
    let logger: Logger
    /// Where requests go: the process's shared client for this server and proxy
    /// (`MattermostProxies`), or the caller's own.
    private let httpSource: HTTPSource
    /// The proxy this server is reached through, if any (`MattermostProxyRules`).
    public let proxy: MattermostProxy?
    let timeout: TimeAmount
    /// The event loop of the HTTP client's that the owner of this client (a link) runs
    /// its work on, when it asked for one (`init`).
    public let eventLoop: (any EventLoop)?
    private let session = Mutex<String?>(nil)
    private let loginLock = KeyedLock<Int>()
    /// Whether the server takes `user_ids` when adding channel members (newer servers).
    let userIDsSupported = Mutex(true)

    enum HTTPSource: Sendable {
        case shared(MattermostProxies.Key)
        case own(HTTPClient)

        var client: HTTPClient {
            switch self {
            case .shared(let key): MattermostProxies.http(key)
            case .own(let http): http
            }
        }
    }

    /// The HTTP client requests go through now: a shared one may have been renewed since
    /// the last request (`renewConnections`).
    var http: HTTPClient { httpSource.client }

    /// The HTTP connections kept open to the server are given up for new ones, unless
    /// they were all opened after `moment`: after the event stream died without a word
    /// (unanswered pings), connections opened before it died, on the same network path,
    /// are most likely dead too, and a request sent on one waits out its read timeout
    /// (20 s) before it fails. Requests under way finish on the old connections. A
    /// caller's own client is left as it is.
    public func renewConnections(unlessOpenedAfter moment: ContinuousClock.Instant) {
        guard case .shared(let key) = httpSource else { return }
        if MattermostProxies.renew(key, unlessMadeAfter: moment) {
            logger.info("New HTTP connections to Mattermost from now on (the event stream had died)")
        }
    }

    /// An HTTP client for Mattermost with these TLS settings (tests trust their own
    /// certificate with it), through `proxy` when given. `retryingConnections`: a
    /// connection that could not be made is tried again until the connect timeout (5 s),
    /// as a running link wants (a server restarting); without, a request fails as soon as
    /// its connection does, as an admin at the wizard wants (a wrong port, a proxy that
    /// refuses: each answered at once instead of after 5 s).
    public static func makeHTTP(tls: TLSConfiguration, proxy: MattermostProxy? = nil, retryingConnections: Bool = true) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(5), read: .seconds(20)),
            // As many connections as the outbox works on conversations at once. An idle
            // one is closed before Mattermost's own idle timeout (`IdleTimeout`, 60 s by
            // default, as for many proxies): one the server closes just as a request goes
            // out on it fails that request.
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32),
            decompression: .enabled(limit: .ratio(20)))
        // Mattermost's API does not redirect; a redirect is an address to correct
        // (http:// to https://, another host). Followed, it turns the login's POST into a
        // GET (then "wrong password") and could carry the token elsewhere.
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = retryingConnections
        // Baton does not trace requests: no span per request.
        configuration.tracing.tracer = nil
        if let proxy = proxy?.connectable {
            switch proxy.kind {
            case .http:
                // A CONNECT tunnel for http:// and https:// servers alike.
                configuration.proxy = .server(host: proxy.host, port: proxy.port,
                                              authorization: proxy.username.map { .basic(username: $0, password: proxy.password ?? "") })
            case .socks5:
                configuration.proxy = .socksServer(host: proxy.host, port: proxy.port)
            }
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `proxies`: which proxy to reach `url` through (`--mattermost-proxy`, `HTTPS_PROXY`…).
    /// `http`: a client of the caller's for the API (tests), used as it is, its own proxy
    /// setting included. `interactive`: for an admin waiting for the answer (the setup's
    /// steps), a connection that fails is not tried again (`makeHTTP`). `onOneEventLoop`:
    /// choose one of the HTTP client's event loops for the owner to run on (`eventLoop`).
    public init(url: String, credentials: MattermostCredentials, logger: Logger, http: HTTPClient? = nil,
                proxies: MattermostProxyRules = .direct, interactive: Bool = false, onOneEventLoop: Bool = false,
                timeout: TimeAmount = .seconds(20)) throws(MattermostError) {
        baseURL = try Self.normalise(url)
        self.credentials = credentials
        self.logger = logger
        proxy = proxies.route(for: baseURL)?.proxy
        // A running link's connections to a server are renewed for that server alone; the
        // setup's steps share one client whatever server an admin tries.
        let source: HTTPSource = http.map { .own($0) } ?? .shared(.init(server: interactive ? nil : baseURL, proxy: proxy, interactive: interactive))
        httpSource = source
        // Every shared client runs on NIO's singleton group: a renewed one on the same loops.
        eventLoop = onOneEventLoop ? source.client.eventLoopGroup.next() : nil
        self.timeout = timeout
        if case .token(let token) = credentials { session.withLock { $0 = token } }
    }

    /// `chat.example.com/` → `https://chat.example.com`; refuses what is not an http(s) URL.
    public static func normaliseURL(_ text: String) throws(MattermostError) -> String { try normalise(text) }

    static func normalise(_ text: String) throws(MattermostError) -> String {
        var url = text.trimmingWhitespace()
        // Said as what it is: "https://not a url" was "not an http:// or https:// address".
        guard !url.contains(where: \.isWhitespace) else {
            throw .invalidURL(url: withoutUserInfo(text), reason: "it has a space in it; an address is written without any, such as https://chat.example.com")
        }
        if !url.contains("://") { url = "https://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .invalidURL(url: withoutUserInfo(text), reason: "it is not an http:// or https:// address, such as https://chat.example.com")
        }
        guard let host = parsed.host, !host.isEmpty else {
            throw .invalidURL(url: withoutUserInfo(text), reason: "it names no server, as https://chat.example.com does")
        }
        // A password there would be stored, shown and logged with the address: the
        // sign-in has fields of its own.
        guard parsed.user == nil, parsed.password == nil else {
            throw .invalidURL(url: withoutUserInfo(text), reason: "it has a user name or password in it (…@): give the server's address alone, "
                                + "and the sign-in as the username and password or the token")
        }
        guard parsed.query == nil, parsed.fragment == nil else {
            throw .invalidURL(url: text, reason: "it has a query (?…) or a fragment (#…): give the server's address alone, such as https://chat.example.com")
        }
        // (A port beyond 16 bits would stop the process where the socket address is made.)
        if let port = parsed.port, !(1...65535).contains(port) {
            throw .invalidURL(url: text, reason: "its port \(port) is not one from 1 to 65535")
        }
        // One server, one address: `HTTPS://Chat.Example.com:443` is `https://chat.example.com`
        // (its rooms' links are recognised by it). A path (a server under a folder) is kept.
        let separator = url.range(of: "://")!
        let pathStart = url[separator.upperBound...].firstIndex(of: "/") ?? url.endIndex
        if let origin = WebOrigin.canonical(String(url[..<pathStart])) { url = origin + url[pathStart...] }
        return url
    }

    /// `text` without what stands between its scheme and an `@` before its path (a user
    /// name and password), for messages.
    static func withoutUserInfo(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@") else { return text }
        let start = text.range(of: "://").map(\.upperBound) ?? text.startIndex
        guard start <= at, !text[start..<at].contains("/") else { return text }
        return String(text[..<start]) + "…" + String(text[at...])
    }

    /// Whether `link` is an address on the server at `base` (a normalised URL), however
    /// either was written.
    static func isOnServer(_ link: String, base: String) -> Bool {
        guard let link = try? normalise(link), let base = try? normalise(base) else { return false }
        return link.hasPrefix(base + "/")
    }

    /// The WebSocket address of the server's event stream.
    var webSocketURL: String {
        (baseURL.hasPrefix("https://") ? "wss://" + baseURL.dropFirst(8) : "ws://" + baseURL.dropFirst(7)) + "/api/v4/websocket"
    }

    /// The session token in use now, if any (without logging in).
    var currentToken: String? { session.withLock { $0 } }

    /// The current session token, logging in first if there is none.
    func token() async throws -> String {
        if let token = session.withLock({ $0 }) { return token }
        _ = try await logIn(replacing: nil)
        guard let token = session.withLock({ $0 }) else { throw MattermostError.sessionExpired }
        return token
    }

    /// Logs in (password credentials) and returns the user. One login at a time: callers
    /// that saw the same expired token share the new one.
    @discardableResult
    func logIn(replacing expired: String?) async throws -> MMUser? {
        guard case .password(let username, let password) = credentials else {
            throw MattermostError.badCredentials(username: nil)
        }
        return try await loginLock.withLock(0) {
            if let current = session.withLock({ $0 }), current != expired { return nil }
            let (status, headers, body) = try await send(.POST, "/api/v4/users/login", body: ByteBuffer(data: try JSONEncoder().encode(["login_id": username, "password": password])), token: nil)
            guard status == 200 || status == 201 else {
                throw status == 401 ? MattermostError.badCredentials(username: username) : error(status: status, headers: headers, body: body, path: "/api/v4/users/login")
            }
            guard let token = headers.first(name: "Token"), !token.isEmpty else {
                throw MattermostError.notMattermost(url: baseURL, reason: "the login answer has no Token header")
            }
            session.withLock { $0 = token }
            return try decode(MMUser.self, from: body, path: "/api/v4/users/login")
        }
    }

    // MARK: Requests

    /// Sends a request and decodes the answer; logs in again once on 401.
    func request<T: Decodable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                               body: (some Encodable)? = Optional<String>.none, as type: T.Type) async throws -> T {
        let (_, _, data) = try await call(method, path, query: query, body: body)
        return try decode(T.self, from: data, path: path)
    }

    /// Sends a request and reads the answer with `JSONReader`.
    func request<T: JSONReadable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                                  body: (some Encodable)? = Optional<String>.none, as type: T.Type) async throws -> T {
        let (_, _, data) = try await call(method, path, query: query, body: body)
        return try decode(T.self, from: data, path: path)
    }

    /// Sends a request whose answer Baton does not need.
    func perform(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                 body: (some Encodable)? = Optional<String>.none) async throws {
        _ = try await call(method, path, query: query, body: body)
    }

    /// Sends a request; returns a 2xx answer or throws the mapped error.
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
              body: (some Encodable)? = Optional<String>.none) async throws -> (Int, HTTPHeaders, ByteBuffer) {
        try await call(method, path, query: query, encodedBody: try body.map { ByteBuffer(data: try JSONEncoder().encode($0)) })
    }

    /// Sends a request with a body already encoded (JSON unless `contentType` says
    /// otherwise); the answer may be of any type `accept` allows and at most `limit` bytes.
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
              encodedBody encoded: ByteBuffer?, contentType: String = "application/json",
              accept: String = "application/json", limit: Int = MattermostClient.answerLimit) async throws -> (Int, HTTPHeaders, ByteBuffer) {
        var token = try await token()
        func attempt(_ token: String) async throws -> (Int, HTTPHeaders, ByteBuffer) {
            try await send(method, path, query: query, body: encoded, contentType: contentType, accept: accept, limit: limit, token: token)
        }
        var (status, headers, data) = try await attempt(token)
        // A 401 that names a feature turned off is the server's answer, not a lost session.
        let featureOff = status == 401 && Self.isFeatureOff(data)
        if status == 401, !featureOff, case .password = credentials {
            logger.info("Mattermost session expired; logging in again")
            try await logIn(replacing: token)
            token = try await self.token()
            (status, headers, data) = try await attempt(token)
        }
        guard (200..<300).contains(status) else {
            if status == 401 && !featureOff {
                throw credentials.username == nil ? MattermostError.badCredentials(username: nil) : MattermostError.sessionExpired
            }
            throw error(status: status, headers: headers, body: data, path: path)
        }
        return (status, headers, data)
    }

    /// Whether an error answer says a feature is turned off on the server (its id ends in
    /// `.not_enabled.app_error`, e.g. permanent channel deletion): Mattermost answers 401.
    static func isFeatureOff(_ body: ByteBuffer) -> Bool {
        (try? JSONDecoder().decode(MMAppError.self, from: Data(buffer: body)))?.id.hasSuffix(".not_enabled.app_error") == true
    }

    /// The largest answer read when a call names no other limit.
    static let answerLimit = 32 << 20

    /// One HTTP exchange, no retry; transport failures become `unreachable` or `tls`, a
    /// successful answer over `limit` bytes a 413 `server` error.
    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: ByteBuffer?,
              contentType: String = "application/json", accept: String = "application/json",
              limit: Int = MattermostClient.answerLimit, token: String?) async throws -> (Int, HTTPHeaders, ByteBuffer) {
        var url = baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: accept)
        headers.add(name: "X-Requested-With", value: "XMLHttpRequest")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if body != nil { headers.add(name: "Content-Type", value: contentType) }
        // The limit is for what was asked for: an error answer is always read (up to 64 KiB).
        let readLimit = max(limit, 1 << 16)
        do {
            // AsyncHTTPClient's delegate API rather than its async one: the answer is read
            // on the connection's event loop and handed over once, where the async API
            // wakes the caller for the head and again for each part of the body. A caller
            // that runs on one of the client's event loops (`EventLoopExecutor`) gets its
            // answer there (`.indifferent` prefers the current loop, for the answer and for
            // the connection when one of that loop is free) and is resumed without a hop.
            let request = try HTTPClient.Request(url: url, method: method, headers: headers, body: body.map { .byteBuffer($0) })
            let task = http.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: readLimit),
                                    eventLoop: .indifferent, deadline: .now() + timeout)
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            let status = Int(response.status.code)
            let data = response.body ?? ByteBuffer()
            if (200..<300).contains(status), data.readableBytes > limit { throw ResponseAccumulator.ResponseTooBigError(maxBodySize: limit) }
            return (status, response.headers, data)
        } catch is ResponseAccumulator.ResponseTooBigError {
            throw MattermostError.server(status: 413, id: "baton.answer_too_large",
                                        message: "the answer to \(path) is larger than the \(limit) bytes Baton takes")
        } catch {
            throw Self.transportError(error, url: baseURL, proxy: proxy)
        }
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?#"))) ?? text
    }

    func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer, path: String) throws -> T {
        try reading(body, path: path) { try JSONDecoder().decode(T.self, from: Data(buffer: body)) }
    }

    func decode<T: JSONReadable>(_ type: T.Type, from body: ByteBuffer, path: String) throws -> T {
        try reading(body, path: path) { try body.withUnsafeReadableBytes { try T(json: $0) } }
    }

    /// An answer read by `read`; one that cannot be read is not Mattermost's.
    private func reading<T>(_ body: ByteBuffer, path: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch {
            throw MattermostError.notMattermost(url: baseURL, reason: "unexpected answer to \(path): \(Self.snippet(body))")
        }
    }
}
