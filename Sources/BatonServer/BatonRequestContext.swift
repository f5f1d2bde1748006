import BatonCore
import Hummingbird
import NIOCore

/// The request context of Baton's HTTP routes: who is signed in, once the admin API's
/// middleware has looked.
struct BatonRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The signed-in admin and their session (admin API only).
    var admin: Admin?
    var session: AdminSession?
    /// The path parameters the API document matched.
    var apiParameters: [String: String] = [:]

    /// The client's address (for slowing down failed sign-ins).
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Admin API routes check bodies against the document themselves.
    var maxUploadSize: Int { 1 << 20 }
}
