import AsyncHTTPClient
import BatonCore
import Foundation
import NIOCore
import NIOExtras
import NIOFoundationCompat
import NIOHTTP1
import NIOSOCKS
import NIOSSL

/// What a failed request becomes: an answer that was not 2xx, or a connection that failed
/// (through a proxy or not), as a `MattermostError` an admin can act on.
extension MattermostClient {
    /// The error for a non-2xx answer.
    func error(status: Int, headers: HTTPHeaders, body: ByteBuffer, path: String) -> MattermostError {
        if status == 429 {
            // The body is plain text ("limit exceeded"); the headers say when to retry.
            let reset = headers.first(name: "X-Ratelimit-Reset").flatMap(Double.init)
                ?? headers.first(name: "Retry-After").flatMap(Double.init) ?? 1
            return .rateLimited(retryAfter: max(0.05, reset))
        }
        if (300..<400).contains(status), let location = headers.first(name: "Location") {
            return .redirected(url: baseURL, to: Self.address(redirectedTo: location, from: path, base: baseURL))
        }
        guard let appError = try? JSONDecoder().decode(MMAppError.self, from: Data(buffer: body)) else {
            let reason = "\(path) answered \(Self.statusText(status))\(Self.plainText(body).map { ": \($0)" } ?? "")"
            switch status {
            // A proxy in front of Mattermost (nginx, a load balancer) answering for it while
            // Mattermost is down or restarting: an outage, not a wrong address.
            case 502, 503, 504: return .unreachable(url: baseURL, reason: reason)
            // Some other server error page: tried again like Mattermost's own.
            case 500...: return .server(status: status, id: "", message: reason)
            default: return .notMattermost(url: baseURL, reason: reason)
            }
        }
        if status == 403 { return .forbidden(appError.message) }
        return .server(status: status, id: appError.id, message: appError.message)
    }

    /// The server's address a redirect of `path` points to: `https://chat.example.com/api/v4/users/login`
    /// → `https://chat.example.com` (the location as given when it does not end in `path`).
    static func address(redirectedTo location: String, from path: String, base: String) -> String {
        var target = location.trimmingWhitespace()
        if target.hasPrefix("/"), let url = URL(string: base), let scheme = url.scheme, let host = url.host {
            target = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")" + target
        }
        if let query = target.firstIndex(of: "?") { target = String(target[..<query]) }
        if target.hasSuffix(path) { target.removeLast(path.count) }
        while target.hasSuffix("/") { target.removeLast() }
        return String(target.prefix(300))
    }

    /// `404 Not Found`.
    static func statusText(_ status: Int) -> String {
        let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
        return phrase.isEmpty ? "\(status)" : "\(status) \(phrase)"
    }

    /// The start of a body that is plain words (a proxy's "Service unavailable"); nil for
    /// none, or for JSON or an HTML page, whose markup would only stand in the way of
    /// the message an admin reads.
    static func plainText(_ body: ByteBuffer) -> String? {
        let text = String(buffer: body).trimmingWhitespace()
        guard !text.isEmpty, let first = text.first, first != "{", first != "[", first != "<" else { return nil }
        return snippet(body)
    }

    static func snippet(_ body: ByteBuffer) -> String {
        let text = String(buffer: body).trimmingWhitespace()
        if text.isEmpty { return "an empty body" }
        return "\"\(text.prefix(120))\(text.count > 120 ? "…" : "")\""
    }

