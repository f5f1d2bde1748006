import BatonCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import OpenAPIContract
import Synchronization

/// The admin API (`/api/v1`), described by `Public/api/openapi.yaml`, which the dashboard
/// uses. Its gate checks every request against that document before a handler sees it,
/// then the session, the origin and the CSRF token.
struct AdminAPI: Sendable {
    let contract: APIContract
    let auth: AdminAuth
    let services: BatonServices
    let config: BatonConfiguration
    let identity: IdentityCheck
    let logger: Logger

    /// Operations that need no session.
    static let publicOperations: Set<String> = ["getSession", "signIn", "getSetup", "createFirstAdmin"]

    func register(on router: Router<BatonRequestContext>) {
        // On the whole router, so that it sees requests no route matches (unknown paths,
        // wrong methods) too.
        router.middlewares.add(APIGate(contract: contract, auth: auth))
        // And on the API's routes themselves: a request reaches none of them without
        // having passed the gate, whatever a path that the router reads like the API's
        // looks like to the gate.
        let api = router.group("api/v1").add(middleware: APIGate.Passed())
        registerSession(on: api)
        registerAdmins(on: api)
        registerBots(on: api)
        registerMattermost(on: api)
        registerConversations(on: api)
        registerInsights(on: api)
    }

    // MARK: Responses

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            // The gate checked the body against the document already; this is a mismatch
            // between the document and the code, not the client's fault.
            throw APIError(.badRequest, code: "invalid_body", "The request body does not have the expected form.")
        }
    }

    /// Baton's own address as the visitor's browser sees it (for embed snippets).
    func publicBase(for request: Request) -> String {
        if let url = config.publicURL { return url }
        let scheme = request.headers[.init("X-Forwarded-Proto")!] == "https" ? "https" : "http"
        return "\(scheme)://\(request.head.authority ?? "\(config.host):\(config.port)")"
    }
}

extension APIError {
    static let notFound = APIError(.notFound, code: "not_found", "There is no such thing here.")
}

/// The admin API's document as a contract, read at the first request to the API: most
/// starts of a server never need it (the dashboard is opened now and then), and reading
/// its YAML takes the YAML parser's and the regular expressions' code into memory.
final class APIContract: Sendable {
    private let document: String
    private let contract = Mutex<OpenAPIContract?>(nil)

    init(document: String) {
        self.document = document
    }

    /// The contract; the document is read once (a request meanwhile waits for it).
    func get() throws -> OpenAPIContract {
        try contract.withLock { contract in
            if let contract { return contract }
            let read = try OpenAPIContract(yaml: document, deviations: [])
            contract = read
            return read
        }
    }
}

/// Checks requests to the admin API: against the document, then who is asking.
struct APIGate: RouterMiddleware {
    let contract: APIContract
    let auth: AdminAuth

