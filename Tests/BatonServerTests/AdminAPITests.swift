import BatonCore
import BatonServer
import BatonTestSupport
import Foundation
import OpenAPIContract
import Testing

/// The admin API: who may use it, and what it refuses.
@Suite struct AdminAPITests {
    static let email = "admin@example.com", password = "correct horse battery"

    /// A server with one admin, and a client signed in as them.
    static func withAdmin(configure: @escaping @Sendable (inout BatonConfiguration) -> Void = { _ in },
                          _ body: @Sendable @escaping (LiveBaton, AdminClient) async throws -> Void) async throws {
        try await LiveBaton.run(configure: configure) { baton in
            let client = AdminClient(base: baton.http)
            let created = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken ?? "", "email": email, "password": password])
            #expect(created.status == 200, "\(created)")
            try await body(baton, client)
            let violations = try contractViolations(client)
            #expect(violations == [], "\(violations)")
        }
    }

    /// Every answer checked against the API's own document.
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/BatonServer/Public/api/openapi.yaml").standardized.path

    static func contractViolations(_ client: AdminClient) throws -> [String] {
        let contract = try OpenAPIContract(contentsOf: documentPath, deviations: [])
        // Requests for paths or methods the document does not have are, by definition,
        // outside it; so is the 413 for a body the gate will not read. Requests the tests
        // broke on purpose are checked for their answer only.
        let outside: Set<String> = ["unknown_path", "method_not_allowed", "too_large"]
        return client.exchanges.filter { $0.path.hasPrefix("/api/v1/") && !outside.contains($0.answer.errorCode ?? "") }.flatMap { exchange in
            contract.violations(of: HTTPExchange(method: exchange.method, path: exchange.path, query: exchange.query,
                                                 requestBody: exchange.requestBody, status: exchange.answer.status,
                                                 responseContentType: exchange.answer.headers.first(name: "Content-Type"),
                                                 responseBody: exchange.answer.body))
            .filter { !(exchange.answer.status == 400 && $0.contains(" request")) }
        }
    }

    @Test func theFirstAdminNeedsTheSetupToken() async throws {
        try await LiveBaton.run { baton in
            let client = AdminClient(base: baton.http)
            #expect(try await client.get("/api/v1/setup").json["needed"] as? Bool == true)
            let wrong = try await client.send("POST", "/api/v1/setup", json: ["token": "guess", "email": Self.email, "password": Self.password])
            #expect(wrong.status == 403)
            #expect(wrong.errorCode == "bad_setup_token")
            let short = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": Self.email, "password": "short"])
            #expect(short.status == 400)
            // bcrypt stops at a NUL: a password with control characters is refused.
            let nul = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": Self.email,
                                                                            "password": "abc\u{0}defghijk"])
            #expect(nul.status == 422 && nul.errorMessage == "The password may not hold control characters.", "\(nul)")
            // An address with a right-to-left override would show as another.
            let spoof = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": "rtl\u{202E}@example.com",
                                                                              "password": Self.password])
            #expect(spoof.status == 422, "\(spoof)")
            let markup = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": "<b>x</b>@example.com",
                                                                               "password": Self.password])
            #expect(markup.status == 422, "\(markup)")
            // bcrypt reads 72 bytes: a longer password is refused, not cut.
            let long = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": Self.email,
                                                                             "password": String(repeating: "é", count: 37)])
            #expect(long.status == 422 && long.errorMessage?.contains("at most 72 bytes") == true, "\(long)")
            // Ten spaces, a key held down, the keyboard's first row.
            for (weak, reason) in [(String(repeating: " ", count: 12), "4 different characters"), ("aaaaaaaaaaAAA", "4 different characters"),
                                   ("ab ab ab ab ab", "4 different characters"), ("QWERTYUIOP", "first that are tried")] {
                let refused = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": Self.email, "password": weak])
                #expect(refused.status == 422 && refused.errorMessage?.contains(reason) == true, "\(weak): \(refused)")
            }
            let created = try await client.send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": Self.email, "password": Self.password])
            #expect(created.status == 200)
            #expect(created.headers.first(name: "Set-Cookie")?.contains("HttpOnly") == true)
            #expect(created.headers.first(name: "Set-Cookie")?.contains("SameSite=Strict") == true)
            // Over plain HTTP the cookie cannot be Secure; from an HTTPS page (a proxy that
            // terminates TLS, saying so or not) it is.
            #expect(created.headers.first(name: "Set-Cookie")?.contains("Secure") == false)
            let port = baton.http.split(separator: ":").last.map(String.init) ?? ""
            for headers in [[("X-Forwarded-Proto", "https")], []] {
                let proxied = try await AdminClient(base: baton.http).send("POST", "/api/v1/session", json: ["email": Self.email, "password": Self.password],
                                                                           origin: "https://127.0.0.1:\(port)", headers: headers)
                #expect(proxied.status == 200 && proxied.headers.first(name: "Set-Cookie")?.contains("; Secure") == true, "\(proxied)")
            }
            #expect(try await client.get("/api/v1/session").json["admin"] as? [String: String] == ["email": Self.email])
            // The token is spent, and setup is no longer needed.
            #expect(try await client.get("/api/v1/setup").json["needed"] as? Bool == false)
            let again = try await AdminClient(base: baton.http).send("POST", "/api/v1/setup", json: ["token": baton.services.setupToken!, "email": "b@example.com", "password": Self.password])
            #expect(again.status == 409)
            #expect(again.errorCode == "setup_done")
        }
    }

    /// Several requests with the setup link at once (a double click, or two people) make
    /// one first admin; the others are told an admin exists.
    @Test func theSetupTokenMakesOneAdminWhenUsedAtOnce() async throws {
        try await LiveBaton.run { baton in
            let token = try #require(baton.services.setupToken)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let answer = try await AdminClient(base: baton.http).send("POST", "/api/v1/setup", json: [
                            "token": token, "email": "admin\(index)@example.com", "password": Self.password])
                        return (answer.status, answer.errorCode)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0.0 != 200 }.allSatisfy { $0 == (409, "setup_done") }, "\(statuses)")
            #expect(try await baton.services.store.adminCount() == 1)
        }
    }

    @Test func withoutASessionEverythingIsRefused() async throws {
        try await Self.withAdmin { baton, _ in
            let anonymous = AdminClient(base: baton.http)
            for (method, path) in [("GET", "/api/v1/bots"), ("GET", "/api/v1/bots/demo"), ("DELETE", "/api/v1/bots/demo"),
                                   ("GET", "/api/v1/conversations"), ("GET", "/api/v1/bots/demo/mattermost"), ("GET", "/api/v1/session"),
                                   ("GET", "/api/v1/insights")] {
                let answer = try await anonymous.send(method, path)
                #expect(answer.status == 401, "\(method) \(path): \(answer)")
                #expect(answer.errorCode == "sign_in_required")
            }
            // A forged cookie is no session either.
            #expect(try await anonymous.send("GET", "/api/v1/bots", headers: [("Cookie", "baton_session=forged")]).status == 401)
            // Refused before its body is read: 2 MiB is not "too large" but "sign in".
            let large = try await anonymous.send("POST", "/api/v1/bots", raw: Data(repeating: 0x20, count: 2 << 20))
            #expect(large.status == 401 && large.errorCode == "sign_in_required", "\(large)")
        }
    }

    /// The router skips empty segments (`//api/v1/bots` is `/api/v1/bots` to it): such a
    /// path went past the gate and reached the handlers without a session.
    @Test func aPathWithEmptySegmentsReachesNothing() async throws {
        try await Self.withAdmin { baton, client in
            let anonymous = AdminClient(base: baton.http)
            let botsBefore = try await client.get("/api/v1/bots").json["bots"] as? [Any]
            for path in ["//api/v1/bots", "/api//v1/bots", "/api/v1//bots", "//api/v1/conversations.csv", "/api//v1/conversations",
                         "/api//v1/insights", "/api/v1/bots/", "///api///v1///admins"] {
                for who in [anonymous, client] {
                    let answer = try await who.send("GET", path)
                    #expect(answer.status == 404 && answer.errorCode == "unknown_path", "\(path): \(answer)")
                }
            }
            for who in [anonymous, client] {
                let answer = try await who.send("POST", "//api/v1/bots", json: ["name": "Evil", "key": "evil"])
                #expect(answer.status == 404, "\(answer)")
            }
            let botsAfter = try await client.get("/api/v1/bots").json["bots"] as? [Any]
            #expect(botsAfter?.count == botsBefore?.count)
            // The API's own paths still answer.
            #expect(try await client.get("/api/v1/bots").status == 200)
            #expect(try await anonymous.get("/api/v1/bots").status == 401)
        }
    }

    @Test func changesNeedTheCSRFTokenAndBatonsOrigin() async throws {
        try await Self.withAdmin { _, client in
            let noToken = try await client.send("POST", "/api/v1/bots", json: ["name": "Sales"], csrf: false)
            #expect(noToken.status == 403)
            #expect(noToken.errorCode == "csrf")
            let wrongToken = try await client.send("POST", "/api/v1/bots", json: ["name": "Sales"], csrf: false, headers: [("X-CSRF-Token", "wrong")])
            #expect(wrongToken.status == 403)
            let otherOrigin = try await client.send("POST", "/api/v1/bots", json: ["name": "Sales"], origin: "https://evil.example")
            #expect(otherOrigin.status == 403)
            #expect(otherOrigin.errorCode == "origin_refused")
            let fine = try await client.send("POST", "/api/v1/bots", json: ["name": "Sales"])
            #expect(fine.status == 201, "\(fine)")
            // Reading needs no token.
            #expect(try await client.get("/api/v1/bots").status == 200)
        }
    }

    @Test func failedSignInsAreSlowedDown() async throws {
        try await Self.withAdmin { baton, _ in
            let guesser = AdminClient(base: baton.http)
            // The server counted the last failure between these two moments.
            var lastFailureSent = ContinuousClock.now, lastFailure = ContinuousClock.now
            for _ in 0..<3 {
                lastFailureSent = .now
                let answer = try await guesser.signIn(Self.email, "wrong password")
                lastFailure = .now
                #expect(answer.status == 401)
                #expect(answer.errorMessage == "The email or the password is wrong.")
            }
            let slowed = try await guesser.signIn(Self.email, "wrong password")
            #expect(slowed.status == 429)
            #expect(Int(slowed.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            // Even the right password waits its turn (2 s after the last failure); on a
            // machine so busy that the turn came meanwhile, it is let in. Which it was is
            // certain only when the whole exchange fell on one side of the turn.
            let asked = ContinuousClock.now
            let right = try await guesser.signIn(Self.email, Self.password)
            if asked - lastFailure >= .seconds(2) {
                #expect(right.status == 200)
            } else if ContinuousClock.now - lastFailureSent < .seconds(2) {
                #expect(right.status == 429)
            } else {
                #expect([200, 429].contains(right.status))
            }
        }
    }

    /// Behind a trusted reverse proxy, failures count per address the proxy forwarded:
    /// one guesser does not lock everybody else out. Without `--trusted-proxies` the
    /// header is anyone's to write and is ignored: all requests count as the TCP peer.
    @Test func behindATrustedProxyFailuresCountPerForwardedClient() async throws {
        @Sendable func guess(_ client: AdminClient, as address: String, email: String = "nobody@example.com") async throws -> APIAnswer {
            try await client.send("POST", "/api/v1/session", json: ["email": email, "password": "wrong password"],
                                  headers: [("X-Forwarded-For", "10.9.8.7, \(address)")])
        }
        try await Self.withAdmin(configure: { $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1, ::1", from: "test") }) { baton, _ in
            let guesser = AdminClient(base: baton.http)
            for _ in 0..<3 { #expect(try await guess(guesser, as: "203.0.113.7").status == 401) }
            // The guesser is slowed down whatever email they try next…
            #expect(try await guess(guesser, as: "203.0.113.7", email: "other@example.com").status == 429)
            // …and what they write left of the proxy's entry changes nothing.
            #expect(try await guesser.send("POST", "/api/v1/session", json: ["email": "third@example.com", "password": "x"],
                                           headers: [("X-Forwarded-For", "198.51.100.1, 203.0.113.7")]).status == 429)
            // Another admin behind the same proxy signs in at once.
            let colleague = AdminClient(base: baton.http)
            let signedIn = try await colleague.send("POST", "/api/v1/session", json: ["email": Self.email, "password": Self.password],
                                                    headers: [("X-Forwarded-For", "198.51.100.9")])
            #expect(signedIn.status == 200, "\(signedIn)")
        }
        try await Self.withAdmin { baton, _ in
            let guesser = AdminClient(base: baton.http)
            for _ in 0..<3 { #expect(try await guess(guesser, as: "203.0.113.7").status == 401) }
            let spoofed = try await guess(guesser, as: "198.51.100.9", email: "other@example.com")
            #expect(spoofed.status == 429)
        }
    }

    /// Admins add and remove each other from the dashboard: a new admin signs in with the
    /// password they were given; the last admin cannot be removed; a removed admin's
    /// sessions end at once.
    @Test func adminsAddAndRemoveEachOther() async throws {
        try await Self.withAdmin { baton, client in
            let listed = try await client.get("/api/v1/admins")
            #expect(listed.status == 200)
            let me = try #require((listed.json["admins"] as? [[String: Any]])?.first)
            #expect(me["email"] as? String == Self.email && me["you"] as? Bool == true)
            let myID = try #require(me["id"] as? String)
            #expect(try await client.send("DELETE", "/api/v1/admins/\(myID)").errorCode == "last_admin")

            let added = try await client.send("POST", "/api/v1/admins", json: ["email": " Grace@Example.com ", "password": "a first password"])
            #expect(added.status == 201, "\(added)")
            #expect(added.json["email"] as? String == "grace@example.com" && added.json["you"] as? Bool == false)
            let graceID = try #require(added.json["id"] as? String)
            #expect(try await client.send("POST", "/api/v1/admins", json: ["email": "grace@example.com", "password": "another password"]).errorCode == "email_taken")
            let notAnEmail = try await client.send("POST", "/api/v1/admins", json: ["email": "grace", "password": "a first password"])
            #expect(notAnEmail.status == 422 && notAnEmail.errorCode == "invalid_admin")
            #expect(try await client.send("POST", "/api/v1/admins", json: ["email": "x@example.com", "password": "short"]).status == 400)
            #expect(try await client.send("POST", "/api/v1/admins", json: ["email": "x@example.com", "password": "a long enough one"], csrf: false).status == 403)

            let grace = AdminClient(base: baton.http)
            #expect(try await grace.signIn("grace@example.com", "a first password").status == 200)
            #expect((try await grace.get("/api/v1/admins").json["admins"] as? [[String: Any]])?.map { $0["email"] as? String } == [Self.email, "grace@example.com"])
            // Removed, her session ends at once.
            #expect(try await client.send("DELETE", "/api/v1/admins/\(graceID)").status == 204)
            #expect(try await grace.get("/api/v1/admins").status == 401)
            #expect(try await client.send("DELETE", "/api/v1/admins/\(graceID)").status == 404)
            #expect(try await grace.signIn("grace@example.com", "a first password").status == 401)
        }
    }

    /// An admin changes their own password: the current one is required, the new one
    /// must be long enough; afterwards their other sessions are over and this one goes on
    /// with a new cookie and CSRF token.
    @Test func anAdminChangesTheirPasswordAndTheirOtherSessionsEnd() async throws {
        try await Self.withAdmin { baton, client in
            let elsewhere = AdminClient(base: baton.http)
            #expect(try await elsewhere.signIn(Self.email, Self.password).status == 200)
            let oldToken = client.csrfToken

            let wrong = try await client.send("PUT", "/api/v1/session/password", json: ["currentPassword": "not it", "newPassword": "a new password"])
            #expect(wrong.status == 403 && wrong.errorCode == "wrong_password", "\(wrong)")
            let short = try await client.send("PUT", "/api/v1/session/password", json: ["currentPassword": Self.password, "newPassword": "short"])
            #expect(short.status == 422 && short.errorCode == "invalid_password", "\(short)")
            let same = try await client.send("PUT", "/api/v1/session/password", json: ["currentPassword": Self.password, "newPassword": Self.password])
            #expect(same.status == 422 && same.errorMessage?.contains("the one you have") == true, "\(same)")
            let noCSRF = try await client.send("PUT", "/api/v1/session/password", json: ["currentPassword": Self.password, "newPassword": "a new password"], csrf: false)
            #expect(noCSRF.status == 403 && noCSRF.errorCode == "csrf")

            let changed = try await client.send("PUT", "/api/v1/session/password", json: ["currentPassword": Self.password, "newPassword": "a new password"])
            #expect(changed.status == 200, "\(changed)")
            #expect(client.csrfToken != oldToken)
            #expect(try await client.get("/api/v1/bots").status == 200)
            #expect(try await elsewhere.get("/api/v1/bots").status == 401)
            #expect(try await AdminClient(base: baton.http).signIn(Self.email, Self.password).status == 401)
            #expect(try await AdminClient(base: baton.http).signIn(Self.email, "a new password").status == 200)
        }
    }

    @Test func signingOutEndsTheSession() async throws {
        try await Self.withAdmin { _, client in
            let out = try await client.send("DELETE", "/api/v1/session")
            #expect(out.status == 204)
            let after = try await client.get("/api/v1/bots")
            #expect(after.status == 401)
        }
    }

    @Test func requestsThatDoNotMatchTheDocumentGetA4xxWithAReason() async throws {
        try await Self.withAdmin { baton, client in
            let cases: [(String, String, Data?, Int, String)] = [
                ("POST", "/api/v1/bots", Data(#"{"name": 5}"#.utf8), 400, "name: expected string, got integer"),
                ("POST", "/api/v1/bots", Data(#"{"name": "x", "colour": "red"}"#.utf8), 400, "colour: unknown property"),
                ("POST", "/api/v1/bots", Data(#"{}"#.utf8), 400, "name: required property is missing"),
                ("POST", "/api/v1/bots", Data("not json".utf8), 400, "not valid JSON"),
                ("POST", "/api/v1/bots", Data(#"{"name": "x", "settings": {"color": "red"}}"#.utf8), 400, "does not match the pattern"),
                ("GET", "/api/v1/bots/has%20space", nil, 400, "key"),
                ("GET", "/api/v1/conversations?limit=1000", nil, 400, "must be at most 200"),
                ("GET", "/api/v1/conversations?state=sleeping", nil, 400, "is not one of"),
                ("GET", "/api/v1/no-such-thing", nil, 404, "has no /api/v1/no-such-thing"),
                ("PATCH", "/api/v1/bots", nil, 405, "takes GET, POST"),
            ]
            for (method, path, body, status, words) in cases {
                let answer = try await client.send(method, path, raw: body)
                #expect(answer.status == status, "\(method) \(path): \(answer)")
                #expect(answer.errorMessage?.contains(words) == true, "\(method) \(path): \(answer)")
            }
            // A 405 says which methods the path takes (RFC 9110).
            #expect(try await client.send("TRACE", "/api/v1/bots").headers.first(name: "Allow") == "GET, POST, HEAD")
            #expect(try await client.send("GET", "/api/v1/bots/demo/check").headers.first(name: "Allow") == "POST")
            let huge = try await client.send("PUT", "/api/v1/bots/demo", raw: Data(repeating: 0x20, count: 2 << 20))
            #expect(huge.status == 413)
            // A body that cannot be read (a broken chunk) is not "too large".
            let broken = try await RawConnection.open(port: baton.port)
            try await broken.send("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n")
            #expect(await broken.received("unreadable_body", within: 5), "\(broken.text)")
            #expect(broken.text.hasPrefix("HTTP/1.1 400"), "\(broken.text)")
            await broken.close()
        }
    }

    /// Every operation with a path parameter, asked with a malformed one, answers 400, and
    /// with a well-formed one that names nothing, 404: statuses its document lists (the
    /// contract check at the end of `withAdmin` fails on any other).
    @Test func malformedAndUnknownPathParametersGetDocumentedAnswers() async throws {
        let document = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        var operations: [(method: String, template: String)] = []
        var template: String?
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /api/v1/"), line.hasSuffix(":") {
                let path = String(line.dropFirst(2).dropLast())
                template = path.contains("{") ? path : nil
            } else if let template, let method = ["get", "put", "post", "delete"].first(where: { line == "    \($0):" }) {
                operations.append((method.uppercased(), template))
            }
        }
        #expect(operations.count >= 15, "\(operations)")
        let templated = operations
        @Sendable func filled(_ template: String, key: String, id: String) -> String {
            template.replacingOccurrences(of: "{key}", with: key).replacingOccurrences(of: "{id}", with: id)
        }
        try await Self.withAdmin { _, client in
            for (method, template) in templated {
                let bad = try await client.send(method, filled(template, key: "%21", id: "%21"))
                #expect(bad.status == 400, "\(method) \(template): \(bad)")
                #expect(bad.errorCode == "invalid_request", "\(method) \(template): \(bad)")
            }
            // Unknown, well-formed: the operations that need no body, and the wizard's
            // helpers, which look for the bot before they call any Mattermost.
            let server: [String: Any] = ["url": "http://127.0.0.1:1/", "token": "t"]
            let helperBodies: [String: [String: Any]] = [
                "/mattermost/server": ["server": server],
                "/mattermost/team": ["server": server, "team": "support"],
                "/mattermost/users": ["server": server, "team": "support", "prefix": "a"],
            ]
            // (`check` and `try` read the definition sent, not the bot.)
            for (method, template) in templated where !template.hasSuffix("/check") && !template.hasSuffix("/try") {
                let helper = helperBodies.first { template.hasSuffix($0.key) }?.value
                let needsBody = method == "PUT" || (method == "POST" && helper != nil)
                if needsBody && helper == nil { continue }
                let path = filled(template, key: "no-such-bot", id: "aaaaaaaaaaaaaaaaaaaa")
                let body: [String: Any]? = needsBody ? helper : nil
                let unknown = try await client.send(method, path, json: body)
                #expect(unknown.status == 404, "\(method) \(path): \(unknown)")
            }
        }
    }

    /// The embed snippet names Baton as visitors' browsers reach it: over HTTPS behind a
    /// proxy that says so (`X-Forwarded-Proto`), and at `--public-url` when one is given.
    @Test func theEmbedSnippetUsesThePublicAddress() async throws {
        @Sendable func snippet(_ base: String) -> String { "<script src=\"\(base)/widget.js\" data-widget=\"demo\" async></script>" }
        try await Self.withAdmin { baton, client in
            let proxied = try await client.send("GET", "/api/v1/bots/demo", headers: [("X-Forwarded-Proto", "https")])
            #expect(proxied.json["embedSnippet"] as? String == snippet("https://127.0.0.1:\(baton.port)"), "\(proxied)")
            #expect(try await client.get("/api/v1/bots/demo").json["embedSnippet"] as? String == snippet(baton.http))
        }
        try await Self.withAdmin(configure: { $0.publicURL = "https://chat.shop.example" }) { _, client in
            let proxied = try await client.send("GET", "/api/v1/bots/demo", headers: [("X-Forwarded-Proto", "http")])
            #expect(proxied.json["embedSnippet"] as? String == snippet("https://chat.shop.example"), "\(proxied)")
            #expect(try await client.get("/api/v1/bots/demo").json["embedSnippet"] as? String == snippet("https://chat.shop.example"))
        }
    }

    @Test func botsAreCreatedEditedCheckedAndDeleted() async throws {
        try await Self.withAdmin { baton, client in
            let created = try await client.send("POST", "/api/v1/bots", json: ["name": "Support Desk"])
            #expect(created.status == 201)
            let key = try #require(created.json["key"] as? String)
            #expect(key == "support-desk")
            // The name's key taken: another is made from it.
            let again = try await client.send("POST", "/api/v1/bots", json: ["name": "Support Desk"])
            #expect(again.status == 201 && (again.json["key"] as? String)?.hasPrefix("support-desk-") == true
                    && (again.json["key"] as? String)?.count == "support-desk-".count + 4, "\(again)")
            #expect(try await client.send("DELETE", "/api/v1/bots/\(again.json["key"] as? String ?? "")").status == 204)
            // A name's accents come off its key (it was "n-c-d"); a key differing only in
            // case from one taken is refused; a direction override is no part of a name.
            let accented = try await client.send("POST", "/api/v1/bots", json: ["name": "Ünïcödé Straße 日本 🎉"])
            #expect(accented.json["key"] as? String == "unicode-strasse", "\(accented)")
            let unaccented = try await client.send("POST", "/api/v1/bots", json: ["name": "Ørsted Łódź Æble"])
            #expect(unaccented.json["key"] as? String == "orsted-lodz-aeble", "\(unaccented)")
            #expect(try await client.send("DELETE", "/api/v1/bots/orsted-lodz-aeble").status == 204)
            #expect(try await client.send("DELETE", "/api/v1/bots/unicode-strasse").status == 204)
            let shouting = try await client.send("POST", "/api/v1/bots", json: ["name": "Shouting", "key": "SUPPORT-DESK"])
            #expect(shouting.status == 409 && shouting.errorCode == "key_taken", "\(shouting)")
            let reversed = try await client.send("POST", "/api/v1/bots", json: ["name": "Eve\u{202E}nimda"])
            #expect(reversed.status == 422 && reversed.errorMessage?.contains("direction override (U+202E)") == true, "\(reversed)")
            #expect(created.json["embedSnippet"] as? String == "<script src=\"\(baton.http)/widget.js\" data-widget=\"\(key)\" async></script>")
            #expect(created.json["botName"] as? String == "Support Desk")
            // A broken definition: every problem, located.
            let broken = "name: X\ngreeting: Hi\nintents:\n  - name: a\n    examples: [hello]\n    anwser: oops\n"
            let refused = try await client.send("PUT", "/api/v1/bots/\(key)", json: ["name": "Support Desk", "source": broken, "settings": [:]])
            #expect(refused.status == 422)
            #expect(refused.issues.first?["line"] as? Int == 6)
            #expect(refused.issues.first?["path"] as? String == "intents[0].anwser")
            let checked = try await client.send("POST", "/api/v1/bots/\(key)/check", json: ["source": broken])
            #expect(checked.json["ok"] as? Bool == false)
            #expect((checked.json["issues"] as? [[String: Any]])?.first?["line"] as? Int == 6)
            // Settings are checked too.
            let badOrigin = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support Desk", "source": "name: X\ngreeting: Hi\n", "settings": ["allowedOrigins": ["https://ok.example", "not an origin"]],
            ])
            #expect(badOrigin.status == 422)
            #expect(badOrigin.issues.first?["path"] as? String == "settings.allowedOrigins[1]")
            // The widget's greeting comes before the visitor answered anything: only what a
            // returning visitor gave before (name, email) can be filled in.
            let topic = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support Desk", "source": "name: X\ngreeting: Hi\n", "settings": ["greeting": "Hi {{name}}, about {{topic}}?"],
            ])
            #expect(topic.status == 422 && topic.issues.first?["path"] as? String == "settings.greeting", "\(topic)")
            #expect((topic.issues.first?["message"] as? String)?.hasPrefix("{{topic}} would always be empty") == true, "\(topic)")
            let named = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support Desk", "source": "name: X\ngreeting: Hi\n", "settings": ["greeting": "Hi {{name}} ({{email}})!"],
            ])
            #expect(named.status == 200, "\(named)")
            // Names and titles are one line of text: no blank name, no control characters
            // (a greeting may have line breaks).
            for (name, settings, path) in [("   ", [:], "name"), ("Sup\u{1}port", [:], "name"), ("Two\nlines", [:], "name"),
                                           ("Support", ["title": "Help\r"], "settings.title"),
                                           ("Support", ["subtitle": "fast\u{85}"], "settings.subtitle"),
                                           ("Support", ["greeting": "Hi\u{7}"], "settings.greeting"),
                                           // An avatar's address holds no control characters, quotes or spaces.
                                           ("Support", ["avatarURL": "https://x.example/\u{0}"], "settings.avatarURL"),
                                           ("Support", ["avatarURL": "https://x.example/a.png\"><script>"], "settings.avatarURL"),
                                           ("Support", ["avatarURL": "https://x.example/a b.png"], "settings.avatarURL"),
                                           ("Support", ["avatarURL": "http://x.example/a.png"], "settings.avatarURL")] as [(String, [String: String], String)] {
                let refused = try await client.send("PUT", "/api/v1/bots/\(key)", json: ["name": name, "source": "name: X\ngreeting: Hi\n", "settings": settings])
                #expect(refused.status == 422, "\(name) \(settings): \(refused)")
                #expect(refused.issues.first?["path"] as? String == path, "\(name) \(settings): \(refused)")
            }
            let badName = try await client.send("POST", "/api/v1/bots", json: ["name": "Bad\u{0}name"])
            #expect(badName.status == 422)
            #expect(badName.errorCode == "invalid_name")
            let multiline = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: X\ngreeting: Hi\n", "settings": ["greeting": "Hello!\nHow can we help?"],
            ])
            #expect(multiline.status == 200, "\(multiline)")
            let avatar = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: X\ngreeting: Hi\n", "settings": ["avatarURL": "https://cdn.example/ä/face.png?size=64&v=2#x"],
            ])
            #expect(avatar.status == 200, "\(avatar)")
            let saved = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n",
                "settings": ["title": "Help", "subtitle": "We reply fast", "greeting": " Welcome to Sunny's! ", "color": "#ff8800",
                             "allowedOrigins": ["https://shop.example/"]],
            ])
            #expect(saved.status == 200, "\(saved)")
            #expect((saved.json["settings"] as? [String: Any])?["greeting"] as? String == "Welcome to Sunny's!")
            #expect((saved.json["settings"] as? [String: Any])?["allowedOrigins"] as? [String] == ["https://shop.example"])
            #expect(saved.json["botName"] as? String == "Sunny")
            // Ratings are asked for unless turned off; a save without the field keeps it.
            #expect((saved.json["settings"] as? [String: Any])?["askForRating"] as? Bool == true)
            let quiet = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["askForRating": false],
            ])
            #expect((quiet.json["settings"] as? [String: Any])?["askForRating"] as? Bool == false)
            // Missed replies are emailed unless turned off (none go out here: no mail server).
            #expect((saved.json["settings"] as? [String: Any])?["emailMissedReplies"] as? Bool == true)
            #expect(saved.json["mailServer"] as? Bool == false)
            let noEmail = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["emailMissedReplies": false],
            ])
            #expect((noEmail.json["settings"] as? [String: Any])?["emailMissedReplies"] as? Bool == false)
            #expect((noEmail.json["settings"] as? [String: Any])?["askForRating"] as? Bool == false)
            // A change made on an older read (another tab saved since) is refused, not
            // silently undoing that save; on the current one it goes through.
            let stale = try #require(quiet.json["updatedAt"] as? Int64), current = try #require(noEmail.json["updatedAt"] as? Int64)
            let staleSave = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["emailMissedReplies": true], "updatedAt": stale,
            ])
            #expect(staleSave.status == 409 && staleSave.errorCode == "edited_meanwhile", "\(staleSave)")
            let onCurrent = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["emailMissedReplies": false], "updatedAt": current,
            ])
            #expect(onCurrent.status == 200, "\(onCurrent)")
            // A field left out keeps what is set (a script renaming the bot does not open
            // its widget to every site); null or empty clears it; a language in any case.
            let renamed = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support renamed", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["language": "ZH-HANT"],
            ])
            let renamedSettings = try #require(renamed.json["settings"] as? [String: Any])
            #expect(renamedSettings["allowedOrigins"] as? [String] == ["https://shop.example"], "\(renamed)")
            #expect(renamedSettings["greeting"] as? String == "Welcome to Sunny's!" && renamedSettings["language"] as? String == "zh-Hant")
            let cleared = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n",
                "settings": ["allowedOrigins": [String](), "greeting": NSNull(), "language": ""],
            ])
            let clearedSettings = try #require(cleared.json["settings"] as? [String: Any])
            #expect(clearedSettings["allowedOrigins"] as? [String] == [] && clearedSettings["greeting"] == nil && clearedSettings["language"] == nil, "\(cleared)")
            _ = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n",
                "settings": ["allowedOrigins": ["https://shop.example/"], "greeting": " Welcome to Sunny's! "],
            ])
            let kept = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n",
                "settings": ["title": "Help", "subtitle": "We reply fast", "greeting": " Welcome to Sunny's! ", "color": "#ff8800",
                             "allowedOrigins": ["https://shop.example/"]],
            ])
            #expect((kept.json["settings"] as? [String: Any])?["askForRating"] as? Bool == false)
            #expect((kept.json["settings"] as? [String: Any])?["emailMissedReplies"] as? Bool == false)
            // Live at once: the widget's public settings changed.
            let config = try await client.get("/widget/v1/config/\(key)")
            #expect(config.json["title"] as? String == "Help")
            #expect(config.json["color"] as? String == "#ff8800")
            // The widget's language: one it speaks, or none (the page's or the visitor's).
            #expect((kept.json["settings"] as? [String: Any])?["language"] == nil)
            let german = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["language": "de"],
            ])
            #expect((german.json["settings"] as? [String: Any])?["language"] as? String == "de", "\(german)")
            #expect(german.json["botLanguage"] == nil, "the bot declares none")
            let dutchBot = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\nlanguage: nl\ngreeting: Hallo!\n", "settings": ["language": "de"],
            ])
            #expect(dutchBot.json["botLanguage"] as? String == "nl", "\(dutchBot)")
            let wrong = try await client.send("PUT", "/api/v1/bots/\(key)", json: ["name": "Support", "source": "name: Sunny\nlanguage: tlh\ngreeting: Hallo!\n", "settings": [:]])
            let wrongIssue = (wrong.json["error"] as? [String: Any]).flatMap { ($0["issues"] as? [[String: Any]])?.first }
            #expect(wrong.status == 422 && wrongIssue?["path"] as? String == "language" && wrongIssue?["line"] as? Int == 2, "\(wrong)")
            let unknown = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["language": "tlh"],
            ])
            #expect(unknown.status == 422, "\(unknown)")
            let issue = (unknown.json["error"] as? [String: Any]).flatMap { ($0["issues"] as? [[String: Any]])?.first }
            #expect(issue?["path"] as? String == "settings.language" && (issue?["message"] as? String)?.contains("\"tlh\"") == true, "\(unknown)")
            let automatic = try await client.send("PUT", "/api/v1/bots/\(key)", json: [
                "name": "Support", "source": "name: Sunny\ngreeting: Hello!\n", "settings": ["language": NSNull()],
            ])
            #expect(automatic.status == 200 && (automatic.json["settings"] as? [String: Any])?["language"] == nil, "\(automatic)")
            // How a definition, saved or not, reads a sentence.
            let tried = try await client.send("POST", "/api/v1/bots/\(key)/try", json: [
                "source": "name: Sunny\ngreeting: Hello!\nintents:\n  - name: hours\n    examples: [when are you open]\n    answer: Always.\n",
                "text": "When are you opening?",
            ])
            #expect(tried.status == 200 && tried.json["ok"] as? Bool == true && tried.json["outcome"] as? String == "intent", "\(tried)")
            #expect(tried.json["intent"] as? String == "hours" && tried.json["threshold"] as? Double == 0.6)
            #expect(((tried.json["scores"] as? [[String: Any]])?.first?["score"] as? Double ?? 0) >= 0.6, "\(tried)")
            let person = try await client.send("POST", "/api/v1/bots/\(key)/try", json: ["source": "name: Sunny\ngreeting: Hello!\n", "text": "talk to a human"])
            #expect(person.json["outcome"] as? String == "handover" && person.json["intent"] == nil, "\(person)")
            let unusable = try await client.send("POST", "/api/v1/bots/\(key)/try", json: ["source": "name: Sunny\n", "text": "hi"])
            #expect(unusable.status == 200 && unusable.json["ok"] as? Bool == false && (unusable.json["issues"] as? [Any])?.isEmpty == false, "\(unusable)")
            let blank = try await client.send("POST", "/api/v1/bots/\(key)/try", json: ["source": "name: Sunny\ngreeting: Hello!\n", "text": "  "])
            #expect(blank.status == 422, "\(blank)")
            let list = try await client.get("/api/v1/bots")
            #expect((list.json["bots"] as? [[String: Any]])?.map { $0["key"] as? String } == ["demo", key])
            #expect(try await client.send("DELETE", "/api/v1/bots/\(key)").status == 204)
            #expect(try await client.get("/api/v1/bots/\(key)").status == 404)
            // A deleted bot's key is free again when it had no chats; one whose chats remain
            // is not (a new bot would take them over).
            #expect(try await client.send("POST", "/api/v1/bots", json: ["key": key, "name": "Support again"]).status == 201)
            try await Self.visitorAsksTheBot(baton)
            #expect(try await client.send("DELETE", "/api/v1/bots/demo").status == 204)
            let reused = try await client.send("POST", "/api/v1/bots", json: ["key": "demo", "name": "Demo again"])
            #expect(reused.status == 409 && reused.errorCode == "key_taken", "\(reused)")
            #expect(reused.errorMessage == "The chats of a deleted bot keep the key \"demo\": choose another key.")
        }
    }

    /// A visitor asks the demo bot what it costs, and leaves.
    static func visitorAsksTheBot(_ baton: LiveBaton) async throws {
        try await WidgetClient.connect(baton.socketURL) { visitor in
            _ = try await visitor.hello()
            _ = try await visitor.say("How much does it cost?", clientID: "a1")
        }
    }

    @Test func conversationsAreListedFilteredSearchedAndShown() async throws {
        try await Self.withAdmin { baton, client in
            // Two visitors talk to the demo bot.
            try await Self.visitorAsksTheBot(baton)
            try await WidgetClient.connect(baton.socketURL) { visitor in
                _ = try await visitor.hello()
                _ = try await visitor.say("talk to a person", clientID: "b1")
                _ = try await visitor.until("the name question") { ($0.messageText ?? "").contains("name") }
                _ = try await visitor.say("Quentin Quux", clientID: "b2")
                _ = try await visitor.until("the email question") { ($0.messageText ?? "").contains("email") }
            }
            let all = try await client.get("/api/v1/conversations")
            let rows = try #require(all.json["conversations"] as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(rows.first?["state"] as? String == "collecting")
            let collecting = try await client.get("/api/v1/conversations?state=collecting&bot=demo")
            #expect((collecting.json["conversations"] as? [[String: Any]])?.count == 1)
            let searched = try await client.get("/api/v1/conversations?q=cost")
            let found = try #require((searched.json["conversations"] as? [[String: Any]])?.first)
            #expect((searched.json["conversations"] as? [[String: Any]])?.count == 1)
            // Two words as a form writes them (the dashboard's URLSearchParams): `+` is a
            // space (the two were one word with a "+", and nothing matched).
            for twoWords in ["quentin+quux", "quentin%20quux", "+quentin+"] {
                let found = try await client.get("/api/v1/conversations?q=\(twoWords)")
                #expect((found.json["conversations"] as? [[String: Any]])?.count == 1, "\(twoWords): \(found)")
            }
            #expect((try await client.get("/api/v1/conversations?q=quentin%2Bquux").json["conversations"] as? [[String: Any]])?.isEmpty == true)
            let byName = try await client.get("/api/v1/conversations?q=quentin")
            #expect(((byName.json["conversations"] as? [[String: Any]])?.first?["visitor"] as? [String: Any])?["name"] as? String == "Quentin Quux")
            let wildcard = try await client.get("/api/v1/conversations?q=%25")
            #expect((wildcard.json["conversations"] as? [[String: Any]])?.isEmpty == true)
            let detail = try await client.get("/api/v1/conversations/\(found["id"] as? String ?? "")")
            let messages = try #require(detail.json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["bot", "visitor", "bot"])
            #expect(messages[2]["name"] as? String == "Ada")
            let paged = try await client.get("/api/v1/conversations?limit=1")
            let next = try #require(paged.json["next"] as? Int64), nextID = try #require(paged.json["nextId"] as? String)
            let second = try await client.get("/api/v1/conversations?limit=1&before=\(next)&beforeId=\(nextID)")
            let secondRows = try #require(second.json["conversations"] as? [[String: Any]])
            #expect(secondRows.count == 1)
            #expect(secondRows.first?["id"] as? String != (paged.json["conversations"] as? [[String: Any]])?.first?["id"] as? String)
            // The last page says there is no next one (a full page said there was).
            #expect(second.json["next"] == nil && second.json["nextId"] == nil, "\(second)")
            #expect(try await client.get("/api/v1/conversations/aaaaaaaaaaaaaaaaaaaa").status == 404)

            // The list as a CSV file: every row the filters find, the bot's answers in columns.
            let csv = try await client.get("/api/v1/conversations.csv?tz=Asia/Kolkata")
            #expect(csv.status == 200)
            #expect(csv.headers.first(name: "Content-Type") == "text/csv; charset=utf-8")
            let day = LocalDate(at: .now(), in: TimeZone(identifier: "Asia/Kolkata")!)
            #expect(csv.headers.first(name: "Content-Disposition") == "attachment; filename=\"conversations-\(day).csv\"")
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines.first?.contains("Started (Asia/Kolkata)") == true)
            #expect(lines.contains { $0.contains("Quentin Quux") && $0.contains(",collecting,") && $0.contains(",Demo,") })
            let filtered = try await client.get("/api/v1/conversations.csv?q=cost&state=bot")
            #expect(filtered.text.split(separator: "\r\n").count == 2 && filtered.text.contains("Started (UTC)"))
        }
    }

    /// The CSV file holds every conversation the filters find, however many (it is written
    /// as it is read, a page at a time), with a column for an answer that only the oldest
    /// conversation has.
    @Test func theCSVFileHoldsEveryConversation() async throws {
        try await Self.withAdmin { baton, client in
            let store = baton.services.store, start: Millis = 1_764_000_000_000
            for index in 0..<1_234 {
                let at = start + Millis(index) * 1_000
                let visitor = Visitor(id: .random(), widgetKey: "demo", tokenHash: "csv-\(index)", createdAt: at, lastSeenAt: at)
                var conversation = Conversation(id: .random(), widgetKey: "demo", visitorID: visitor.id, createdAt: at, updatedAt: at)
                conversation.set("name", to: "Visitor \(index)")
                if index == 0 { conversation.set("order number", to: "A-1") }
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                     messages: [NewMessage(role: .visitor, text: "hello \(index)", clientID: "c", createdAt: at)]))
            }
            let csv = try await client.get("/api/v1/conversations.csv")
            #expect(csv.status == 200)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 1 + 1_234)
            #expect(lines.first?.hasSuffix(",Mattermost room,Tried by admin,order number") == true, "\(lines.first ?? "")")
            #expect(lines[1].contains(",Visitor 1233,") && lines.last?.contains(",Visitor 0,") == true && lines.last?.hasSuffix(",A-1") == true)
            #expect(Set(lines.dropFirst().map { $0.prefix(20) }).count == 1_234, "every conversation once")
        }
    }

    @Test func insightsCountTheConversationsOfTheDaysAskedFor() async throws {
        try await Self.withAdmin { baton, client in
            // One visitor stays with the bot; another is handed over (nobody is connected:
            // they wait for an agent).
            try await Self.visitorAsksTheBot(baton)
            try await WidgetClient.connect(baton.socketURL) { visitor in
                _ = try await visitor.hello()
                for (index, (answer, next)) in [("Do you ship to Mars?", "get that"), ("talk to a person", "name"), ("Quentin Quux", "email"),
                                                 ("q@example.com", "about")].enumerated() {
                    _ = try await visitor.say(answer, clientID: "b\(index)")
                    _ = try await visitor.until("the \(next) question") { ($0.messageText ?? "").contains(next) }
                }
                _ = try await visitor.say("Sales", clientID: "b4")
                _ = try await visitor.until("the handover") { $0.type == "state" && $0.string("state") == "waiting_for_agent" }
            }
            let report = try await client.get("/api/v1/insights?tz=Asia/Kolkata")
            #expect(report.status == 200, "\(report)")
            #expect(report.json["timeZone"] as? String == "Asia/Kolkata")
            #expect(report.json["started"] as? Int == 2 && report.json["handedOver"] as? Int == 1 && report.json["botOnly"] as? Int == 1)
            #expect(report.json["waiting"] as? Int == 1 && report.json["answered"] as? Int == 0 && report.json["firstReply"] == nil)
            #expect(report.json["retentionDays"] == nil)
            let days = try #require(report.json["days"] as? [[String: Any]])
            #expect(days.count == 30)
            #expect(days.last?["date"] as? String == LocalDate(at: .now(), in: TimeZone(identifier: "Asia/Kolkata")!).description)
            #expect(days.last?["started"] as? Int == 2 && days.last?["handedOver"] as? Int == 1)
            #expect((report.json["hours"] as? [[Int]])?.joined().reduce(0, +) == 2)
            // The first visitor's question the demo bot did not understand is listed.
            let notUnderstood = try #require(report.json["notUnderstood"] as? [[String: Any]], "\(report)")
            #expect(notUnderstood.count == 1 && notUnderstood.first?["text"] as? String == "Do you ship to Mars?"
                && notUnderstood.first?["count"] as? Int == 1 && notUnderstood.first?["conversationId"] is String, "\(notUnderstood)")
            // The handed-over visitor asked for a person.
            let causes = report.json["handoverCauses"] as? [String: Int]
            #expect(causes == ["asked": 1, "notUnderstood": 0, "byDesign": 0, "unansweredQuestion": 0], "\(report.json["handoverCauses"] ?? "none")")
            // Its transcript marks it.
            let marked = try await client.get("/api/v1/conversations/\(notUnderstood.first?["conversationId"] as? String ?? "")")
            let said = (marked.json["messages"] as? [[String: Any]] ?? []).filter { $0["role"] as? String == "visitor" }
            #expect(said.map { $0["notUnderstood"] as? Bool } == [true, nil, nil, nil, nil], "\(said)")
            // Closed without an agent's word: unanswered, and listed as such.
            let waiting = try #require((try await client.get("/api/v1/conversations?state=waiting_for_agent").json["conversations"] as? [[String: Any]])?.first)
            let waitingID = try #require(waiting["id"] as? String)
            #expect(try await client.send("POST", "/api/v1/conversations/\(waitingID)/close").status == 200)
            let after = try await client.get("/api/v1/insights")
            #expect(after.json["unanswered"] as? Int == 1 && after.json["waiting"] as? Int == 0)
            let listed = try await client.get("/api/v1/conversations?unanswered=true&startedFrom=\(Millis.now() - 3_600_000)&startedBefore=\(Millis.now() + 1)")
            #expect((listed.json["conversations"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [waitingID])
            #expect((try await client.get("/api/v1/conversations?unanswered=true&startedBefore=1000").json["conversations"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await client.get("/api/v1/conversations?startedFrom=2000&startedBefore=1000").errorCode == "invalid_range")
            // Another bot, other days, a zone this server does not know.
            #expect(try await client.get("/api/v1/insights?bot=nobody").json["started"] as? Int == 0)
            let old = try await client.get("/api/v1/insights?from=2026-01-01&to=2026-01-31&tz=Mars/Olympus")
            #expect(old.json["started"] as? Int == 0 && old.json["timeZone"] as? String == "UTC")
            #expect((old.json["days"] as? [[String: Any]])?.count == 31)
            // What it refuses.
            for (query, code) in [("from=2026-01-01", "invalid_date"), ("from=2026-02-30&to=2026-03-01", "invalid_date"),
                                  ("from=2026-03-02&to=2026-03-01", "invalid_range"), ("from=2025-01-01&to=2026-01-02", "invalid_range")] {
                let refused = try await client.get("/api/v1/insights?\(query)")
                #expect(refused.status == 400 && refused.errorCode == code, "\(query): \(refused)")
            }
        }
    }

    @Test func theAPIDocumentIsServed() async throws {
        try await LiveBaton.run { baton in
            let document = try await AdminClient(base: baton.http).get("/api/openapi.yaml")
            #expect(document.status == 200)
            #expect(document.text.hasPrefix("openapi: 3.0.3"))
        }
    }

    /// The document is one a client generator takes: no key without a value (three
    /// descriptions with a comma in them were cut in two), and each operation says how it
    /// is authenticated.
    @Test func theAPIDocumentIsWellFormed() throws {
        let contract = try OpenAPIContract(contentsOf: Self.documentPath, deviations: [])
        #expect(contract.documentProblems() == [])
        #expect(try OpenAPIContract(yaml: "paths: {}\nx: { description: Of those, handed over. }", deviations: []).documentProblems()
            == ["/x/handed over.: no value"])
    }
    @Test func aTranscriptListsTheFilesOfItsMessages() async throws {
        try await Self.withAdmin { baton, admin in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                let conversation = (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
                let up = try await files.upload(Array("a,b\n1,2\n".utf8), name: "prices é.csv", type: "text/csv", ticket: welcome.uploadTicket)
                try await client.send(["type": "message", "clientId": "f", "text": "the list", "files": [up.json["id"] as? String ?? ""]])
                _ = try await client.expect("ack")
                let detail = try await admin.get("/api/v1/conversations/\(conversation)")
                #expect(detail.status == 200)
                let messages = detail.json["messages"] as? [[String: Any]] ?? []
                let sent = try #require(messages.first { $0["text"] as? String == "the list" })
                let file = try #require((sent["files"] as? [[String: Any]])?.first)
                #expect(file["name"] as? String == "prices é.csv")
                #expect(file["type"] as? String == "text/csv")
                #expect(file["size"] as? Int == 8)
                let url = try #require(file["url"] as? String)
                #expect(url == "/widget/v1/files/\(up.json["id"] as? String ?? "")/prices%20%C3%A9.csv")
                #expect(try await files.fetch(url).body == Array("a,b\n1,2\n".utf8))
                // Messages without files have no `files`.
                #expect(messages.filter { $0["files"] != nil }.count == 1)
                // A message of files alone shows in the list as a file.
                let alone = try await files.upload([1, 2, 3], name: "x.bin", type: nil, ticket: welcome.uploadTicket)
                try await client.send(["type": "message", "clientId": "g", "files": [alone.json["id"] as? String ?? ""]])
                _ = try await client.until("ack")
                let list = try await admin.get("/api/v1/conversations")
                let listed = (list.json["conversations"] as? [[String: Any]])?.first { $0["id"] as? String == conversation }
                #expect(listed?["lastMessage"] as? String == "📎 File")
            }
        }
    }
}
