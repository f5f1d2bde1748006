import AsyncHTTPClient
import Foundation
import MattermostSandbox
import NIOCore
import NIOHTTP1
import OpenAPIContract
import Testing

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, failing after `seconds`: no test can hang.
func withTimeout<T: Sendable>(_ seconds: Double = 30, _ body: @Sendable @escaping () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestFailure("timed out after \(seconds) s")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A sandbox seeded like `mattermost-sandbox`: team `support`; relay (system admin),
/// alice and bob on it; carol not. Bounded in time.
struct Seeded: Sendable {
    let sandbox: MattermostSandbox
    let team: MattermostSandbox.Team
    let relay: MattermostSandbox.User
    let alice: MattermostSandbox.User
    let bob: MattermostSandbox.User
    let carol: MattermostSandbox.User

    var townSquare: String { sandbox.channel(team: "support", name: "town-square")!.id }

    /// Runs a seeded stand-in for the length of `body`, which fails after `timeout` seconds:
    /// a guard against a hung test, generous because a starved machine is slow.
    @discardableResult
    static func run<T: Sendable>(configure: @Sendable (inout MattermostSandbox.Configuration) -> Void = { _ in },
                                 timeout: Double = 180,
                                 _ body: @Sendable @escaping (Seeded) async throws -> T) async throws -> T {
        var configuration = MattermostSandbox.Configuration()
        // The tests' event sockets (WSClient) send an Origin without the port, which the
        // server's own check refuses; as a Mattermost with cross-origin requests allowed.
        configuration.allowCorsFrom = "*"
        configure(&configuration)
        let settings = configuration
        return try await withTimeout(timeout) {
            try await MattermostSandbox.run(configuration: settings) { sandbox in
                let team = sandbox.addTeam(name: "support", displayName: "Support")
                let relay = sandbox.addUser(username: "relay", password: "relay-password", admin: true)
                let alice = sandbox.addUser(username: "alice", password: "agent-password", firstName: "Alice", lastName: "Archer")
                let bob = sandbox.addUser(username: "bob", password: "agent-password", firstName: "Bob", lastName: "Baker")
                let carol = sandbox.addUser(username: "carol", password: "agent-password")
                for user in [relay, alice, bob] { sandbox.addToTeam(user.id, team: "support") }
                return try await body(Seeded(sandbox: sandbox, team: team, relay: relay, alice: alice, bob: bob, carol: carol))
            }
        }
    }

    /// A REST client for the sandbox, authenticated with `token` when given.
    func api(_ token: String? = nil) -> API { API(base: sandbox.url, token: token) }

    /// A client logged in as `user` with a session token.
    func api(as user: MattermostSandbox.User) -> API { api(sandbox.sessionToken(for: user.id)) }
}

/// A REST response, with the JSON body parsed on demand.
struct APIResponse: Sendable, CustomStringConvertible {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    subscript(key: String) -> Any? { object[key] }
    func string(_ key: String) -> String? { object[key] as? String }
    func int(_ key: String) -> Int64? { (object[key] as? NSNumber)?.int64Value }
    /// The error id of an `AppError` body.
    var errorID: String? { string("id") }
    var description: String { "\(status) \(text)" }
}

/// Minimal REST client over `HTTPClient.shared`; it keeps no cookies.
struct API: Sendable {
    let base: String
    var token: String?

    func get(_ path: String, headers: [(String, String)] = [], timeout: TimeAmount = .seconds(10)) async throws -> APIResponse {
        try await send(.GET, path, body: nil, headers: headers, timeout: timeout)
    }

    func post(_ path: String, _ object: Any, headers: [(String, String)] = []) async throws -> APIResponse {
        try await send(.POST, path, body: try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]), headers: headers)
    }

    func put(_ path: String, _ object: Any) async throws -> APIResponse {
        try await send(.PUT, path, body: try JSONSerialization.data(withJSONObject: object), headers: [])
    }

    func delete(_ path: String) async throws -> APIResponse {
        try await send(.DELETE, path, body: nil, headers: [])
    }

    /// Sends raw bytes, for malformed bodies and files.
    func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String = "application/json",
              headers: [(String, String)] = [], timeout: TimeAmount = .seconds(10)) async throws -> APIResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return APIResponse(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }
}

extension MattermostSandbox.Exchange {
    /// The recorded exchange in the contract checker's terms.
    var contractExchange: HTTPExchange {
        HTTPExchange(method: method, path: path, query: query, requestBody: requestBody,
                     requestContentType: requestHeaders["content-type"], status: status,
                     responseContentType: responseContentType, responseBody: responseBody)
    }
}

/// Decodes the JSON string a `posted` or `post_edited` event carries in `data.post`.
func decodePost(_ value: Any?) throws -> [String: Any] {
    guard let text = value as? String else { throw TestFailure("data.post is not a string: \(String(describing: value))") }
    guard let post = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw TestFailure("data.post is not a JSON object: \(text)")
    }
    return post
}
