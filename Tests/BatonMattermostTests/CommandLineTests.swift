import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// `baton mattermost …` as a script runs it, against the database of a running server.
@Suite struct CommandLineTests {
    @Test func connectStatusAndDisconnectAgainstARunningServer() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let server = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
            defer { server.signal(SIGTERM) }
            let port = try await server.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            var environment = ProcessInfo.processInfo.environment
            environment["MM_PASSWORD"] = "relay-password"

            // A wrong password is reported in words, and nothing is saved.
            environment["MM_WRONG"] = "nope"
            let refused = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
                                            "--password-env", "MM_WRONG", "--team", "support", "--agents", "alice",
                                            "--create-index-channel", "Live chats", "--database", folder.database], environment: environment)
            #expect(try await refused.exit() != 0)
            #expect(refused.log.contains("Mattermost refused the username \"relay\" or its password"))
            #expect(!refused.log.contains("nope"))

            let connect = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
                                            "--password-env", "MM_PASSWORD", "--team", "support", "--agents", "alice,bob",
                                            "--create-index-channel", "Live chats", "--database", folder.database], environment: environment)
            #expect(try await connect.exit() == 0, "\(connect.log)")
            #expect(connect.log.contains("Connected bot \"demo\" to \(sandbox.url) as relay."))
            #expect(!connect.log.contains("relay-password"))

            // The running server picks the connection up by itself.
            try await eventually("the server to connect", seconds: 20) {
                let status = try BatonProcess(["mattermost", "status", "--bot", "demo", "--database", folder.database])
                _ = try await status.exit()
                return status.log.contains("State: connected")
            }
            try await WidgetClient.connect("ws://127.0.0.1:\(port)/widget/v1/socket") { client in
                let conversation = try await talkUntilHandover(client)
                try await eventually("the room") { sandbox.channel(team: "support", name: "chat-\(conversation)") != nil }
            }
            let status = try BatonProcess(["mattermost", "status", "--bot", "demo", "--database", folder.database])
            #expect(try await status.exit() == 0)
            #expect(status.log.contains("Agents: relay, alice, bob"))
            #expect(status.log.contains("Index channel: Live chats (~live-chats)"))
            #expect(status.log.contains("Chats: a channel each"))
            #expect(status.log.contains("Posts for the agents in: English"))
            #expect(!status.log.contains("relay-password"))

            // Threads from now on: the next chat is a thread under its announcement.
            let threads = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
                                            "--password-env", "MM_PASSWORD", "--team", "support", "--agents", "alice,bob",
                                            "--index-channel", "live-chats", "--rooms", "thread", "--database", folder.database],
                                           environment: environment)
            #expect(try await threads.exit() == 0, "\(threads.log)")
            #expect(threads.log.contains("Chats: a thread each"))
            let index = try #require(sandbox.channel(team: "support", name: "live-chats"))
            let relayID = sandbox.user(named: "relay")?.id
            try await eventually("the server to restart the connection with the new settings", seconds: 20) {
                server.log.components(separatedBy: "Mattermost connection started").count == 3
            }
            try await WidgetClient.connect("ws://127.0.0.1:\(port)/widget/v1/socket") { client in
                _ = try await talkUntilHandover(client, name: "Henry")
                try await eventually("the thread", seconds: 20) {
                    let posts = sandbox.posts(in: index.id)
                    guard let root = posts.first(where: { $0.userID == relayID && $0.message.contains("**Henry**") }) else { return false }
                    return root.message.contains("Reply in this thread") && posts.contains { $0.rootID == root.id }
                }
            }

            let disconnect = try BatonProcess(["mattermost", "disconnect", "--bot", "demo", "--database", folder.database])
            #expect(try await disconnect.exit() == 0)
            #expect(disconnect.log.contains("Disconnected bot \"demo\""))
            let after = try BatonProcess(["mattermost", "status", "--bot", "demo", "--database", folder.database])
            _ = try await after.exit()
            #expect(after.log.contains("is not connected to Mattermost"))
        }
    }

    /// A script may connect before Baton ever ran on the database: the demo bot is made
    /// then, as `baton serve` would make it, and a Baton started afterwards connects.
    @Test func connectingFirstOnAFreshDatabase() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            var environment = ProcessInfo.processInfo.environment
            environment["MM_PASSWORD"] = "relay-password"
            func connect(bot: String, _ more: [String] = []) throws -> BatonProcess {
                try BatonProcess(["mattermost", "connect", "--bot", bot, "--url", sandbox.url, "--username", "relay",
                                  "--password-env", "MM_PASSWORD", "--team", "support", "--agents", "alice",
                                  "--create-index-channel", "Live chats", "--database", folder.database] + more, environment: environment)
            }
            // The commands about what a database holds do not make one (a mistyped
            // --database made a new, empty database, and "not connected").
            let typo = folder.url.appendingPathComponent("typo.sqlite").path
            for command in [["status"], ["disconnect"]] {
                let mistyped = try BatonProcess(["mattermost"] + command + ["--bot", "demo", "--database", typo])
                #expect(try await mistyped.exit() == 1, "\(mistyped.log)")
                #expect(mistyped.log.contains("There is no database at \(typo)."), "\(mistyped.log)")
            }
            #expect(!FileManager.default.fileExists(atPath: typo))
            let unknown = try connect(bot: "shop")
            #expect(try await unknown.exit() != 0)
            #expect(unknown.log.contains("There is no bot with the key \"shop\" in this database (its bots: \"demo\")."), "\(unknown.log)")
            let klingon = try connect(bot: "demo", ["--language", "tlh"])
            #expect(try await klingon.exit() != 0)
            #expect(klingon.log.contains("--language must be one of en, ar, de, es, fa, fr, he, id, it, ja, ko, nl, pl, pt, ru, tr, uk, zh, zh-Hant."), "\(klingon.log)")
            let connected = try connect(bot: "demo", ["--language", "de"])
            #expect(try await connected.exit() == 0, "\(connected.log)")
            #expect(connected.log.contains("Connected bot \"demo\""))
            #expect(connected.log.contains("Posts for the agents in: German"), "\(connected.log)")
            for command in [["status"], ["disconnect"]] {
                let nobot = try BatonProcess(["mattermost"] + command + ["--bot", "shop", "--database", folder.database])
                #expect(try await nobot.exit() == 1, "\(nobot.log)")
                #expect(nobot.log.contains("There is no bot with the key \"shop\" in this database (its bots: \"demo\")."), "\(nobot.log)")
            }

            let server = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
            defer { server.signal(SIGTERM) }
            _ = try await server.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            try await eventually("the server to connect", seconds: 20) {
                let status = try BatonProcess(["mattermost", "status", "--bot", "demo", "--database", folder.database])
                _ = try await status.exit()
                return status.log.contains("State: connected")
            }
        }
    }

    /// A Mattermost whose certificate a private authority signed (here one that signs
    /// itself) is refused until Baton is given that authority (`--mattermost-ca-file`);
    /// then its API and its event stream (`wss://`) both work: a chat is opened there and
    /// an agent's reply reaches the visitor.
    @Test func aMattermostBehindAPrivateAuthorityIsReachedWithItsCertificate() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (certificate, tls) = try await SelfSignedCertificate.make(in: folder)
        var configuration = MattermostSandbox.Configuration()
        configuration.tls = tls
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            HandoverRig.seed(sandbox)
            #expect(sandbox.url.hasPrefix("https://") && sandbox.webSocketURL.hasPrefix("wss://"))
            var environment = ProcessInfo.processInfo.environment
            environment["MM_PASSWORD"] = "relay-password"
            func connect(_ more: [String]) throws -> BatonProcess {
                try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
                                  "--password-env", "MM_PASSWORD", "--team", "support", "--agents", "alice",
                                  "--create-index-channel", "Live chats", "--database", folder.database] + more, environment: environment)
            }
            let untrusted = try connect([])
            #expect(try await untrusted.exit() != 0)
            #expect(untrusted.log.contains("The secure connection to \(sandbox.url) failed (its certificate is not signed by an authority Baton trusts; "
                + "if a private authority signed it, give Baton that authority's certificate (--mattermost-ca-file"), "\(untrusted.log)")
            let trusted = try connect(["--mattermost-ca-file", certificate])
            #expect(try await trusted.exit() == 0, "\(trusted.log)")

            let server = try BatonProcess(["serve", "--port", "0", "--database", folder.database, "--mattermost-ca-file", certificate])
            defer { server.signal(SIGTERM) }
            let port = try await server.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            let relay = try #require(sandbox.user(named: "relay")).id
            try await eventually("the event stream over wss", seconds: 20) { sandbox.webSocketUsers.contains(relay) }
            try await handOverAndHearAlice(sandbox: sandbox, batonPort: port, saying: "Hello from behind the private authority")
            #expect(!server.log.contains("The secure connection"), "\(server.log)")

            // Mattermost goes away: the log says once per reason that the stream is down
            // (a reconnect may first meet the TLS handshake cut short, then a refused
            // connection), not at every retry, and again that it is back.
            let down = "Mattermost's event stream is not connected"
            await sandbox.goDown()
            try await eventually("the stream's failure logged", seconds: 10) { server.log.contains(down) }
            // The retries, seen at Mattermost's port: each connection is taken and closed
            // there (a handshake cut short each time). Three, so that the second's failure
            // has been handled (and would have been logged) by the time the log is read.
            let knocks = try await KnockCounter.start(port: sandbox.port)
            try await eventually("three retries", seconds: 40) { knocks.count >= 3 }
            let reasons = server.log.split(separator: "\n").filter { $0.contains(down) }.map { line in
                line[(line.range(of: "error=")?.upperBound ?? line.startIndex)..<(line.range(of: " [BatonMattermost]")?.lowerBound ?? line.endIndex)]
            }
            #expect(!reasons.isEmpty && Set(reasons).count == reasons.count, "\(server.log)")
            await knocks.stop()
            try await sandbox.comeBack()
            try await eventually("the stream back", seconds: 20) {
                server.log.components(separatedBy: "Connected to Mattermost's event stream").count == 3
            }
        }
    }

    /// A Mattermost Baton reaches only through an HTTP proxy that wants a password (here
    /// over TLS, as through a company's egress proxy): `--mattermost-proxy` for the
    /// commands, `BATON_MATTERMOST_PROXY` for the server; the API and the event stream run
    /// in the proxy's tunnels, and the password is never shown.
    @Test func aMattermostReachedThroughAProxy() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (certificate, tls) = try await SelfSignedCertificate.make(in: folder)
        let proxy = try await TunnelProxy.start(credentials: .init(username: "baton", password: "proxy-secret"))
        var configuration = MattermostSandbox.Configuration()
        configuration.tls = tls
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            HandoverRig.seed(sandbox)
            var environment = ProcessInfo.processInfo.environment
            for name in ["NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "BATON_MATTERMOST_PROXY"] {
                environment[name] = nil
            }
            environment["MM_PASSWORD"] = "relay-password"
            func connect(through address: String) throws -> BatonProcess {
                try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
                                  "--password-env", "MM_PASSWORD", "--team", "support", "--agents", "alice",
                                  "--create-index-channel", "Live chats", "--database", folder.database,
                                  "--mattermost-ca-file", certificate, "--mattermost-proxy", address], environment: environment)
            }
            let noPassword = try connect(through: proxy.url())
            #expect(try await noPassword.exit() != 0)
            #expect(noPassword.log.contains("The proxy http://127.0.0.1:\(proxy.port) asks for a user name and password"), "\(noPassword.log)")
            let connected = try connect(through: proxy.url(username: "baton", password: "proxy-secret"))
            #expect(try await connected.exit() == 0, "\(connected.log)")
            #expect(!connected.log.contains("proxy-secret"))
            #expect(connected.log.contains("Reached through the proxy http://127.0.0.1:\(proxy.port)"), "\(connected.log)")
            let status = try BatonProcess(["mattermost", "status", "--bot", "demo", "--database", folder.database,
                                           "--mattermost-proxy", proxy.url(username: "baton", password: "proxy-secret")], environment: environment)
            #expect(try await status.exit() == 0)
            #expect(status.log.contains("Through the proxy http://127.0.0.1:\(proxy.port) (--mattermost-proxy)") && !status.log.contains("proxy-secret"),
                    "\(status.log)")

            environment["BATON_MATTERMOST_PROXY"] = proxy.url(username: "baton", password: "proxy-secret")
            let server = try BatonProcess(["serve", "--port", "0", "--database", folder.database, "--mattermost-ca-file", certificate],
                                          environment: environment)
            defer { server.signal(SIGTERM) }
            let port = try await server.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            #expect(server.log.contains("Mattermost is reached through the proxy http://127.0.0.1:\(proxy.port) (BATON_MATTERMOST_PROXY)"), "\(server.log)")
            let relay = try #require(sandbox.user(named: "relay")).id
            try await eventually("the event stream through the proxy", seconds: 20) { sandbox.webSocketUsers.contains(relay) }
            #expect(server.log.contains("proxy=http://127.0.0.1:\(proxy.port)"), "\(server.log)")
            try await handOverAndHearAlice(sandbox: sandbox, batonPort: port, saying: "Hello through the proxy")
            #expect(!server.log.contains("proxy-secret"))
            let tunnels = proxy.tunnels
            #expect(tunnels.count >= 2 && tunnels.allSatisfy { $0.target == "127.0.0.1:\(sandbox.port)" }, "\(tunnels)")
        }
        await proxy.stop()
    }

    @Test func badArgumentsAreExplained() async throws {
        let noSecret = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--username", "x",
                                         "--team", "t", "--index-channel", "c"])
        #expect(try await noSecret.exit() != 0)
        #expect(noSecret.log.contains("Give exactly one of --password-file, --password-env or --token-env."))
        let bothChannels = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--token-env", "HOME",
                                             "--team", "t", "--index-channel", "c", "--create-index-channel", "d"])
        #expect(try await bothChannels.exit() != 0)
        #expect(bothChannels.log.contains("Give exactly one of --index-channel or --create-index-channel."))
        let badRooms = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--token-env", "HOME",
                                         "--team", "t", "--index-channel", "c", "--rooms", "forum"])
        #expect(try await badRooms.exit() != 0)
        #expect(badRooms.log.contains("forum"), "\(badRooms.log)")
        // Archiving is for chats in channels: with threads it would be said off and done.
        let threadArchive = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--token-env", "HOME",
                                              "--team", "t", "--index-channel", "c", "--rooms", "thread", "--archive-on-close"])
        #expect(try await threadArchive.exit() != 0)
        #expect(threadArchive.log.contains("--archive-on-close is for chats in channels"), "\(threadArchive.log)")
        let badPort = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:99999", "--token-env", "HOME",
                                        "--team", "t", "--index-channel", "c"])
        #expect(try await badPort.exit() == 1, "\(badPort.log)")
        #expect(badPort.log.contains("\"http://127.0.0.1:99999\" cannot be used as Mattermost's address: its port 99999 is not one from 1 to 65535."), "\(badPort.log)")
        #expect(!badPort.log.contains("Cannot reach"), "an address that is none is not an unreachable server: \(badPort.log)")
        let blankCommand = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--token-env", "HOME",
                                             "--team", "t", "--index-channel", "c", "--close-command", " ", "--internal-prefix", ""])
        #expect(try await blankCommand.exit() == 1, "\(blankCommand.log)")
        #expect(blankCommand.log.contains("--close-command \"\" cannot be used: it is blank."), "\(blankCommand.log)")
        // Secrets that cannot be read are said so in words.
        var environment = ProcessInfo.processInfo.environment
        environment["EMPTY_SECRET"] = ""
        for (source, words) in [(["--token-env", "EMPTY_SECRET"], "The environment variable EMPTY_SECRET is empty."),
                                (["--username", "relay", "--password-file", "/nonexistent/pw"], "There is no password file /nonexistent/pw."),
                                (["--username", "relay", "--password-file", "/tmp"], "/tmp is a folder, not a password file.")] {
            let refused = try BatonProcess(["mattermost", "connect", "--bot", "demo", "--url", "http://127.0.0.1:9", "--team", "t",
                                            "--index-channel", "c"] + source, environment: environment)
            #expect(try await refused.exit() != 0)
            #expect(refused.log.contains(words), "\(refused.log)")
        }
    }
}