    static func transportError(_ error: any Error, url: String, proxy: MattermostProxy?) -> MattermostError {
        if let error = error as? MattermostError { return error }
        if let proxy, let failure = proxyFailure(error, url: url, proxy: proxy) { return failure }
        let text = String(reflecting: error)
        let lowered = text.lowercased()
        if lowered.contains("certificate_verify_failed") {
            // The chain does not lead to an authority Baton trusts: say what to do about it.
            return .tls(url: url, reason: "its certificate is not signed by an authority Baton trusts; if a private authority signed it, "
                        + "give Baton that authority's certificate (--mattermost-ca-file, or BATON_MATTERMOST_CA_FILE)")
        }
        if let client = error as? HTTPClientError, client == .connectTimeout || client == .tlsHandshakeTimeout, url.lowercased().hasPrefix("https:") {
            // (Before the TLS errors below: this one's name says TLS.) The connection's time
            // includes TLS's handshake: a server that takes the connection and says nothing
            // to TLS's hello often speaks plain HTTP there.
            return .unreachable(url: url, reason: "connecting or its TLS handshake timed out; if it speaks plain HTTP on that port, use an http:// address")
        }
        if lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("certificate") || lowered.contains("handshake") {
            return .tls(url: url, reason: String(describing: error))
        }
        if let client = error as? HTTPClientError, client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout {
            return .unreachable(url: url, reason: "timed out")
        }
        if error is HTTPParserError {
            // Bytes came back, but not an HTTP answer (another service on that port).
            return .notMattermost(url: url, reason: "it does not answer in HTTP (\(error))")
        }
        if lowered.contains("refused") { return .unreachable(url: url, reason: "connection refused") }
        if lowered.contains("dns") || lowered.contains("resolve") || lowered.contains("lookup") {
            return .unreachable(url: url, reason: "the host name does not resolve")
        }
        return .unreachable(url: url, reason: String(describing: error))
    }

    /// A failure of the proxy itself, in words: it cannot be reached, asks for a password,
    /// or will not open the tunnel (a rule of its own, or it cannot reach Mattermost).
    /// Nil for what happened inside the tunnel (TLS, Mattermost's answers).
    static func proxyFailure(_ error: any Error, url: String, proxy: MattermostProxy) -> MattermostError? {
        let noAnswer = "it did not answer the request to connect in time"
        let closed = "it closed the connection instead of answering the request to connect"
        let reason: String
        // Through Baton's bridge to a SOCKS5 proxy with a password, the bridge said why.
        let bridged = proxy.kind == .socks5 && proxy.username != nil ? SOCKSBridge.existing(for: proxy) : nil
        let target = URLComponents(string: url).map { parts in
            (host: parts.host ?? url, port: parts.port ?? (parts.scheme == "https" ? 443 : 80))
        } ?? (host: url, port: 0)
        let refused = bridged?.failure(host: target.host, port: target.port) ?? tunnelRefused(url)
        if let client = error as? HTTPClientError {
            switch client {
            case .proxyAuthenticationRequired: return .proxyAuthentication(url: url, proxy: proxy.description)
            case .invalidProxyResponse: reason = refused
            case .httpProxyHandshakeTimeout, .socksHandshakeTimeout: reason = noAnswer
            case .connectTimeout: reason = "connecting to it timed out"
            default: return nil
            }
        } else if let tunnel = error as? NIOHTTP1ProxyConnectHandler.Error {
            if tunnel == .proxyAuthenticationRequired() { return .proxyAuthentication(url: url, proxy: proxy.description) }
            reason = tunnel == .httpProxyHandshakeTimeout() ? noAnswer
                : tunnel == .remoteConnectionClosed() || tunnel == .channelUnexpectedlyInactive() ? closed : refused
        } else if error is SOCKSError.ConnectionFailed {
            reason = refused
        } else if error is SOCKSError.NoValidAuthenticationMethod || error is SOCKSError.InvalidAuthenticationSelection {
            // Asked of a SOCKS5 proxy without a password in its address.
            return .proxyAuthentication(url: url, proxy: proxy.description)
        } else if error is SOCKSError.UnexpectedRead {
            reason = closed
        } else if error is SOCKSError.InvalidProtocolVersion {
            reason = "it does not speak SOCKS5"
        } else {
            // Connecting happens to the proxy: a refusal or a name that does not resolve is its.
            let lowered = String(reflecting: error).lowercased()
            if lowered.contains("refused") {
                reason = "connection refused"
            } else if lowered.contains("dns") || lowered.contains("resolve") || lowered.contains("lookup") {
                reason = "its host name does not resolve"
            } else {
                return nil
            }
        }
        return .proxy(url: url, proxy: proxy.description, reason: reason)
    }

    private static func tunnelRefused(_ url: String) -> String {
        let target = URLComponents(string: url).map { parts in
            "\(parts.host ?? url):\(parts.port ?? (parts.scheme == "https" ? 443 : 80))"
        } ?? url
        return "it would not open a connection to \(target): a rule of the proxy's forbids it, or the proxy cannot reach Mattermost; the proxy's own log says which"
    }
}