    func handle(_ request: Request, context: BatonRequestContext,
                next: (Request, BatonRequestContext) async throws -> Response) async throws -> Response {
        guard Self.isAPIPath(request.uri.path) else { return try await next(request, context) }
        // The router reads `//api/v1/…` and `/api//v1/…` as `/api/v1/…` (it skips empty
        // segments): such paths are nobody's, so no route is reached by a path the
        // document does not know.
        guard !request.uri.path.contains("//"), !request.uri.path.hasSuffix("/") else {
            throw APIError(.notFound, code: "unknown_path", "The admin API has no \(request.uri.path.prefix(200)). See /api/openapi.yaml.")
        }
        var request = request
        var context = context
        context.passedAPIGate = true
        // Who is asking is known first: outside signing in and the setup, a request
        // without a session is refused without its body being read (up to 1 MiB each).
        let anonymousAllowed = Self.mayBeAnonymous(request)
        let session = try await signIn(request, &context)
        var body = ByteBuffer()
        if session != nil || anonymousAllowed {
            do {
                body = try await request.body.collect(upTo: 1 << 20)
            } catch is NIOTooManyBytesError {
                throw APIError(.contentTooLarge, code: "too_large", "The request body is larger than 1 MiB.")
            } catch {
                // A broken chunked encoding, an unknown transfer coding, a connection that
                // ended halfway.
                throw APIError(.badRequest, code: "unreadable_body", "The request body could not be read as HTTP/1.1 sends it (check its Transfer-Encoding and chunks).")
            }
            request.body = .init(buffer: body)
        }
        let operation: String?
        switch try contract.get().check(method: request.method.rawValue, path: request.uri.path, query: request.uri.query, body: Data(buffer: body)) {
        case .unknownPath:
            throw APIError(.notFound, code: "unknown_path", "The admin API has no \(request.uri.path). See /api/openapi.yaml.")
        case .methodNotAllowed(let allowed):
            // RFC 9110 §15.5.6: a 405 lists the methods the resource takes (HEAD with GET).
            let methods = allowed.contains("GET") ? allowed + ["HEAD"] : allowed
            throw APIError(.methodNotAllowed, code: "method_not_allowed",
                           "\(request.uri.path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", ")).",
                           headers: [.allow: methods.joined(separator: ", ")])
        case .invalid(let problems):
            if session == nil, !anonymousAllowed { throw APIError.signInRequired }
            let readable = problems.map(Self.readable)
            throw APIError(.badRequest, code: "invalid_request", "The request does not match the API: \(readable.first ?? "")",
                           issues: zip(problems, readable).map { APIError.Issue(path: Self.field(of: $0), message: $1) })
        case .accepted(let operationID, let parameters):
            operation = operationID
            context.apiParameters = parameters
        }
        let isChange = request.method != .get && request.method != .head
        if isChange, let origin = request.headers[.origin], !OriginPolicy.isBatonsOwn(origin, host: request.head.authority) {
            throw APIError(.forbidden, code: "origin_refused", "Changes are only accepted from Baton's own pages, not from \(origin.prefix(200)).")
        }
        if let operation, AdminAPI.publicOperations.contains(operation) {
            return try await next(request, context)
        }
        guard let session else { throw APIError.signInRequired }
        if isChange {
            guard let token = request.headers[.init("X-CSRF-Token")!], AdminAuth.equal(token, session.csrfToken) else {
                throw APIError(.forbidden, code: "csrf", "The CSRF token is missing or wrong. Reload the dashboard and try again.")
            }
        }
        return try await next(request, context)
    }

    /// Looks up the session cookie; sets the context's admin.
    private func signIn(_ request: Request, _ context: inout BatonRequestContext) async throws -> AdminSession? {
        guard let token = request.cookies[AdminAuth.cookieName]?.value, !token.isEmpty,
              let (admin, session) = try await auth.authenticate(cookie: token) else { return nil }
        context.admin = admin
        context.session = session
        return session
    }

    /// Whether the router may read `path` as one of the admin API's: its first two
    /// non-empty segments are `api` and `v1`.
    static func isAPIPath(_ path: String) -> Bool {
        var segments = path.split(separator: "/").makeIterator()
        return segments.next() == "api" && segments.next() == "v1"
    }

    /// On the API's routes: refuses a request that did not come through the gate.
    struct Passed: RouterMiddleware {
        func handle(_ request: Request, context: BatonRequestContext,
                    next: (Request, BatonRequestContext) async throws -> Response) async throws -> Response {
            guard context.passedAPIGate else { throw APIError.notFound }
            return try await next(request, context)
        }
    }

    private static func mayBeAnonymous(_ request: Request) -> Bool {
        let path = request.uri.path
        return path == "/api/v1/session" || path == "/api/v1/setup"
    }


    /// `body.settings.color: …` → `settings.color: …`.
    static func readable(_ problem: String) -> String {
        problem.hasPrefix("body.") ? String(problem.dropFirst(5)) : problem.hasPrefix("body: ") ? "the body: " + problem.dropFirst(6) : problem
    }

    /// `body.settings.color: …` → `settings.color`.
    static func field(of problem: String) -> String {
        guard let colon = problem.firstIndex(of: ":") else { return "" }
        var field = String(problem[..<colon])
        if field.hasPrefix("body.") { field.removeFirst(5) } else if field == "body" { field = "" }
        return field
    }
}