/// A visitor on the Baton at `batonPort` is handed over; Alice, added to the room, replies
/// there, and the visitor reads her words.
private func handOverAndHearAlice(sandbox: MattermostSandbox, batonPort port: String, saying words: String) async throws {
    try await WidgetClient.connect("ws://127.0.0.1:\(port)/widget/v1/socket") { client in
        let conversation = try await talkUntilHandover(client)
        let alice = try #require(sandbox.user(named: "alice")).id
        try await eventually("the room, with Alice in it") {
            sandbox.channel(team: "support", name: "chat-\(conversation)").map { sandbox.members(of: $0.id).contains(alice) } ?? false
        }
        let room = try #require(sandbox.channel(team: "support", name: "chat-\(conversation)"))
        try sandbox.post(as: "alice", in: room.id, words)
        try await client.message(containing: words)
    }
}

/// `baton mail test`: the mail server's settings checked by sending an email.
@Suite struct MailCommandTests {
    @Test func aTestEmailGoesThroughTheMailServerOrSaysWhyNot() async throws {
        let catcher = try await SMTPCatcher.start(SMTPCatcher.Options(credentials: ("baton", "s3cret")))
        defer { Task { await catcher.stop() } }
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_SMTP"] = "smtp://baton:s3cret@127.0.0.1:\(catcher.port)"
        let sent = try BatonProcess(["mail", "test", "--to", "grace@bücher.example", "--mail-from", "Shop <help@shop.example>"],
                                    environment: environment)
        #expect(try await sent.exit() == 0, "\(sent.log)")
        #expect(sent.log.contains("Sent a test email to grace@xn--bcher-kva.example from help@shop.example through smtp://baton@127.0.0.1:\(catcher.port)."))
        let mail = try #require(try await catcher.waitForMails(1).first)
        #expect(mail.decodedHeader("Subject") == "Baton can send email" && mail.signedIn)
        #expect(mail.recipients == ["grace@xn--bcher-kva.example"])

        environment["BATON_SMTP"] = "smtp://baton:wrong@127.0.0.1:\(catcher.port)"
        let refused = try BatonProcess(["mail", "test", "--to", "grace@example.com", "--mail-from", "help@shop.example"], environment: environment)
        #expect(try await refused.exit() != 0)
        #expect(refused.log.contains("Not sent: the mail server smtp://baton@127.0.0.1:\(catcher.port) refused the user name and password"))
        #expect(!refused.log.contains("wrong"))

        environment["BATON_SMTP"] = nil
        let unset = try BatonProcess(["mail", "test", "--to", "grace@example.com"], environment: environment)
        #expect(try await unset.exit() != 0)
        #expect(unset.log.contains("No mail server: set BATON_SMTP"))
        #expect(catcher.mails.count == 1)
    }

