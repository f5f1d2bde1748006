import BatonCore
import Foundation
import Hummingbird

/// Signing in and out, and creating the first admin.
extension AdminAPI {
    struct SessionBody: Codable {
        struct AdminBody: Codable { var email: String }
        var admin: AdminBody
        var csrfToken: String
    }

    func registerSession(on api: RouterGroup<BatonRequestContext>) {
        api.get("session") { _, context in
            guard let admin = context.admin, let session = context.session else { throw APIError.signInRequired }
            return try Self.json(SessionBody(admin: .init(email: admin.email), csrfToken: session.csrfToken))
        }

        api.post("session") { request, context in
            struct Input: Decodable { var email: String; var password: String }
            let input = try await Self.decode(Input.self, from: request)
            do {
                let (admin, token, session) = try await auth.signIn(email: input.email, password: input.password, client: client(of: request, context))
                return try signedIn(admin, token: token, session: session, request: request)
            } catch AdminAuthError.badCredentials {
                throw APIError(.unauthorized, code: "bad_credentials", "The email or the password is wrong.")
            } catch AdminAuthError.throttled(let seconds) {
                throw Self.throttled(seconds)
            }
        }

        api.delete("session") { request, context in
            if let session = context.session { try await auth.signOut(session) }
            var response = Response(status: .noContent)
            response.setCookie(Self.cookie(value: "", maxAge: 0, secure: isSecure(request)))
            return response
        }

        api.put("session/password") { request, context in
            struct Input: Decodable { var currentPassword: String; var newPassword: String }
            let input = try await Self.decode(Input.self, from: request)
            guard let admin = context.admin else { throw APIError.signInRequired }
            do {
                let (token, session) = try await auth.changeOwnPassword(admin, current: input.currentPassword, new: input.newPassword,
                                                                         client: client(of: request, context))
                return try signedIn(admin, token: token, session: session, request: request)
            } catch AdminAuthError.badCredentials {
                throw APIError(.forbidden, code: "wrong_password", "The current password is wrong.")
            } catch AdminAuthError.throttled(let seconds) {
                throw Self.throttled(seconds)
            } catch AdminAuthError.invalid(let message) {
                throw APIError(.unprocessableContent, code: "invalid_password", message, issues: [.init(path: "newPassword", message: message)])
            }
        }

        api.get("setup") { _, _ in
            struct Answer: Encodable { var needed: Bool }
            return try Self.json(Answer(needed: await auth.setupNeeded))
        }

        api.post("setup") { request, _ in
            struct Input: Decodable { var token: String; var email: String; var password: String }
            let input = try await Self.decode(Input.self, from: request)
            do {
                let (admin, token, session) = try await auth.createFirstAdmin(token: input.token, email: input.email, password: input.password)
                return try signedIn(admin, token: token, session: session, request: request)
            } catch AdminAuthError.badSetupToken {
                throw APIError(.forbidden, code: "bad_setup_token", "This setup link is not valid. Use the link Baton printed when it started, or `baton admin create`.")
            } catch AdminAuthError.setupDone {
                throw APIError(.conflict, code: "setup_done", "An admin exists already: sign in instead.")
            } catch AdminAuthError.invalid(let message) {
                throw APIError(.unprocessableContent, code: "invalid_admin", message, issues: [.init(path: "password", message: message)])
            } catch AdminAuthError.invalidEmail(let message) {
                throw APIError(.unprocessableContent, code: "invalid_admin", message, issues: [.init(path: "email", message: message)])
            } catch AdminAuthError.taken(let email) {
                throw APIError(.conflict, code: "email_taken", "\(email) is an admin already.")
            }
        }
    }

    private func signedIn(_ admin: Admin, token: String, session: AdminSession, request: Request) throws -> Response {
        var response = try Self.json(SessionBody(admin: .init(email: admin.email), csrfToken: session.csrfToken))
        let maxAge = Int((session.expiresAt - session.createdAt) / 1000)
        response.setCookie(Self.cookie(value: token, maxAge: maxAge, secure: isSecure(request)))
        return response
    }

    /// Failed password checks are slowed down (`LoginThrottle`): wait `seconds`.
    static func throttled(_ seconds: Int) -> APIError {
        APIError(.tooManyRequests, code: "throttled", "Too many failed attempts. Try again in \(seconds) s.",
                 headers: [.retryAfter: String(seconds)])
    }

    static func cookie(value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: AdminAuth.cookieName, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Secure cookies only travel over HTTPS; behind a TLS proxy the proxy says so.
    /// Whether the browser came over HTTPS: said by the request, a proxy, the page that
    /// sent it (a sign-in's `Origin`), or Baton's public address. A proxy that terminates
    /// TLS without saying so still gets a cookie that is never sent over plain HTTP.
    func isSecure(_ request: Request) -> Bool {
        request.head.scheme == "https" || request.headers[.init("X-Forwarded-Proto")!] == "https"
            || request.headers[.origin]?.lowercased().hasPrefix("https://") == true
            || config.publicURL?.lowercased().hasPrefix("https://") == true
    }

    /// Who is signing in, for counting failures: the TCP peer, or behind a trusted proxy
    /// the address it forwarded (`TrustedProxies`).
    func client(of request: Request, _ context: BatonRequestContext) -> String {
        config.trustedProxies.client(peer: context.remoteAddress?.ipAddress,
                                     forwardedFor: request.headers[values: .init("X-Forwarded-For")!]) ?? "unknown"
    }
}
