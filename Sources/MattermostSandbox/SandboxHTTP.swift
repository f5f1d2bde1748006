import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers REST requests: records each exchange, then applies the injected delay and
/// faults, then authenticates and routes like the real server.
struct SandboxHTTP: Sendable {
    typealias APIError = MattermostSandbox.APIError

    let core: SandboxCore
    let routes: RouteTable

    init(core: SandboxCore) {
        self.core = core
        var table = RouteTable()
        table.add("GET", "system/ping", session: false) { _ in
            Reply.json { $0.object { json in
                json.field("ActiveSearchBackend", "database")
                json.field("AndroidLatestVersion", "")
                json.field("AndroidMinVersion", "")
                json.field("IosLatestVersion", "")
                json.field("IosMinVersion", "")
                json.field("status", "OK")
            } }
        }
        UserRoutes.register(&table)
        TeamRoutes.register(&table)
        ChannelRoutes.register(&table)
        ChannelMemberRoutes.register(&table)
        PostRoutes.register(&table)
        FileRoutes.register(&table)
        routes = table
    }

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        // Uploads may be as large as the file size limit allows.
        let limit = max(64 << 20, Int(clamping: core.configuration.maxFileSize) &+ (1 << 20))
        var body: [UInt8] = []
        var tooLarge = false
        do {
            body = Array(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            tooLarge = error is NIOTooManyBytesError
        }
        let requestID = Identifiers.newID()
        let method = request.method.rawValue
        let path = request.uri.path
        let query = request.uri.query
        let reply = await answer(method: method, path: path, query: query, headers: request.headers, body: body,
                                 bodyTooLarge: tooLarge, requestID: requestID)
        if core.configuration.recordsExchanges, path != "/api/v4/websocket" {
            record(method: method, path: path, query: query, headers: request.headers, body: body, reply: reply)
        }
        return response(for: reply, requestID: requestID)
    }

    private func answer(method: String, path: String, query: String?, headers: HTTPFields, body: [UInt8],
                        bodyTooLarge: Bool, requestID: String) async -> Reply {
        await core.waitOutDelay()
        if let fault = takeFault(path: path, requestID: requestID) { return fault }
        let segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        guard segments.count >= 2, segments[0] == "api", segments[1] == "v4" else { return errorReply(.notFound404, requestID) }
        if path == "/api/v4/websocket" {
            return errorReply(APIError("api.web_socket.connect.upgrade.app_error", "Failed to upgrade websocket connection.", status: 400),
                              requestID)
        }
        let queryItems = Self.parse(query: query)
        guard let (route, params) = routes.match(method: method, segments: Array(segments.dropFirst(2))) else {
            return errorReply(.notFound404, requestID)
        }
        var call = Call(core: core, method: method, params: params, query: queryItems, body: body,
                        contentType: headers[.contentType] ?? "", bodyTooLarge: bodyTooLarge, requestID: requestID)
        if route.needsSession {
            switch authenticate(method: method, headers: headers, query: queryItems) {
            case .success(let session): call.session = session
            case .failure(let error): return errorReply(error, requestID)
            }
        }
        do {
            return try route.handler(call)
        } catch {
            return errorReply(error, requestID)
        }
    }

    /// `ParseAuthTokenFromRequest`: the `MMAUTHTOKEN` cookie wins, then `Authorization:
    /// Bearer|Token`, then `access_token`. A cookie session must carry `X-CSRF-Token` on
    /// every request but GET, or it is taken for a CSRF attempt (401).
    private func authenticate(method: String, headers: HTTPFields, query: [String: String]) -> Result<Session, APIError> {
        var expired = APIError.sessionExpired
        let cookies = Self.cookies(headers[values: .cookie])
        var token = ""
        var fromCookie = false
        if let cookie = cookies["MMAUTHTOKEN"], !cookie.isEmpty {
            token = cookie
            fromCookie = true
        } else if let authorization = headers[.authorization] {
            let lowered = authorization.lowercased()
            if lowered.hasPrefix("bearer ") { token = String(authorization.dropFirst(7)) }
            else if lowered.hasPrefix("token ") { token = String(authorization.dropFirst(6)) }
        } else if let value = query["access_token"] {
            token = value
        }
        token = token.trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else {
            expired.detailedError = "UserRequired"
            return .failure(expired)
        }
        guard let session = core.world.withLock({ $0.session(for: token) }) else {
            expired.detailedError = "token=\(token)"
            return .failure(expired)
        }
        if fromCookie, method != "GET" {
            let sent = HTTPField.Name("X-CSRF-Token").flatMap { headers[$0] } ?? ""
            guard !session.csrfToken.isEmpty, sent == session.csrfToken else {
                expired.detailedError = "token=\(token) Appears to be a CSRF attempt"
                return .failure(expired)
            }
        }
        return .success(session)
    }

    private func errorReply(_ error: APIError, _ requestID: String) -> Reply {
        Reply(status: error.statusCode, body: error.json(requestID: requestID))
    }

    private func response(for reply: Reply, requestID: String) -> Response {
        var fields = HTTPFields()
        if let type = reply.contentType { fields[.contentType] = type }
        for (name, value) in reply.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        if let name = HTTPField.Name("X-Request-Id") { fields[name] = requestID }
        if let name = HTTPField.Name("X-Version-Id") {
            let version = core.configuration.serverVersion
            fields[name] = "\(version).\(version).sandbox.false"
        }
        return Response(status: .init(code: reply.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    private func record(method: String, path: String, query: String?, headers: HTTPFields, body: [UInt8], reply: Reply) {
        var requestHeaders: [String: String] = [:]
        for field in headers {
            let name = field.name.canonicalName
            requestHeaders[name] = requestHeaders[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let exchange = MattermostSandbox.Exchange(
            method: method, path: path, query: query, requestHeaders: requestHeaders, requestBody: Data(body),
            status: reply.status, responseContentType: reply.contentType, responseBody: Data(reply.body))
        core.control.withLock { $0.exchanges.append(exchange) }
    }

    static func parse(query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if items[name] == nil { items[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return items
    }

    static func cookies(_ headers: [String]) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                cookies[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
    }
}
