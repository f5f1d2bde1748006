import BatonTestSupport
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle

/// An HTTPS server on loopback with a self-signed certificate (made with `openssl`), for
/// testing how TLS failures are reported.
enum SelfSignedServer {
    /// Runs `body` with the server's address and the path of its certificate (PEM).
    static func run(_ body: @Sendable @escaping (_ url: String, _ certificate: String) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (cert, tls) = try await SelfSignedCertificate.make(in: folder)
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: Router(), server: try .tls(.http1(), tlsConfiguration: tls),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { found.yield($0.localAddress?.port ?? 0); found.finish() },
                              logger: Logger(label: "self-signed"))
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "self-signed"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the TLS server did not start") }
            do {
                try await withTimeout(LiveBaton.defaultTimeLimit) { try await body("https://127.0.0.1:\(port)", cert) }
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
