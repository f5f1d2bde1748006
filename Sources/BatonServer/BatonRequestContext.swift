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
    /// The admin API's gate checked this request (`APIGate`).
    var passedAPIGate = false

    /// The client's address (for slowing down failed sign-ins).
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Admin API routes check bodies against the document themselves.
    var maxUploadSize: Int { 1 << 20 }
}

extension Request {
    /// The token of an `Authorization: Bearer …` header (`/metrics`, widget uploads).
    var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
