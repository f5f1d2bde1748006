@testable import BatonMattermost
import BatonServer
import BatonTestSupport
import Foundation
import Logging
import MattermostSandbox
import Testing

/// Connecting: each mistake is caught by its step and named in words an admin can act on.
@Suite struct SetupTests {
    let logger = Logger(label: "test")

    func withSandbox(_ body: @Sendable @escaping (MattermostSandbox) async throws -> Void) async throws {
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            try await body(sandbox)
        }
    }

    @Test func wrongPasswordUnknownUserAndBadTokenAreRefused() async throws {
        try await withSandbox { sandbox in
            await #expect(throws: MattermostError.badCredentials(username: "relay")) {
                try await MattermostSetup.signIn(url: sandbox.url, credentials: .password(username: "relay", password: "wrong"), logger: logger)
            }
            await #expect(throws: MattermostError.badCredentials(username: "nobody")) {
                try await MattermostSetup.signIn(url: sandbox.url, credentials: .password(username: "nobody", password: "x"), logger: logger)
            }
            await #expect(throws: MattermostError.badCredentials(username: nil)) {
                try await MattermostSetup.signIn(url: sandbox.url, credentials: .token("not-a-token"), logger: logger)
            }
        }
    }

    @Test func aUserWithoutAdminRightsIsRefused() async throws {
        try await withSandbox { sandbox in
            do {
                _ = try await MattermostSetup.signIn(url: sandbox.url, credentials: .password(username: "alice", password: "agent-password"), logger: logger)
                Issue.record("a non-admin relay user was accepted")
            } catch let error as MattermostError {
                #expect(error == .notAdmin(username: "alice"))
                #expect(error.description.contains("not a system administrator"))
            }
        }
    }

    @Test func aTokenWorksInsteadOfAPassword() async throws {
        try await withSandbox { sandbox in
            let token = sandbox.personalAccessToken(for: "relay")
            let setup = try await MattermostSetup.signIn(url: sandbox.url, credentials: .token(token), logger: logger)
            #expect(setup.relayUser.username == "relay")
            #expect(try await setup.teams().map(\.name) == ["support"])
        }
    }

    @Test func anUnreachableHostIsReported() async throws {
        // A loopback port nobody listens on.
        do {
            _ = try await MattermostSetup.signIn(url: "http://127.0.0.1:9", credentials: HandoverRig.relayCredentials, logger: logger)
            Issue.record("connected to nothing")
        } catch let error as MattermostError {
            guard case .unreachable = error else { Issue.record("not unreachable: \(error)"); return }
            #expect(error.description.hasPrefix("Cannot reach Mattermost at http://127.0.0.1:9"))
        }
        await #expect(throws: MattermostError.self) {
            try await MattermostSetup.signIn(url: "ftp://example.com", credentials: HandoverRig.relayCredentials, logger: logger)
        }
    }

    /// A proxy in front of Mattermost that does not pass WebSockets on: the API answers,
    /// but agents' replies could never arrive, so connecting says so at its first step.
    @Test func aProxyThatRefusesWebSocketsIsReportedWhenConnecting() async throws {
        try await withSandbox { sandbox in
            sandbox.refuseWebSockets(true)
            do {
                _ = try await MattermostSetup.signIn(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: logger)
                Issue.record("connected without an event stream")
            } catch let error as MattermostError {
                #expect(error == .webSocketRefused(url: sandbox.url))
                #expect(error.description.contains("A proxy in front of Mattermost must pass WebSockets on"), "\(error)")
            }
            sandbox.refuseWebSockets(false)
            _ = try await MattermostSetup.signIn(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: logger)
        }
    }

    @Test func aTLSFailureIsReported() async throws {
        // An HTTPS server whose certificate nobody signed: the handshake fails.
        try await SelfSignedServer.run { url, certificate in
            do {
                _ = try await MattermostSetup.signIn(url: url, credentials: HandoverRig.relayCredentials, logger: logger)
                Issue.record("trusted a self-signed certificate")
            } catch let error as MattermostError {
                guard case .tls = error else { Issue.record("not a TLS error: \(error)"); return }
                #expect(error.description.contains("secure connection"))
            }
        }
    }

    /// A Mattermost whose certificate a private authority signed: trusted once that
    /// authority's certificate is given (`--mattermost-ca-file`); TLS then succeeds (this
    /// server is no Mattermost: what fails is what it answers).
    @Test func aPrivateAuthoritysCertificateIsTrustedWhenGiven() async throws {
        try await SelfSignedServer.run { url, certificate in
            let trust = MattermostTrust.clientConfiguration(trusting: try CertificateAuthorityFile.certificates(pemFile: certificate, for: "Mattermost"))
            try await withShutdown(MattermostClient.makeHTTP(tls: trust)) { http in
                do {
                    _ = try await MattermostSetup.signIn(url: url, credentials: HandoverRig.relayCredentials, logger: logger, http: http)
                    Issue.record("took the server for Mattermost")
                } catch let error as MattermostError {
                    guard case .notMattermost = error else { Issue.record("not past TLS: \(error)"); return }
                }
            }
        }
        #expect(throws: CertificateAuthorityFile.Unusable.self) { try CertificateAuthorityFile.certificates(pemFile: "/nonexistent/ca.pem", for: "Mattermost") }
    }

    /// Another service on the port (here one that greets like SSH): not HTTP, said so.
    @Test func aServiceThatDoesNotSpeakHTTPIsNotMattermost() async throws {
        var options = SMTPCatcher.Options()
        options.greeting = "SSH-2.0-OpenSSH_9.6"
        let other = try await SMTPCatcher.start(options)
        defer { Task { await other.stop() } }
        do {
            _ = try await MattermostSetup.signIn(url: "http://127.0.0.1:\(other.port)", credentials: HandoverRig.relayCredentials, logger: logger)
            Issue.record("took an SSH-like service for Mattermost")
        } catch let error as MattermostError {
            guard case .notMattermost(_, let reason) = error else { Issue.record("not notMattermost: \(error)"); return }
            #expect(reason.contains("does not answer in HTTP"), "\(reason)")
        }
        // Baton's own limit on an answer is not a status Mattermost sent.
        let tooLarge = MattermostError.server(status: 413, id: "baton.answer_too_large", message: "the answer to /x is larger than the 10 bytes Baton takes")
        #expect(tooLarge.description == "Baton did not read Mattermost's answer: the answer to /x is larger than the 10 bytes Baton takes")
    }

    @Test func somethingThatIsNotMattermostIsReported() async throws {
        try await LiveBaton.run { baton in
            // Baton itself answers HTTP, but not like Mattermost.
            do {
                _ = try await MattermostSetup.signIn(url: baton.http, credentials: HandoverRig.relayCredentials, logger: logger)
                Issue.record("took Baton for Mattermost")
            } catch let error as MattermostError {
                guard case .notMattermost(_, let reason) = error else { Issue.record("not notMattermost: \(error)"); return }
                // Said in words; Baton's JSON answer left out (it read `{"error":{"code":…`).
                #expect(reason == "/api/v4/users/login answered 404 Not Found", "\(reason)")
            }
        }
    }

    @Test func aProxyAnsweringForADownMattermostIsAnOutageNotAWrongAddress() async throws {
        try await withSandbox { sandbox in
            sandbox.answerAsProxy(next: 10, status: 502)
            do {
                _ = try await MattermostSetup.signIn(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: logger)
                Issue.record("signed in through a 502")
            } catch let error as MattermostError {
                guard case .unreachable = error else { Issue.record("not unreachable: \(error)"); return }
                #expect(error.isTransient)
                // The status in words, not the proxy's page in markup.
                #expect(error.description.contains("answered 502 Bad Gateway)"), "\(error)")
                #expect(!error.description.contains("<html>"), "\(error)")
            }
        }
    }

    /// A redirect (http:// to https://, an old host name) is reported with the address to
    /// use, whatever the credentials: followed, the login's POST became a GET, and the
    /// answer "wrong password".
    @Test(arguments: [HandoverRig.relayCredentials, .token("a-token")])
    func anAddressThatRedirectsSaysWhereTo(_ credentials: MattermostCredentials) async throws {
        try await withSandbox { sandbox in
            sandbox.redirect(next: 10, to: "https://chat.example.com")
            await #expect(throws: MattermostError.redirected(url: sandbox.url, to: "https://chat.example.com")) {
                _ = try await MattermostSetup.signIn(url: sandbox.url, credentials: credentials, logger: logger)
            }
        }
    }

    @Test func theAddressARedirectPointsTo() {
        let base = "http://chat.example.com:8065"
        #expect(MattermostClient.address(redirectedTo: "https://chat.example.com/api/v4/users/login", from: "/api/v4/users/login", base: base)
            == "https://chat.example.com")
        #expect(MattermostClient.address(redirectedTo: "https://new.example.com/mm/api/v4/users/me?x=1", from: "/api/v4/users/me", base: base)
            == "https://new.example.com/mm")
        #expect(MattermostClient.address(redirectedTo: "/login", from: "/api/v4/users/me", base: base) == "http://chat.example.com:8065/login")
    }

    @Test func aTeamIsFoundByItsNameALinkIntoItOrItsDisplayName() async throws {
        try await withSandbox { sandbox in
            let sales = sandbox.addTeam(name: "sales-emea", displayName: "Customer Sales")
            _ = sandbox.addTeam(name: "ops-1", displayName: "Operations")
            _ = sandbox.addTeam(name: "ops-2", displayName: "operations ")
            let setup = try await MattermostSetup.signIn(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: logger)
            // The relay user is in none of these teams: a system administrator finds them all.
            #expect(try await setup.team(named: " Sales-EMEA ").id == sales.id)
            #expect(try await setup.team(named: "customer sales").id == sales.id)
            #expect(try await setup.team(named: "\(sandbox.url)/sales-emea/channels/town-square").id == sales.id)
            #expect(try await setup.team(named: "\(sandbox.url.dropFirst("http://".count))/sales-emea/").id == sales.id)
            #expect(try await setup.team(named: "Support").name == "support")
            await #expect(throws: MattermostError.teamAmbiguous("Operations", names: ["ops-1", "ops-2"])) {
                try await setup.team(named: "Operations")
            }
            #expect(try await setup.team(named: "ops-2").id != (try await setup.team(named: "ops-1")).id)
            await #expect(throws: MattermostError.teamNotFound("Customer")) { try await setup.team(named: "Customer") }
            await #expect(throws: MattermostError.teamNotFound("a")) { try await setup.team(named: "a") }
            // A link names the team it is into; a link into another server is said to be one.
            await #expect(throws: MattermostError.teamNotFound("nosuch")) { try await setup.team(named: "\(sandbox.url)/nosuch/channels/town-square") }
            await #expect(throws: MattermostError.teamLinkElsewhere(host: "other.example.com", server: "127.0.0.1")) {
                try await setup.team(named: "https://other.example.com/sales-emea/channels/town-square")
            }
        }
    }

    @Test func aTeamNameInALinkComesAfterTheServersOwnPath() {
        #expect(MattermostSetup.teamName(in: "https://example.com/mm/support/channels/x", server: "https://example.com/mm") == "support")
        #expect(MattermostSetup.teamName(in: "Support", server: "https://example.com") == "support")
        #expect(MattermostSetup.teamName(in: "/support/", server: "https://example.com") == "support")
        // A display name with a slash is no link.
        #expect(MattermostSetup.teamName(in: "R/D", server: "https://example.com") == "r/d" && MattermostSetup.linkHost("R/D") == nil)
        #expect(MattermostSetup.linkHost("chat.example.com/support") == "chat.example.com")
        #expect(MattermostSetup.isTeamName("a-b_c1") && !MattermostSetup.isTeamName("-ab") && !MattermostSetup.isTeamName("customer sales"))
    }

    @Test func teamsAgentsAndChannelsAreChecked() async throws {
        try await withSandbox { sandbox in
            let setup = try await MattermostSetup.signIn(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: logger)
            await #expect(throws: MattermostError.teamNotFound("sales")) { try await setup.team(named: "sales") }
            let team = try await setup.team(named: "Support")
            await #expect(throws: MattermostError.usersNotFound(["nobody", "ghost"])) {
                try await setup.agents(["alice", "@nobody", "ghost"], team: team)
            }
            let agents = try await setup.agents(["@Alice", "bob", "alice"], team: team)
            #expect(agents.map(\.username) == ["relay", "alice", "bob"])
            await #expect(throws: MattermostError.channelNotFound("no-such-channel")) {
                try await setup.indexChannel(.existing("no-such-channel"), team: team, agents: agents)
            }
            let created = try await setup.indexChannel(.create("Live Chats!"), team: team, agents: agents)
            #expect(created.name == "live-chats")
            #expect(Set(sandbox.members(of: created.id)).isSuperset(of: agents.map(\.id)))
            // Creating again finds the same channel; choosing it by name works too.
            #expect(try await setup.indexChannel(.create("Live chats"), team: team, agents: agents).id == created.id)
            #expect(try await setup.indexChannel(.existing("town-square"), team: team, agents: agents).name == "town-square")
            // A display name in another script gets a name of its own, the same each time.
            #expect(sandbox.channel(id: created.id)?.purpose == "New live chats from Baton are announced here.")
            let russian = try await setup.indexChannel(.create("Онлайн-чаты"), team: team, agents: agents, language: "ru")
            #expect(russian.displayName == "Онлайн-чаты" && russian.name.hasPrefix("chats-") && russian.name.count == 18, "\(russian.name)")
            // Its purpose in the language of Baton's posts.
            #expect(sandbox.channel(id: russian.id)?.purpose == "Здесь объявляются новые онлайн-чаты из Baton.")
            #expect(try await setup.indexChannel(.create(" онлайн-чаты "), team: team, agents: agents).id == russian.id)
            // A new name starts and ends with a letter or digit and has no "__", as every
            // Mattermost takes it; an existing channel is found by its name as written.
            #expect(try await setup.indexChannel(.create("_Support__Chats_"), team: team, agents: agents).name == "support_chats")
            let written = sandbox.addChannel(team: "support", name: "sales__leads", displayName: "Sales leads", creator: "relay")
            #expect(try await setup.indexChannel(.existing("sales__leads"), team: team, agents: agents).id == written.id)
            // One made by an earlier Baton (which kept the "__") is found again, not made twice.
            let earlier = sandbox.addChannel(team: "support", name: "vip__chats", displayName: "VIP__Chats", creator: "relay")
            #expect(try await setup.indexChannel(.create("VIP__Chats"), team: team, agents: agents).id == earlier.id)
            let japanese = try await setup.indexChannel(.create("ライブチャット"), team: team, agents: agents)
            #expect(japanese.id != russian.id && japanese.name.hasPrefix("chats-"))
            // The settings keep what Mattermost shows, so Baton can name the channel so too.
            let settings = setup.settings(team: team, agents: agents, indexChannel: russian, language: "ru")
            #expect(settings.indexChannel.channelLabel == "Онлайн-чаты (~\(russian.name))")
            #expect(settings.team.teamLabel == "support", "the display name \"\(team.displayName)\" says no more")
            #expect(setup.settings(team: team, agents: agents, indexChannel: created).indexChannel.channelLabel == "Live Chats! (~live-chats)")
            // Settings stored before Baton kept display names read as before.
            let old = try JSONDecoder().decode(MattermostSettings.Reference.self, from: Data(#"{"id":"x","name":"live-chats"}"#.utf8))
            #expect(old.displayName == nil && old.channelLabel == "~live-chats")
        }
    }

    @Test func credentialsAreStoredEncryptedAndNeverInSettings() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let stored = try #require(try await rig.baton.services.store.integration(widgetKey: "demo", kind: "mattermost"))
            #expect(!stored.settings.contains("relay-password"))
            #expect(!String(decoding: stored.secret, as: UTF8.self).contains("relay-password"))
            let (settings, credentials) = try #require(try await rig.baton.services.connections.load(widgetKey: "demo"))
            #expect(credentials == HandoverRig.relayCredentials)
            #expect(settings.agents.map(\.name) == ["relay", "alice", "bob", "carol"])
        }
    }

    @Test func changingAConnectionTakesEffectWithoutARestart() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(agents: ["alice"])
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let first = try await rig.waitForRoom(try await talkUntilHandover(client))
                #expect(rig.sandbox.members(of: first.id).count == 2)
            }
            // Reconnected with Bob as well: the next room has him, no restart.
            try await rig.connect(agents: ["alice", "bob"])
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let second = try await rig.waitForRoom(try await talkUntilHandover(client))
                #expect(rig.sandbox.members(of: second.id).count == 3)
            }
            // Disconnected: a handover waits in Baton.
            try await rig.baton.services.connections.delete(widgetKey: "demo")
            rig.baton.services.mattermost.reload()
            try await eventually("the desk to notice") { !(await rig.baton.services.mattermost.isConnected(widgetKey: "demo")) }
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                _ = try await client.hello()
                _ = try await client.say("talk to a person", clientID: "x1")
                for (i, answer) in ["Zed", "zed@example.com", "Support"].enumerated() {
                    _ = try await client.until("a question") { $0.type == "message" && ($0.messageText ?? "").hasSuffix("?") }
                    _ = try await client.say(answer, clientID: "answer-\(i)")
                }
                try await client.message(containing: "Nobody is available right now")
            }
        }
    }

    /// Mattermost disconnected and connected again: what the visitor of a chat that was
    /// with the agents wrote meanwhile reaches the room, in order, once (it went nowhere).
    @Test func messagesWrittenWhileDisconnectedArePostedOnceConnectedAgain() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace))
                _ = try await grace.say("before", clientID: "b1")
                try await eventually("the first message relayed") { rig.relayed(in: room.id) == ["before"] }
                try await rig.baton.services.connections.delete(widgetKey: "demo")
                rig.baton.services.mattermost.reload()
                try await eventually("the desk to notice") { !(await rig.baton.services.mattermost.isConnected(widgetKey: "demo")) }
                for n in 1...3 { _ = try await grace.say("while disconnected \(n)", clientID: "w\(n)") }
                try await Task.sleep(for: .milliseconds(500))
                #expect(rig.relayed(in: room.id) == ["before"])
                try await rig.connect()
                _ = try await grace.say("after", clientID: "a1")
                try await eventually("every message in the room, in order") {
                    rig.relayed(in: room.id) == ["before", "while disconnected 1", "while disconnected 2", "while disconnected 3", "after"]
                }
            }
            #expect(try rig.contractViolations() == [])
        }
    }
}
