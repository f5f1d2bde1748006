import ConnectionGuard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Starts and stops the HTTP server on request while the sandbox lives, so it can "go
/// down" and come back on the same port. Each run of the server is its own `ServiceGroup`
/// in a task of its own, so that a server whose graceful shutdown never ends (it waits
/// for a connection that stays open) is left behind after a while instead of hanging the
/// test that stops it.
final class SandboxServer: Sendable {
    enum Command: Sendable {
        case start(CheckedContinuation<Int, any Error>)
        case stop(CheckedContinuation<Void, Never>)
    }

    struct CannotListen: Error, CustomStringConvertible {
        let description: String
    }

    private let core: SandboxCore
    private let logger: Logger
    private let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation
    /// The port bound the first time; later starts reuse it.
    private let boundPort = Mutex<Int?>(nil)

    init(core: SandboxCore) {
        self.core = core
        var logger = Logger(label: "mattermost-sandbox")
        logger.logLevel = core.configuration.logLevel
        self.logger = logger
        (commands, commandSink) = AsyncStream.makeStream(of: Command.self)
    }

    var port: Int { boundPort.withLock { $0 ?? 0 } }

    /// Runs of the server whose graceful shutdown did not end in time.
    private let leftBehindCount = Mutex(0)
    var leftBehind: Int { leftBehindCount.withLock { $0 } }

    /// Starts listening (on the same port as before, if it ran before); returns the port.
    func start() async throws -> Int {
        try await withCheckedThrowingContinuation { commandSink.yield(.start($0)) }
    }

    /// Stops listening: sockets are dropped, then the server shuts down gracefully.
    func stop() async {
        await withCheckedContinuation { commandSink.yield(.stop($0)) }
    }

    /// Ends `supervise()` after stopping the server.
    func finish() {
        commandSink.finish()
    }

    private struct Running {
        let group: ServiceGroup
        let finished: AsyncStream<Void>
        let task: Task<Void, Never>
    }

    /// How long a stop waits for the server's graceful shutdown.
    static let shutdownLimit = Duration.seconds(10)

    /// Runs until `finish()`: each start runs the server's `ServiceGroup` in a task.
    func supervise() async {
        do {
            var running: Running?
            for await command in commands {
                switch command {
                case .start(let reply):
                    if running != nil {
                        reply.resume(returning: port)
                        continue
                    }
                    let candidates = boundPort.withLock { $0 }.map { [$0] } ?? Self.firstPorts(configured: core.configuration.port)
                    var failure: (any Error)?
                    for candidate in candidates {
                        do {
                            if let started = try await run(on: candidate) {
                                running = started
                                break
                            }
                        } catch {
                            failure = error
                            break
                        }
                    }
                    if running != nil {
                        reply.resume(returning: port)
                    } else {
                        reply.resume(throwing: failure ?? CannotListen(
                            description: "the sandbox could not listen on \(core.configuration.host):\(candidates.first ?? core.configuration.port)"))
                    }
                case .stop(let reply):
                    if let current = running {
                        await shutDown(current)
                        running = nil
                    }
                    reply.resume()
                }
            }
            if let current = running { await shutDown(current) }
        }
    }

    /// Runs the server on `port`; nil when it could not listen there.
    private func run(on port: Int) async throws -> Running? {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let (finished, finishedSink) = AsyncStream.makeStream(of: Void.self)
        let application = try makeApplication(port: port, reportingPortTo: portSink)
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        let task = Task { [logger] in
            do { try await group.run() } catch { logger.error("Sandbox server stopped: \(error)") }
            portSink.finish()
            finishedSink.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else {
            await group.triggerGracefulShutdown()
            for await _ in finished {}
            return nil
        }
        boundPort.withLock { $0 = bound }
        return Running(group: group, finished: finished, task: task)
    }

    /// Where to listen the first time: the configured port; for "any port" (0), a few
    /// random ports below the system's ephemeral range, then any. A port from that range
    /// could be handed to another server or to an outgoing connection while the sandbox
    /// is down (`goDown()`), and it could not come back on it.
    static func firstPorts(configured: Int) -> [Int] {
        guard configured == 0 else { return [configured] }
        let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first }.flatMap { Int($0) } ?? 32768
        guard ephemeralStart > 11_000 else { return [0] }
        return (0..<8).map { _ in Int.random(in: 10_000..<ephemeralStart) } + [0]
    }

