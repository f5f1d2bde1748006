import Foundation
import Logging
import PostgresNIO

/// Databases made for a while and dropped afterwards, on a PostgreSQL server: each test
/// and each benchmark run gets an empty one of its own.
public enum PostgresScratch {
    /// Runs `body` with a new, empty database on the server `server` names (through a
    /// database of it that the user may connect to), dropped afterwards whatever happens.
    /// Its name is `prefix` and a random suffix.
    public static func withDatabase<T: Sendable>(on server: PostgresLocation, prefix: String,
                                                 _ body: @Sendable (PostgresLocation) async throws -> T) async throws -> T {
        let name = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await execute("CREATE DATABASE \(name)", on: server)
        var location = server
        location.database = name
        let result: T
        do {
            result = try await body(location)
        } catch {
            try? await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: server)
            throw error
        }
        try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: server)
        return result
    }

    /// Drops the databases named `prefix…` that nobody is connected to: those of runs
    /// that were killed before they could drop their own. One still in use is left alone.
    /// Returns the names dropped.
    public static func dropLeftovers(prefix: String, on server: PostgresLocation) async throws -> [String] {
        let pattern = prefix.replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await withConnection(to: server, failing: "listing the databases") { connection, logger in
            var names: [String] = []
            for try await (name,) in try await connection.query("SELECT datname FROM pg_database WHERE datname LIKE \(pattern)", logger: logger)
                .decode((String,).self) {
                names.append(name)
            }
            var dropped: [String] = []
            for name in names where name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                // Without FORCE: a database someone uses (a run going on now) is refused, and kept.
                if (try? await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)) != nil {
                    dropped.append(name)
                }
            }
            return dropped
        }
    }

    /// Runs one statement that returns no rows (CREATE, DROP) on a connection of its own.
    public static func execute(_ sql: String, on location: PostgresLocation) async throws {
        try await withConnection(to: location, failing: sql) { connection, logger in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// Runs `body` on a connection of its own, closed afterwards; a failure names `what`.
    private static func withConnection<T>(to location: PostgresLocation, failing what: String,
                                          _ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = Logger(label: "baton.postgres-scratch")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: PostgresConnections.connectionConfiguration(location),
                                                              id: 1, logger: logger)
        } catch {
            throw StoreOpenError.cannotOpen(location.description, reason: PostgresConnections.describe(error))
        }
        let result: T
        do {
            result = try await body(connection, logger)
        } catch {
            try? await connection.close()
            throw Failure(description: "\(what) failed on \(location): \(PostgresConnections.describe(error))")
        }
        try await connection.close()
        return result
    }

    /// A statement the server refused.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }
}
