import NIOSSL
import Synchronization

/// Certificates Baton trusts for Mattermost besides the system's: those of a private
/// certificate authority, for a Mattermost whose certificate it signed
/// (`--mattermost-ca-file`). Read once at start, before any connection is made; every
/// request and event stream to any Mattermost then trusts them.
public enum MattermostTrust {
    private static let extra = Mutex<[NIOSSLCertificate]>([])

    /// Trusts `certificates` from now on (read at start, before any connection is made).
    public static func trust(_ certificates: [NIOSSLCertificate]) {
        extra.withLock { $0 = certificates }
    }

    /// The TLS settings for a connection to Mattermost: the system's trust roots, plus
    /// `extra` (the ones trusted at start when not given).
    public static func clientConfiguration(trusting extra: [NIOSSLCertificate]? = nil) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        let roots = extra ?? self.extra.withLock { $0 }
        if !roots.isEmpty { tls.additionalTrustRoots = [.certificates(roots)] }
        return tls
    }
}
