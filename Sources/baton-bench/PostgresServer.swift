import BatonStore
import Foundation

/// The PostgreSQL server of `--database`: each run gets a new database on it, dropped
/// afterwards, so that every run starts from an empty one as it does on SQLite.
struct PostgresServer: Sendable {
    /// What may be printed and written to the JSON (no password).
    let location: PostgresLocation
    /// The URL as given, password and parameters included.
    private let components: URLComponents

    init(url: String) throws {
        location = try PostgresLocation(parsing: url)
        guard let components = URLComponents(string: url) else { throw BenchError("--database is not a URL") }
        self.components = components
    }

    /// Drops the databases earlier runs left when they were killed (none in use is touched).
    func dropLeftovers() async throws -> [String] {
        try await PostgresScratch.dropLeftovers(prefix: "baton_bench_", on: location)
    }

    /// Runs `body` with the URL of a new, empty database (and the same user, password and
    /// parameters), dropped when `body` returns or throws.
    func withDatabase<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let components = components
        return try await PostgresScratch.withDatabase(on: location, prefix: "baton_bench_") { database in
            var url = components
            url.path = "/" + database.database
            guard let text = url.string else { throw BenchError("cannot write the URL of \(database)") }
            return try await body(text)
        }
    }
}
