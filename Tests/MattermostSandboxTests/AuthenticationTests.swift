import Foundation
import MattermostSandbox
import Testing

@Suite struct AuthenticationTests {
    @Test func loginAnswers200WithATokenHeaderAndCookies() async throws {
        try await Seeded.run { s in
            let response = try await s.api().post("/api/v4/users/login", ["login_id": "alice", "password": "agent-password"])
            #expect(response.status == 200)
            #expect(response.string("id") == s.alice.id)
            #expect(response.string("roles") == "system_user")
            let token = try #require(response.headers.first(name: "Token"))
            #expect(token.count == 26)
            let cookies = response.headers["Set-Cookie"].joined(separator: "\n")
            #expect(cookies.contains("MMAUTHTOKEN=\(token)"))
            #expect(cookies.contains("MMCSRF="))
            let me = try await s.api(token).get("/api/v4/users/me")
            #expect(me.status == 200)
            #expect(me.string("username") == "alice")

            let byEmail = try await s.api().post("/api/v4/users/login", ["login_id": "ALICE@example.com", "password": "agent-password"])
            #expect(byEmail.status == 200)
        }
    }

    @Test func wrongOrMissingCredentialsAreRefused() async throws {
        try await Seeded.run { s in
            let wrong = try await s.api().post("/api/v4/users/login", ["login_id": "alice", "password": "nope"])
            #expect(wrong.status == 401)
            #expect(wrong.errorID == "api.user.login.invalid_credentials_email_username")
            #expect(wrong.headers.first(name: "Token") == nil)
            let unknown = try await s.api().post("/api/v4/users/login", ["login_id": "zed", "password": "agent-password"])
            #expect(unknown.status == 401)
            let noPassword = try await s.api().post("/api/v4/users/login", ["login_id": "alice"])
            #expect(noPassword.status == 400)
            #expect(noPassword.errorID == "api.user.login.blank_pwd.app_error")
            // The real server masks every other login failure, a missing login id included.
            let noLogin = try await s.api().post("/api/v4/users/login", ["password": "agent-password"])
            #expect(noLogin.status == 401)
            #expect(noLogin.errorID == "api.user.login.invalid_credentials_email_username")
            // A body that is not a map of strings reads as empty: a blank password.
            let garbage = try await s.api().send(.POST, "/api/v4/users/login", body: Data("{not json".utf8))
            #expect(garbage.status == 400)
            let boolean = try await s.api().post("/api/v4/users/login", ["login_id": "alice", "password": "agent-password", "ldap_only": false])
            #expect(boolean.status == 400)
            #expect(garbage.int("status_code") == 400)
        }
    }

    @Test func requestsWithoutAValidTokenGetTheSessionExpiredError() async throws {
        try await Seeded.run { s in
            for api in [s.api(), s.api("notatokenatallnotatokenatal")] {
                let response = try await api.get("/api/v4/users/me")
                #expect(response.status == 401)
                #expect(response.errorID == "api.context.session_expired.app_error")
                #expect(response.string("message") == "Invalid or expired session, please login again.")
                #expect(response.string("request_id")?.count == 26)
                #expect(response.int("status_code") == 401)
                #expect(response.object.keys.contains("detailed_error"))
            }
        }
    }

    @Test func expiredSessionsAre401ButPersonalAccessTokensKeepWorking() async throws {
        try await Seeded.run { s in
            let session = s.sandbox.sessionToken(for: "alice")
            let pat = s.sandbox.personalAccessToken(for: "relay")
            #expect(try await s.api(session).get("/api/v4/users/me").status == 200)
            s.sandbox.expireSessions()
            let expired = try await s.api(session).get("/api/v4/users/me")
            #expect(expired.status == 401)
            #expect(expired.errorID == "api.context.session_expired.app_error")
            #expect(try await s.api(pat).get("/api/v4/users/me").status == 200)
            // A new login works again.
            let login = try await s.api().post("/api/v4/users/login", ["login_id": "alice", "password": "agent-password"])
            let fresh = try #require(login.headers.first(name: "Token"))
            #expect(try await s.api(fresh).get("/api/v4/users/me").status == 200)
        }
    }

    @Test func aCookieWinsOverTheHeaderAndNeedsTheCSRFTokenOnWrites() async throws {
        try await Seeded.run { s in
            let login = try await s.api().post("/api/v4/users/login", ["login_id": "alice", "password": "agent-password"])
            let token = try #require(login.headers.first(name: "Token"))
            let csrf = try #require(login.headers["Set-Cookie"].first { $0.hasPrefix("MMCSRF=") }?
                .dropFirst("MMCSRF=".count).split(separator: ";").first.map(String.init))
            let cookie = ("Cookie", "MMAUTHTOKEN=\(token); MMCSRF=\(csrf)")
            let bobToken = s.sandbox.sessionToken(for: "bob")
            // The cookie's user wins over the bearer token's.
            let me = try await s.api(bobToken).get("/api/v4/users/me", headers: [cookie])
            #expect(me.string("username") == "alice")
            // A write with the cookie but without X-CSRF-Token is taken for a CSRF attempt.
            let post = ["channel_id": s.townSquare, "message": "hi"]
            let refused = try await s.api(bobToken).post("/api/v4/posts", post, headers: [cookie])
            #expect(refused.status == 401)
            #expect(refused.errorID == "api.context.session_expired.app_error")
            #expect(refused.string("detailed_error")?.contains("CSRF") == true)
            let accepted = try await s.api().post("/api/v4/posts", post, headers: [cookie, ("X-CSRF-Token", csrf)])
            #expect(accepted.status == 201)
            #expect(accepted.string("user_id") == s.alice.id)
        }
    }

    @Test func pingNeedsNoTokenAndUnknownRoutesAre404() async throws {
        try await Seeded.run { s in
            let ping = try await s.api().get("/api/v4/system/ping")
            #expect(ping.status == 200)
            #expect(ping.string("status") == "OK")
            let unknown = try await s.api().get("/api/v4/nothing/here")
            #expect(unknown.status == 404)
            #expect(unknown.errorID == "api.context.404.app_error")
            let wrongMethod = try await s.api(as: s.alice).delete("/api/v4/users/me")
            #expect(wrongMethod.status == 404)
            #expect(ping.headers.first(name: "Content-Type") == "application/json")
            #expect(ping.headers.first(name: "X-Request-Id")?.count == 26)
        }
    }
}
