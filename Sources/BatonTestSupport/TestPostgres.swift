import BatonStore
import Foundation

/// The PostgreSQL server tests may use: `scripts/test` starts one and names it in
/// `BATON_TEST_POSTGRES_URL`. Each test gets a database of its own, dropped afterwards.
public enum TestPostgres {
    /// The server's URL (of a database the tests may connect to, to create others).
    public static let url: String? = ProcessInfo.processInfo.environment["BATON_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether a server was given; tests on PostgreSQL are skipped otherwise.
    public static var isAvailable: Bool { url != nil }

    /// Runs `body` with a new, empty database, dropped afterwards.
    public static func withDatabase<T: Sendable>(_ body: @Sendable (PostgresLocation) async throws -> T) async throws -> T {
        guard let url else { throw TestFailure("BATON_TEST_POSTGRES_URL is not set (scripts/test sets it)") }
        return try await PostgresScratch.withDatabase(on: try PostgresLocation(parsing: url), prefix: "baton_test_") { location in
            defer { try? FileManager.default.removeItem(atPath: keyFile(for: location)) }
            return try await body(location)
        }
    }

    /// The secret key file of Batons on a test database (removed with the database).
    public static func keyFile(for location: PostgresLocation) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(location.database).key").path
    }
}

/// The databases an end-to-end test can run on: SQLite always, PostgreSQL when the tests
/// were given a server.
public enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public static var available: [TestDatabase] { TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }
    public var description: String { rawValue }

    /// Runs `body` with a fresh, empty database of this kind, removed afterwards.
    public func withLocation<T: Sendable>(_ body: @Sendable (DatabaseLocation) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            return try await body(.sqlite(path: folder.database))
        case .postgres:
            return try await TestPostgres.withDatabase { location in try await body(.postgres(location)) }
        }
    }
}
