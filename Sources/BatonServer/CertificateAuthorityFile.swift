import Foundation
import NIOSSL

/// A file of PEM certificates of a private certificate authority, trusted besides the
/// system's for one kind of server (`--mattermost-ca-file`, `--mail-ca-file`).
public enum CertificateAuthorityFile {
    /// The certificates in `path`, or an error an admin can act on; `server` names what
    /// they are trusted for ("Mattermost", "the mail server").
    public static func certificates(pemFile path: String, for server: String) throws(Unusable) -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Unusable(path: path, server: server, reason: "there is no such file, or Baton may not read it")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw Unusable(path: path, server: server, reason: "it does not hold PEM certificates (-----BEGIN CERTIFICATE-----)")
        }
        guard !certificates.isEmpty else { throw Unusable(path: path, server: server, reason: "it holds no certificate") }
        return certificates
    }

    public struct Unusable: Error, CustomStringConvertible {
        public let path: String
        public let server: String
        public let reason: String
        public var description: String { "cannot use \(path) as the certificate authority of \(server): \(reason)" }
    }
}
