import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// An answer of the admin API.
public struct APIAnswer: Sendable, CustomStringConvertible {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: Data
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    public var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    public var issues: [[String: Any]] { (json["error"] as? [String: Any])?["issues"] as? [[String: Any]] ?? [] }
    public var description: String { "\(status) \(text)" }
}

/// What the admin API was asked and answered, for checking against its document.
public struct RecordedExchange: Sendable {
    public let method: String
    public let path: String
    public let query: String?
    public let requestBody: Data
    public let answer: APIAnswer
}

/// A browser-like client of the admin API: keeps the session cookie, sends the CSRF
/// token and Baton's origin with changes, and records every exchange.
public final class AdminClient: Sendable {
    public let base: String
    private let cookie = Mutex<String?>(nil)
    private let csrf = Mutex<String?>(nil)
    private let recorded = Mutex<[RecordedExchange]>([])

    public init(base: String) { self.base = base }

    public var exchanges: [RecordedExchange] { recorded.withLock { $0 } }
    public var csrfToken: String? { csrf.withLock { $0 } }
    /// The session cookie as a `Cookie` field holds it (`baton_session=…`).
    public var sessionCookie: String? { cookie.withLock { $0 } }

    /// Signs in; the session and CSRF token are kept for later requests.
    @discardableResult
    public func signIn(_ email: String, _ password: String) async throws -> APIAnswer {
        try await send("POST", "/api/v1/session", json: ["email": email, "password": password])
    }

    /// Sends a request. `csrf: false` leaves the token out; `origin` replaces Baton's own.
    public func send(_ method: String, _ path: String, json: Any? = nil, raw: Data? = nil, csrf: Bool = true,
                     origin: String? = nil, headers: [(String, String)] = []) async throws -> APIAnswer {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        let body = try raw ?? json.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        if let cookie = cookie.withLock({ $0 }) { request.headers.add(name: "Cookie", value: cookie) }
        if method != "GET" {
            request.headers.add(name: "Origin", value: origin ?? base)
            if csrf, let token = self.csrf.withLock({ $0 }) { request.headers.add(name: "X-CSRF-Token", value: token) }
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        for setCookie in response.headers["Set-Cookie"] {
            let pair = setCookie.split(separator: ";").first.map(String.init) ?? ""
            cookie.withLock { $0 = pair.hasSuffix("=") ? nil : pair }
        }
        let answer = APIAnswer(status: Int(response.status.code), headers: response.headers, body: data)
        // Signing in (or creating the first admin) hands out the session's CSRF token.
        if answer.status == 200, let token = answer.json["csrfToken"] as? String { self.csrf.withLock { $0 = token } }
        let parts = path.split(separator: "?", maxSplits: 1)
        recorded.withLock {
            $0.append(RecordedExchange(method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil,
                                       requestBody: body, answer: answer))
        }
        return answer
    }

    public func get(_ path: String) async throws -> APIAnswer { try await send("GET", path) }
}
