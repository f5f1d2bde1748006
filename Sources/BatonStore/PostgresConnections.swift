import BatonCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// The PostgreSQL side of a store: a pool of connections (`PostgresClient`, running in a
/// task of its own from `open` to `close`), SQLKit over it, and transactions on one
/// connection.
///
/// Unlike SQLite's single writer, PostgreSQL takes concurrent writers: every write is
/// its own transaction on a pooled connection, and the server groups the disk syncs of
/// commits that arrive together.
final class PostgresConnections: Sendable {
    let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    /// Whether commits wait for their WAL to reach the disk (`synchronous_commit`).
    let durable: Bool
    private let running: Task<Void, Never>
    /// Tasks holding a connection with a session-level advisory lock, until `close`
    /// (`holdLock`).
    let lockHolders = Mutex<[Int: Task<Void, Never>]>([:])
    let nextHolder = Atomic<Int>(0)
    /// This process among those sharing the database (it skips its own notifications).
    let instanceID = RandomID.make()
    /// The pool as one database: each statement on whichever connection is free.
    let database: any SQLDatabase

    /// Connects (checking that the server answers) and returns the pool.
    static func open(_ location: PostgresLocation, durable: Bool, maximumConnections: Int = 32, logger: Logger) async throws -> PostgresConnections {
        // One connection first, made directly: an unreachable server or wrong credentials
        // are reported now, at once (the pool would keep retrying in the background).
        do {
            let check = try await PostgresConnection.connect(configuration: connectionConfiguration(location), id: 0, logger: logger)
            try? await check.close()
        } catch {
            throw StoreOpenError.cannotOpen(location.description, reason: Self.describe(error))
        }
        var configuration: PostgresClient.Configuration
        if let socket = location.socketPath {
            configuration = .init(unixSocketPath: socket, username: location.username, password: location.password, database: location.database)
        } else {
            configuration = .init(host: location.host, port: location.port, username: location.username, password: location.password,
                                  database: location.database, tls: clientTLS(location.tls))
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        let connections = PostgresConnections(location: location, client: PostgresClient(configuration: configuration, backgroundLogger: logger),
                                              durable: durable, logger: logger)
        // Let the pool's task start before the first lease.
        try? await Task.sleep(for: .milliseconds(1))
        return connections
    }

    static func connectionConfiguration(_ location: PostgresLocation) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = location.socketPath {
            configuration = .init(unixSocketPath: socket, username: location.username, password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch location.tls {
            case .disable: .disable
            case .prefer: .prefer(try .init(configuration: unverifiedTLS))
            case .require: .require(try .init(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: location.host, port: location.port, username: location.username, password: location.password,
                                  database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    private static func clientTLS(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(unverifiedTLS)
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// `sslmode=prefer` as libpq does it: encrypted if the server offers it, its
    /// certificate not checked.
    private static var unverifiedTLS: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    private init(location: PostgresLocation, client: PostgresClient, durable: Bool, logger: Logger) {
        self.location = location
        self.client = client
        self.durable = durable
        self.logger = logger
        running = Task { await client.run() }
        database = PooledPostgres(client: client, logger: logger)
    }

    /// Runs `body` in a transaction on one connection: committed when it returns, rolled
    /// back when it throws. `durable: false` lets the commit return before its WAL is on
    /// disk (a crash of the server may lose it, never half of it).
    ///
    /// A write, once asked for, is carried out even if the caller's task is cancelled
    /// (as group commit does on SQLite): `withDeadline` runs it in a task of its own, so
    /// a shutdown never leaves half of a step's work undone because its caller stopped
    /// waiting.
    func transaction<T: Sendable>(durable: Bool = true, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await connectionTransaction(durable: durable) { connection in try await body(connection.sql(queryLogLevel: .trace)) }
    }

    /// `transaction`, with the connection itself (for prepared statements).
    func connectionTransaction<T: Sendable>(durable: Bool = true, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.withDeadline(Self.answerWithin) { try await self.client.withConnection { connection in
            let db = connection.sql(queryLogLevel: .trace)
            try await db.raw("BEGIN").run()
            do {
                if !(durable && self.durable) { try await db.raw("SET LOCAL synchronous_commit = off").run() }
                let result = try await body(connection)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        } }
    }

    /// How long a statement or a transaction may take, waiting for a connection
    /// included: a database that went away fails requests after this, instead of
    /// holding them until it is back.
    static let answerWithin: Duration = .seconds(15)

    /// Runs `body`, failing with `StoreError.failure` if it has not finished within `limit`.
    /// The caller is answered at the deadline even when `body` cannot be interrupted (a
    /// query on a connection the server dropped may never return); `body` is cancelled
    /// and left to end by itself.
    static func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.waiting.withLock { $0 = continuation }
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                race.timer.withLock { $0?.cancel() }
                race.finish(with: result)
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                work.cancel()
                race.finish(with: .failure(StoreError.failure("the database did not answer within \(limit)")))
            }
            race.timer.withLock { $0 = timer }
        }
    }

    /// Runs one statement (or several, with `body`) on a connection of the pool, within
    /// `answerWithin`: what `database` does for SQLKit, for prepared statements.
    func onConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.withDeadline(Self.answerWithin) { try await self.client.withConnection(body) }
    }

    /// Runs `body` on one connection (for session-level state: advisory locks).
    func withConnection<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection.sql(queryLogLevel: .trace)) }
    }

    func close() async {
        for holder in lockHolders.withLock({ $0.values }) {
            holder.cancel()
            // A holder stuck on a dead connection is left behind.
            _ = try? await Self.withDeadline(.seconds(2)) { await holder.value }
        }
        running.cancel()
        await running.value
    }

    /// A PostgreSQL error in words: the server's SQLSTATE and message, which
    /// `PSQLError.description` leaves out on purpose (it may hold data).
    static func describe(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let info = psql.serverInfo, let message = info[.message] {
            return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        switch psql.code {
        case .sslUnsupported:
            return "the server does not offer TLS, which the URL's sslmode asks for (sslmode=disable, or turn ssl on in PostgreSQL)"
        case .authMechanismRequiresPassword:
            return "the server asks for a password and the URL has none (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
        case .unsupportedAuthMechanism:
            return "the server asks for a way of signing in Baton does not speak (it speaks password, md5 and scram-sha-256)"
        default: break
        }
        if psql.code == .connectionError {
            // NIO's connection failures, in words an admin can act on.
            let detail = psql.underlying.map { String(describing: $0) } ?? ""
            if detail.contains("Connection refused") {
                return "nothing answers at that host and port (connection refused): is PostgreSQL running there, and is the port right?"
            }
            if detail.contains("dns") || detail.contains("DNS") || detail.contains("resolve") {
                return "the host name does not resolve"
            }
            if detail.contains("timed out") || detail.contains("Timeout") || detail.contains("timeout") {
                return "no answer from that host and port (timed out)"
            }
        }
        return String(reflecting: psql)
    }

    /// The SQLSTATE of a unique violation, and the constraint it names.
    static func uniqueViolation(_ error: any Error) -> String? {
        guard let psql = error as? PSQLError, let info = psql.serverInfo, info[.sqlState] == "23505" else { return nil }
        return info[.constraintName] ?? ""
    }
}

/// SQLKit on the pool: each statement leases a connection for its run.
private struct PooledPostgres: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let client = client
        try await PostgresConnections.withDeadline(PostgresConnections.answerWithin) {
            try await client.withConnection { connection in try await connection.sql(queryLogLevel: .trace).execute(sql: query, onRow) }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await execute(sql: query, onRow) }
        return promise.futureResult
    }
}


/// The caller of `withDeadline`, answered once: by the work or by the timer.
private final class DeadlineRace<T: Sendable>: Sendable {
    let waiting = Mutex<CheckedContinuation<T, any Error>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)

    func finish(with result: Result<T, any Error>) {
        waiting.withLock { $0.take() }?.resume(with: result)
    }
}
