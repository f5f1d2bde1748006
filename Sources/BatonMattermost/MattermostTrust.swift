import Foundation
import NIOSSL
import Synchronization

/// Certificates Baton trusts for Mattermost besides the system's: those of a private
/// certificate authority, for a Mattermost whose certificate it signed
/// (`--mattermost-ca-file`). Read once at start, before any connection is made; every
/// request and event stream to any Mattermost then trusts them.
public enum MattermostTrust {
    private static let extra = Mutex<[NIOSSLCertificate]>([])

    /// Trusts the PEM certificates in `path` from now on; returns how many. Refuses a file
    /// that cannot be read or holds none.
    @discardableResult
    public static func trust(pemFile path: String) throws -> Int {
        let certificates = try certificates(pemFile: path)
        extra.withLock { $0 = certificates }
        return certificates.count
    }

    /// The PEM certificates in `path`, or an error an admin can act on.
    public static func certificates(pemFile path: String) throws -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TrustError(path: path, reason: "there is no such file, or Baton may not read it")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TrustError(path: path, reason: "it does not hold PEM certificates (-----BEGIN CERTIFICATE-----)")
        }
        guard !certificates.isEmpty else { throw TrustError(path: path, reason: "it holds no certificate") }
        return certificates
    }

    /// The TLS settings for a connection to Mattermost: the system's trust roots, plus
    /// `extra` (the ones trusted at start when not given).
    public static func clientConfiguration(trusting extra: [NIOSSLCertificate]? = nil) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        let roots = extra ?? self.extra.withLock { $0 }
        if !roots.isEmpty { tls.additionalTrustRoots = [.certificates(roots)] }
        return tls
    }

    public struct TrustError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot use \(path) as Mattermost's certificate authority: \(reason)" }
    }
}
