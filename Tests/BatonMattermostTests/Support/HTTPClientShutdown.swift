import AsyncHTTPClient

/// Runs `body` with an HTTP client of the test's own and shuts it down afterwards, also
/// when `body` throws: one dropped without shutting down stops the whole test process.
func withShutdown<T>(_ http: HTTPClient, _ body: (HTTPClient) async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body(http)
    } catch {
        try? await http.shutdown()
        throw error
    }
    try await http.shutdown()
    return result
}
