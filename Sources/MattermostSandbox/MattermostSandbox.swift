/// A stand-in for a Mattermost server: REST API v4 and the event WebSocket on loopback,
/// behaving like the real server (see `shared/mattermost-api/README.md`), with helpers to
/// seed data, act as users, inspect what clients did, watch posts as they are made
/// (`onPost`), and inject faults.
///
/// ```swift
/// try await MattermostSandbox.run { mattermost in
///     let team = mattermost.addTeam(name: "support", displayName: "Support")
///     let relay = mattermost.addUser(username: "relay", password: "relay-password", admin: true)
///     mattermost.addToTeam(relay.id, team: team.name)
///     // point a client at mattermost.url …
/// }
/// ```
///
/// State (users, channels, posts, sessions) lives apart from the HTTP server, so
/// `goDown()` / `comeBack()` stop and restart the server on the same port and keep it.
public final class MattermostSandbox: Sendable {
    let core: SandboxCore
    let server: SandboxServer

    public let configuration: Configuration

    init(configuration: Configuration) {
        self.configuration = configuration
        core = SandboxCore(configuration: configuration)
        server = SandboxServer(core: core)
    }

    /// Runs a sandbox for the duration of `body`, then shuts it down.
    public static func run<T: Sendable>(configuration: Configuration = .init(),
                                        _ body: @Sendable (MattermostSandbox) async throws -> T) async throws -> T {
        let sandbox = MattermostSandbox(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await sandbox.server.supervise() }
            do {
                _ = try await sandbox.server.start()
                let result = try await body(sandbox)
                sandbox.server.finish()
                try await tasks.waitForAll()
                return result
            } catch {
                sandbox.server.finish()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// The port the sandbox listens on (kept across `goDown()` / `comeBack()`).
    public var port: Int { server.port }

    /// `http://127.0.0.1:PORT` (`https://` with `Configuration.tls`), the server URL a
    /// client is configured with.
    public var url: String { "\(configuration.tls == nil ? "http" : "https")://\(configuration.host):\(port)" }

    /// `ws://127.0.0.1:PORT/api/v4/websocket` (`wss://` with `Configuration.tls`).
    public var webSocketURL: String { "\(configuration.tls == nil ? "ws" : "wss")://\(configuration.host):\(port)/api/v4/websocket" }

    /// Stops listening: event sockets are dropped, then new connections are refused.
    public func goDown() async {
        await server.stop()
    }

    /// How many times the server did not finish its graceful shutdown in time and was left
    /// behind (a connection it could not close): 0 unless something is wrong.
    public var serversLeftBehind: Int { server.leftBehind }

    /// Listens again on the same port, with everything the sandbox knew.
    public func comeBack() async throws {
        _ = try await server.start()
    }

    /// Every REST request answered so far and its response, in order (the event socket
    /// is not included).
    public var exchanges: [Exchange] {
        core.control.withLock { $0.exchanges }
    }

    /// Forgets the recorded exchanges.
    public func clearExchanges() {
        core.control.withLock { $0.exchanges.removeAll() }
    }
}
