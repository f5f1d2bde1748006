import ChildProcesses
import Foundation
import NIOSSL

/// A certificate for 127.0.0.1 that signs itself (made with `openssl`): an HTTPS server's,
/// and the private certificate authority a client is told to trust.
public enum SelfSignedCertificate {
    /// Writes the certificate and its key into `folder`; returns the certificate's path
    /// (PEM) and a server's TLS settings with it.
    public static func make(in folder: TemporaryFolder) async throws -> (certificate: String, server: TLSConfiguration) {
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
