import BatonCore
import BatonTestSupport
import Crypto
import Foundation
import Testing

/// Identity verification: the website vouches for its signed-in users with an HMAC of
/// their id, made with the widget's secret (docs/widget-protocol.md, "Signed-in users").
@Suite struct IdentityVerificationTests {
    /// What the website's server computes: HMAC-SHA256 of the user id, the secret's text as the key, in hex.
    static func sign(_ userID: String, with secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(userID.utf8), using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    static func hello(_ secret: String?, id: String = "42", hash: String? = nil, name: String? = nil,
                      token: String? = nil) -> [String: Any] {
        var user: [String: Any] = ["id": id, "hash": hash ?? sign(id, with: secret ?? "")]
        if let name { user["name"] = name }
        var frame: [String: Any] = ["type": "hello", "widget": "demo", "user": user]
        if let token { frame["token"] = token }
        return frame
    }

    /// A signed-in user's hellos are paced as a returning visitor's are, by who they are:
    /// a made-up key beside the signature changes nothing (each hello sent the chat again).
    @Test func aSignedInUsersHellosArePaced() async throws {
        // Next to no refill: a slow machine's hellos spread over seconds count the same.
        try await AdminAPITests.withAdmin(configure: { $0.socket.returningHellosPerSecond = 0.001 }) { baton, client in
            let secret = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            let collected = Collected<String>()
            for index in 0..<12 {
                try await WidgetClient.connect(baton.socketURL) { widget in
                    try await widget.send(Self.hello(secret, id: "user-4711", token: "made-up-\(index)"))
                    let frame = try #require(try await widget.next(), "hello \(index) got no answer")
                    collected.append(frame.type == "welcome" ? "welcome" : frame.string("code") ?? frame.type)
                }
            }
            let codes = collected.all
            #expect(codes == Array(repeating: "welcome", count: 10) + ["rate_limited", "rate_limited"], "\(codes)")
        }
    }

    @Test func anAdminTurnsItOnAndTheSecretIsShownOnlyOnce() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            // Requiring signed-in users needs a secret first.
            let early = try await client.send("PUT", "/api/v1/bots/demo", json: [
                "name": "Demo", "source": try #require(try await baton.services.store.widget(key: "demo")).botSource,
                "settings": ["identityRequired": true]])
            #expect(early.status == 422 && early.issues.first?["path"] as? String == "settings.identityRequired", "\(early)")

            let made = try await client.send("POST", "/api/v1/bots/demo/identity-secret")
            #expect(made.status == 200)
            let secret = try #require(made.json["secret"] as? String)
            #expect(secret.count == 43)
            let bot = try await client.get("/api/v1/bots/demo")
            #expect(bot.json["identityVerification"] as? Bool == true)
            #expect(!bot.text.contains(secret))
            // Stored encrypted.
            let stored = try #require(try await baton.services.store.widget(key: "demo")?.settings.sealedIdentitySecret)
            #expect(!stored.contains(secret))

            // Saving the bot's other settings keeps the secret; now signed-in users can be required.
            let source = try #require(try await baton.services.store.widget(key: "demo")).botSource
            let required = try await client.send("PUT", "/api/v1/bots/demo", json: [
                "name": "Demo", "source": source, "settings": ["title": "Help", "identityRequired": true]])
            #expect(required.status == 200, "\(required)")
            #expect((required.json["settings"] as? [String: Any])?["identityRequired"] as? Bool == true)
            #expect(required.json["identityVerification"] as? Bool == true)
            // Absent keeps what is set.
            let kept = try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source, "settings": ["title": "Help"]])
            #expect((kept.json["settings"] as? [String: Any])?["identityRequired"] as? Bool == true)

            // A new secret replaces the old one at once.
            let again = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            #expect(again != secret)
            let refused = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(secret))
                #expect(try await widget.expect("error").string("code") == "identity_invalid")
                // The server closes after the error: wait for it (leaving first closes with 1000).
                _ = try await widget.next()
            }
            #expect(refused?.closeCode.code == 4407)

            // Turned off: no secret, nothing required, and a claim counts for nothing.
            #expect(try await client.send("DELETE", "/api/v1/bots/demo/identity-secret").status == 204)
            let off = try await client.get("/api/v1/bots/demo")
            #expect(off.json["identityVerification"] as? Bool == false)
            #expect((off.json["settings"] as? [String: Any])?["identityRequired"] as? Bool == false)
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(again))
                let welcome = try await widget.expect("welcome")
                #expect(welcome["identified"] as? Bool == false)
                #expect(welcome.string("token") != nil)
            }
            #expect(try await client.send("POST", "/api/v1/bots/nope/identity-secret").status == 404)
        }
    }

    @Test func aSignedInUserIsRecognisedInAnyBrowserAndForgersAreRefused() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let secret = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            // An anonymous chat in the first browser, then the user signs in there.
            let seen = Collected<String>()
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                let welcome = try await widget.hello()
                #expect(welcome["identified"] as? Bool == false)
                _ = try await widget.say("Hello before signing in", clientID: "a1")
                seen.append(try #require(welcome.string("token")))
            }
            let token = try #require(seen.all.first)
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(secret, name: "Ada Lovelace", token: token))
                let welcome = try await widget.expect("welcome")
                #expect(welcome["identified"] as? Bool == true)
                #expect(welcome.string("token") == nil)
                #expect(welcome.messages.compactMap { $0["text"] as? String }.contains("Hello before signing in"))
                seen.append(try #require(welcome.string("visitor")))
            }
            let visitor = seen.all.last
            // Another browser, no token: the same visitor and chat.
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(secret))
                let welcome = try await widget.expect("welcome")
                #expect(welcome.string("visitor") == visitor)
                #expect(welcome.messages.compactMap { $0["text"] as? String }.contains("Hello before signing in"))
            }
            let stored = try #require(try await baton.services.store.visitor(widgetKey: "demo", externalID: "42"))
            #expect(stored.name == "Ada Lovelace")
            // The dashboard shows, and finds, the signed-in visitor by their website user id.
            let found = try await client.get("/api/v1/conversations?q=42")
            let listed = try #require((found.json["conversations"] as? [[String: Any]])?.first)
            #expect((listed["visitor"] as? [String: Any])?["userID"] as? String == "42")
            #expect((listed["visitor"] as? [String: Any])?["name"] as? String == "Ada Lovelace")
            // Signed out, the first browser's token no longer opens that chat.
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(["type": "hello", "widget": "demo", "token": token])
                #expect(try await widget.expect("error").string("code") == "unknown_visitor")
            }
            // A page that claims user 42 without the secret gets nothing.
            for (id, hash) in [("42", Self.sign("42", with: "guessed")), ("43", Self.sign("42", with: secret))] {
                let close = try await WidgetClient.connect(baton.socketURL) { widget in
                    try await widget.send(Self.hello(nil, id: id, hash: hash))
                    let error = try await widget.expect("error")
                    #expect(error.string("code") == "identity_invalid")
                    _ = try await widget.next()
                }
                #expect(close?.closeCode.code == 4407)
            }
        }
    }

    /// A new identity secret stops the old one at once, for chats already open too: a
    /// signed-in user's socket is closed at its next frame (a ping), and its hello again,
    /// signed with the old secret, is refused (it went on for ever).
    @Test func aNewSecretEndsChatsSignedWithTheOld() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let old = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            let close = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(old))
                #expect(try await widget.expect("welcome")["identified"] as? Bool == true)
                let renewed = try await client.send("POST", "/api/v1/bots/demo/identity-secret")
                #expect(renewed.status == 200 && renewed.json["secret"] as? String != old)
                try await widget.send(["type": "ping"])
                while try await widget.next() != nil {}
            }
            #expect(close?.closeCode.code == 1012, "\(String(describing: close))")
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(old))
                #expect(try await widget.expect("error").string("code") == "identity_invalid")
            }
        }
    }

    /// Two users signing in at the same moment with the same browser's token (two tabs of
    /// two accounts): one of them takes over its chat, the other gets a chat of their own
    /// (both were given the same visitor, one user's socket in the other's chat).
    @Test func twoUsersSigningInWithOneTokenAtOnceGetTwoChats() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let secret = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            for round in 0..<6 {
                let token = Collected<String>()
                _ = try await WidgetClient.connect(baton.socketURL) { widget in
                    token.append(try #require(try await widget.hello().string("token")))
                }
                let visitors = Collected<String>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for user in ["a\(round)", "b\(round)"] {
                        group.addTask {
                            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                                try await widget.send(Self.hello(secret, id: user, token: token.last!))
                                visitors.append(try #require(try await widget.expect("welcome").string("visitor")))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(Set(visitors.all).count == 2, "round \(round): \(visitors.all)")
            }
        }
    }

    @Test func aWidgetForSignedInUsersOnlyRefusesAnonymousVisitors() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let secret = try #require(try await client.send("POST", "/api/v1/bots/demo/identity-secret").json["secret"] as? String)
            let source = try #require(try await baton.services.store.widget(key: "demo")).botSource
            // Chats open when it is turned on: the anonymous one ends, the signed-in one goes on.
            let ended = try await WidgetClient.connect(baton.socketURL) { anonymous in
                _ = try await anonymous.hello()
                _ = try await WidgetClient.connect(baton.socketURL) { signedIn in
                    try await signedIn.send(Self.hello(secret, id: "early@example.com"))
                    _ = try await signedIn.expect("welcome")
                    #expect(try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source,
                                                                                     "settings": ["identityRequired": true]]).status == 200)
                    try await signedIn.send(["type": "ping"])
                    _ = try await signedIn.expect("pong")
                }
                try await anonymous.send(["type": "ping"])
                #expect(try await anonymous.expect("error").string("code") == "identity_required")
                _ = try await anonymous.next()
            }
            #expect(ended?.closeCode.code == 4407)
            let close = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(["type": "hello", "widget": "demo"])
                let error = try await widget.expect("error")
                #expect(error.string("code") == "identity_required")
                _ = try await widget.next()
            }
            #expect(close?.closeCode.code == 4407)
            _ = try await WidgetClient.connect(baton.socketURL) { widget in
                try await widget.send(Self.hello(secret, id: "user@example.com"))
                #expect(try await widget.expect("welcome")["identified"] as? Bool == true)
            }
            // The dashboard's preview signs in as the admin who opens it; nobody else's does.
            let preview = try await client.get("/preview/demo").text
            let id = "dashboard:\(AdminAPITests.email)"
            #expect(preview.contains(#"data-user-id="\#(id)" data-user-hash="\#(Self.sign(id, with: secret))""#), "\(preview)")
            let stranger = try await AdminClient(base: baton.http).get("/preview/demo").text
            #expect(!stranger.contains("data-user-id"))
            // Only Baton's own pages (the dashboard) may frame it.
            let headers = try await client.get("/preview/demo").headers
            #expect(headers["Content-Security-Policy"] == ["frame-ancestors 'self'"])
            #expect(headers["X-Frame-Options"] == ["SAMEORIGIN"])
        }
    }

    @Test func aSecretThatNoLongerDecryptsRefusesSignedInVisitorsOnly() async throws {
        try await LiveBaton.run { baton in
            // As if the credential key had changed since the secret was made.
            var widget = try #require(try await baton.services.store.widget(key: "demo"))
            widget.settings.sealedIdentitySecret = "bm90IGEgc2VhbGVkIHNlY3JldCBhdCBhbGwgYnV0IGxvbmc"
            try await baton.services.bots.save(widget)
            _ = try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect(welcome["identified"] as? Bool == false)
            }
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                try await client.send(Self.hello("any"))
                #expect(try await client.expect("error").string("code") == "unavailable")
            }
            #expect(close?.closeCode.code == 1011)
        }
    }
}
