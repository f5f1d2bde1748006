import Foundation

/// One REST request as a handler sees it: path parameters, query, body, and the caller.
struct Call: Sendable {
    typealias APIError = MattermostSandbox.APIError

    let core: SandboxCore
    let method: String
    let params: [String: String]
    let query: [String: String]
    let body: [UInt8]
    /// The request's `Content-Type`; empty when it had none.
    var contentType = ""
    /// Set when the body was larger than the sandbox reads (then `body` is empty).
    var bodyTooLarge = false
    let requestID: String
    /// The caller's session; set for every route that needs one.
    var session: Session?

    /// The caller's user id (routes that need a session only).
    var userID: String { session?.userID ?? "" }

    /// Runs `body` on the world under its lock.
    func world<R: Sendable>(_ body: (inout World) throws(APIError) -> R) throws(APIError) -> R {
        try core.world.withLock { (world: inout World) throws(APIError) -> R in try body(&world) }
    }

    /// Decodes the JSON body; malformed JSON or wrong types are a 400 naming `parameter`, as
    /// the real server's `SetInvalidParamWithErr` does.
    func decode<T: Decodable>(_ type: T.Type, parameter: String) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            var failure = APIError.invalidParam(parameter)
            failure.detailedError = "\(error)"
            throw failure
        }
    }

    /// A path parameter that must be a valid id (or `me` where `allowMe`).
    func id(_ name: String, allowMe: Bool = false) throws(APIError) -> String {
        let value = params[name] ?? ""
        if allowMe, value == "me" { return userID }
        guard Identifiers.isValid(value) else { throw .invalidURLParam(name) }
        return value
    }

    /// `page` and `per_page`: defaults 0 and 60, `per_page` capped silently.
    func paging() -> (page: Int, perPage: Int) {
        let page = max(0, Int(query["page"] ?? "") ?? 0)
        var perPage = Int(query["per_page"] ?? "") ?? 60
        if perPage < 0 { perPage = 60 }
        return (page, min(perPage, core.configuration.maxPerPage))
    }
}

/// A handler's answer.
struct Reply: Sendable {
    var status: Int
    var body: [UInt8]
    var contentType: String? = "application/json"
    var headers: [(String, String)] = []

    static func json(_ status: Int = 200, _ write: (inout GoJSONWriter) -> Void) -> Reply {
        var writer = GoJSONWriter()
        write(&writer)
        return Reply(status: status, body: writer.bytes)
    }

    /// `{"status":"OK"}`, the body of `ReturnStatusOK`.
    static let statusOK = json { $0.object { $0.field("status", "OK") } }
}