    private func shutDown(_ running: Running) async {
        core.control.withLock { $0.stopping = true }
        core.dropSockets()
        await running.group.triggerGracefulShutdown()
        // Bounded, dropping event sockets that came meanwhile: the shutdown waits for them.
        let (done, doneSink) = AsyncStream.makeStream(of: Bool.self)
        let waiter = Task {
            for await _ in running.finished {}
            doneSink.yield(true)
        }
        let timer = Task { [core] in
            let deadline = ContinuousClock.now + Self.shutdownLimit
            while ContinuousClock.now < deadline {
                guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
                core.dropSockets()
            }
            doneSink.yield(false)
        }
        var stopped = false
        for await result in done {
            stopped = result
            break
        }
        timer.cancel()
        if !stopped {
            let sockets = core.world.withLock { $0.sockets.count }
            logger.error("The stand-in's server did not stop within \(Self.shutdownLimit); left behind",
                         metadata: ["event_sockets_still_registered": "\(sockets)"])
            leftBehindCount.withLock { $0 += 1 }
            waiter.cancel()
            running.task.cancel()
        }
        core.control.withLock { $0.stopping = false }
    }

    private func makeApplication(port: Int, reportingPortTo ports: AsyncStream<Int>.Continuation) throws -> some Service {
        let core = self.core
        let http = SandboxHTTP(core: core)
        let configuration = core.configuration
        return Application(
            responder: CallbackResponder<BasicRequestContext> { request, context in
                try await http.respond(to: request, context: context)
            },
            server: try Self.secured(HTTPServerBuilder { responder in
                let http = HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: configuration.pingInterval)))
                ) { request, channel, _ in
                    // An origin it does not take is refused (400 here; Mattermost logs 400, while
                    // gorilla/websocket has written 403).
                    guard request.path?.split(separator: "?").first == "/api/v4/websocket",
                          Self.originAllowed(request, allowCorsFrom: configuration.allowCorsFrom),
                          !core.control.withLock({ $0.refusesUpgrades }) else { return .dontUpgrade }
                    let token = Self.upgradeToken(request.headerFields)
                    return .upgrade([:]) { inbound, outbound, _ in
                        await SandboxWebSocket(core: core, channel: channel, upgradeToken: token).run(inbound: inbound, outbound: outbound)
                    }
                }
                // Without it, a connection an HTTP client opened and never used held the
                // server's graceful shutdown for ever.
                return TrackedChildChannel(
                    GuardedChildChannel(http, settings: .init(firstRequestTimeout: .seconds(300), shutdownGrace: .seconds(5))), core: core)
            }, with: configuration.tls),
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: "mattermost-sandbox"),
            onServerRunning: { channel in
                ports.yield(channel.localAddress?.port ?? 0)
                ports.finish()
            },
            logger: logger
        )
    }

    /// The server as is, or behind TLS when the configuration has a certificate.
    private static func secured(_ server: HTTPServerBuilder, with tls: TLSConfiguration?) throws -> HTTPServerBuilder {
        guard let tls else { return server }
        return try .tls(server, tlsConfiguration: tls)
    }

    /// Whether an event socket's upgrade may come from its `Origin` (`Configuration.allowCorsFrom`).
    static func originAllowed(_ request: HTTPRequest, allowCorsFrom: String) -> Bool {
        guard let origin = request.headerFields[.origin], !origin.isEmpty else { return true }
        if allowCorsFrom.isEmpty {
            // The origin's host and port, as the request's own `Host`.
            let afterScheme = origin.range(of: "://").map { origin[$0.upperBound...] } ?? origin[...]
            let host = afterScheme.prefix { $0 != "/" }
            return host.lowercased() == (request.authority ?? "").lowercased()
        }
        return allowCorsFrom == "*" || allowCorsFrom.split(separator: " ").contains { $0 == origin }
    }

    /// A token sent with the upgrade request authenticates the socket at once.
    private static func upgradeToken(_ headers: HTTPFields) -> String? {
        if let cookie = SandboxHTTP.cookies(headers[values: .cookie])["MMAUTHTOKEN"], !cookie.isEmpty { return cookie }
        guard let authorization = headers[.authorization] else { return nil }
        let lowered = authorization.lowercased()
        if lowered.hasPrefix("bearer ") { return String(authorization.dropFirst(7)) }
        if lowered.hasPrefix("token ") { return String(authorization.dropFirst(6)) }
        return nil
    }
}


/// Notes each connection in the core (`SandboxCore.track`), for the faults that act on
/// connections rather than on requests.
struct TrackedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let core: SandboxCore

    init(_ base: Base, core: SandboxCore) {
        self.base = base
        self.core = core
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        core.track(channel)
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
