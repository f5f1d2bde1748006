import BatonCore
import BatonServer
import BatonStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// A fresh folder for a test's database, removed afterwards.
public struct TemporaryFolder: Sendable {
    public let url: URL
    public var database: String { url.appendingPathComponent("baton.sqlite").path }

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("baton-server-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A Baton server running in this process on an ephemeral loopback port.
public struct LiveBaton: Sendable {
    public let port: Int
    public let services: BatonServices
    public let shutdown: @Sendable () async -> Void

    /// Seconds a live Baton's test body may take before it fails.
    public static let defaultTimeLimit: Double = 180

    public var http: String { "http://127.0.0.1:\(port)" }
    public var socketURL: String { "ws://127.0.0.1:\(port)/widget/v1/socket" }

    /// Where the Batons started in this task's scope also log to (warnings and worse):
    /// `LiveBaton.$logged.withValue(lines) { … }`.
    @TaskLocal public static var logged: LoggedLines?

    @discardableResult
    /// Runs a server on `database` for the duration of `body`, then shuts it down
    /// gracefully (as SIGTERM would). `body` fails after `timeLimit` seconds: a guard
    /// against a hung test, not a measure of speed, so it is generous (a browser test can
    /// take over a minute beside the rest of the suite on two cores).
    public static func run<T: Sendable>(
        database: String,
        timeLimit: Double = LiveBaton.defaultTimeLimit,
        configure: @Sendable (inout BatonConfiguration) -> Void = { _ in },
        _ body: @Sendable @escaping (LiveBaton) async throws -> T
    ) async throws -> T {
        var config = BatonConfiguration()
        config.port = 0
        config.database = .sqlite(path: database)
        config.durable = false
        config.passwordCost = 4
        configure(&config)
        // On PostgreSQL the key file would default to the working folder's baton.key:
        // each test database has one of its own instead, kept as long as the database.
        if config.secretKeyFile == nil, case .postgres(let location) = config.database {
            config.secretKeyFile = TestPostgres.keyFile(for: location)
        }
        var logger = Logger(label: "baton-test")
        if let logged = Self.logged {
            // Every line kept for the test, besides those printed.
            logger = Logger(label: "baton-test") { label in
                MultiplexLogHandler([StreamLogHandler.standardError(label: label), CapturingLogHandler(logged: logged)])
            }
        }
        logger.logLevel = ProcessInfo.processInfo.environment["BATON_TEST_LOG"] == "debug" ? .debug : .warning
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let (app, services) = try await buildApplication(config, logger: logger) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw TestFailure("the server did not start") }
            let live = LiveBaton(port: port, services: services, shutdown: { await group.triggerGracefulShutdown() })
            let result: T
            do {
                result = try await withTimeout(timeLimit) { try await body(live) }
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    @discardableResult
    /// Runs a server on a new temporary database.
    public static func run<T: Sendable>(
        timeLimit: Double = LiveBaton.defaultTimeLimit,
        configure: @Sendable (inout BatonConfiguration) -> Void = { _ in },
        _ body: @Sendable @escaping (LiveBaton) async throws -> T
    ) async throws -> T {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        return try await run(database: folder.database, timeLimit: timeLimit, configure: configure, body)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body`, failing with a timeout error after `seconds`: no test can hang.
public func withTimeout<T: Sendable>(_ seconds: Double, _ body: @Sendable @escaping () async throws -> T) async throws -> T {
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
