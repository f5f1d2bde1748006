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

/// A certificate for 127.0.0.1 that signs itself (made with `openssl`): an HTTPS server's,
/// and the private certificate authority a client is told to trust.
enum SelfSignedCertificate {
    /// Writes the certificate and its key into `folder`; returns the certificate's path
    /// (PEM) and a server's TLS settings with it.
    static func make(in folder: TemporaryFolder) async throws -> (certificate: String, server: TLSConfiguration) {
        let key = folder.url.appendingPathComponent("key.pem").path, cert = folder.url.appendingPathComponent("cert.pem").path
        let openssl = try ChildProcess("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        // Not `waitUntilExit()`: it would hold one of the few threads every test's tasks share.
        let deadline = ContinuousClock.now + .seconds(60)
        while openssl.isRunning {
            guard ContinuousClock.now < deadline else { throw TestFailure("openssl did not make a certificate within 60 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard openssl.terminationStatus == 0 else { throw TestFailure("openssl could not make a certificate") }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return (cert, tls)
    }
}