    @Test func aMailServerWhoseCertificateAPrivateAuthoritySignedIsTrustedWhenGiven() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (certificate, tls) = try await SelfSignedCertificate.make(in: folder)
        let catcher = try await SMTPCatcher.start(SMTPCatcher.Options(tls: tls, credentials: ("baton", "s3cret")))
        defer { Task { await catcher.stop() } }
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_SMTP"] = "smtp://baton:s3cret@127.0.0.1:\(catcher.port)"
        let arguments = ["mail", "test", "--to", "grace@example.com", "--mail-from", "help@shop.example"]
        let untrusted = try BatonProcess(arguments, environment: environment)
        #expect(try await untrusted.exit() != 0)
        #expect(untrusted.log.contains("its certificate is not signed by an authority Baton trusts"))
        #expect(untrusted.log.contains("--mail-ca-file"))

        let trusted = try BatonProcess(arguments + ["--mail-ca-file", certificate], environment: environment)
        #expect(try await trusted.exit() == 0, "\(trusted.log)")
        let mail = try #require(try await catcher.waitForMails(1).first)
        #expect(mail.encrypted && mail.signedIn)

        let missing = try BatonProcess(arguments + ["--mail-ca-file", folder.url.appendingPathComponent("none.pem").path], environment: environment)
        #expect(try await missing.exit() != 0)
        #expect(missing.log.contains("cannot use") || missing.log.contains("no such file"), "\(missing.log)")
    }
}
