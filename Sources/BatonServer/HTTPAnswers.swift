import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

// How every route answers: JSON bodies, JSON errors, and HEAD as GET.

/// JSON responses written with `JSONWriter`.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ body: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter()
        writer.object(body)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

/// An HTTP error with a machine-readable code and a message a person can act on, and,
/// for invalid input, every problem with its place.
struct APIError: Error, HTTPResponseError {
    struct Issue: Sendable, Codable {
        var path: String
        var line: Int?
        var column: Int?
        var message: String
    }

    let status: HTTPResponse.Status
    let code: String
    let message: String
    var issues: [Issue]
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status, code: String, _ message: String, issues: [Issue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues
        self.headers = headers
    }

    static let signInRequired = APIError(.unauthorized, code: "sign_in_required", "Sign in to the dashboard first.")

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(status) { w in
            w.key("error")
            w.object { w in
                w.field("code", code)
                w.field("message", message)
                if !issues.isEmpty {
                    w.key("issues")
                    w.array(issues) { w, issue in
                        w.object { w in
                            w.field("path", issue.path)
                            if let line = issue.line { w.field("line", line) }
                            if let column = issue.column { w.field("column", column) }
                            w.field("message", issue.message)
                        }
                    }
                }
            }
        }
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Answers `HEAD` as `GET` without the body (RFC 9110 §9.3.2): the same status and
/// headers, `Content-Length` included, for uptime monitors and link checkers that ask
/// with `HEAD`. It wraps the router, because the router picks a route by method before
/// any middleware runs. Errors too are answered without their body, which a client of
/// `HEAD` does not read (and would take for the next answer on a kept-alive connection).
struct HeadAsGet<Routes: HTTPResponderBuilder>: HTTPResponderBuilder where Routes.Responder.Context: RequestContext {
    let routes: Routes

    struct Responder: HTTPResponder {
        let routes: Routes.Responder

        func respond(to request: Request, context: Routes.Responder.Context) async throws -> Response {
            guard request.method == .head else { return try await routes.respond(to: request, context: context) }
            var head = request.head
            head.method = .get
            let asGet = Request(head: head, body: request.body)
            do {
                return try await routes.respond(to: asGet, context: context).createHeadResponse()
            } catch let error as any HTTPResponseError {
                return try error.response(from: asGet, context: context).createHeadResponse()
            }
        }
    }

    func buildResponder() -> Responder {
        Responder(routes: routes.buildResponder())
    }
}

/// Turns every error into a JSON error response; unexpected ones are logged and answered
/// with 500 without details.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "There is nothing at \(request.uri.path)." : error.status.reasonPhrase)
            throw APIError(error.status, code: error.status == .notFound ? "not_found" : "http_\(error.status.code)", message)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            logger.error("Request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, code: "internal_error", "Something went wrong on the server; it has been logged.")
        }
    }
}

extension HTTPField.Name {
    /// What widgets load from Baton on other sites' pages says `cross-origin`, so that pages
    /// isolated from other origins (`Cross-Origin-Embedder-Policy: require-corp`) may too.
    static let crossOriginResourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
}
