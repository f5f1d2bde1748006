import BatonCore
import BatonMail
import BatonServer
import BatonTestSupport
import Foundation
import Synchronization
import MattermostSandbox
import Testing

/// A visitor who left before the agents answered gets the replies by email; one whose
/// widget showed them does not; a mail server that fails for a while gets it later.
@Suite struct MissedRepliesEmailTests {
    static func mailing(to catcher: SMTPCatcher) -> @Sendable (inout BatonConfiguration) -> Void {
        { config in
            config.mail.server = SMTPServer(host: "127.0.0.1", port: catcher.port)
            config.mail.sender = MailSender(address: "support@shop.example")
            config.mail.quiet = .seconds(1)
            config.mail.interval = .milliseconds(200)
            config.mail.retryPause = .milliseconds(300)
        }
    }

    /// The demo widget allowed on these sites only (emails link pages of them alone).
    static func allow(_ origins: [String], in rig: HandoverRig) async throws {
        var widget = try #require(try await rig.baton.services.bots.widget(forKey: "demo")).widget
        widget.settings.allowedOrigins = origins
        _ = try await rig.baton.services.bots.save(widget)
    }

    @Test func aVisitorWhoLeftGetsTheRepliesTheyMissedAndOneWhoSawThemDoesNot() async throws {
        var options = SMTPCatcher.Options()
        options.temporaryFailures = 1  // the first try fails; the next goes through
        let catcher = try await SMTPCatcher.start(options)
        defer { Task { await catcher.stop() } }
        try await HandoverRig.run(baton: Self.mailing(to: catcher)) { rig in
            try await rig.connect()
            // (The test client's own origin, ws://127.0.0.1, is allowed too.)
            try await Self.allow(["https://shop.example", "ws://127.0.0.1"], in: rig)
            // Heidi stays, sees Bob's reply, and says so.
            try await WidgetClient.connect(rig.baton.socketURL) { heidi in
                let conversation = try await talkUntilHandover(heidi, name: "Heidi", email: "heidi@example.com",
                                                               page: ["url": "https://shop.example/help", "title": "Help"])
                let room = try await rig.waitForRoom(conversation)
                try rig.sandbox.post(as: "bob", in: room.id, "Hi Heidi")
                let reply = try await heidi.message(containing: "Hi Heidi")
                let id = try #require((reply["message"] as? [String: Any])?["id"] as? Int)
                try await heidi.send(["type": "seen", "upTo": id])
                try await heidi.send(["type": "seen"])
                #expect(try await heidi.expect("error").string("code") == "missing_field")
                try await eventually("the reply recorded as seen") {
                    try await rig.baton.services.store.unseenReplies(changedAfter: 0, until: .max, limit: 10)
                        .first { $0.conversationID.rawValue == conversation }?.seen == Int64(id)
                }
            }
            // Grace leaves right after the handover; Alice answers twice, with a file.
            let handedOver = Mutex("")
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let id = try await talkUntilHandover(grace, page: ["url": "https://shop.example/cart", "title": "Cart"])
                handedOver.withLock { $0 = id }
            }
            let room = try await rig.waitForRoom(handedOver.withLock { $0 })
            try rig.sandbox.post(as: "alice", in: room.id, "Your order shipped today.")
            try rig.sandbox.post(as: "alice", in: room.id, "// internal: she seemed upset")
            try rig.sandbox.post(as: "alice", in: room.id, "Anything else?")

            let mails = try await catcher.waitForMails(1)
            let mail = try #require(mails.first)
            #expect(mails.count == 1)
            #expect(mail.recipients == ["grace@example.com"])
            #expect(mail.header("From") == "\"Chat with Ada\" <support@shop.example>")
            #expect(mail.decodedHeader("Subject") == "Alice Archer replied to your chat on shop.example")
            #expect(mail.text.contains("Alice Archer:\nYour order shipped today.\nAnything else?\n"))
            #expect(!mail.text.contains("internal"))
            #expect(mail.text.contains("To answer, open the chat again: https://shop.example/cart"))
            // The first try failed (451): this is the second, and the only one that went out.
            #expect(catcher.sessions >= 2)
            // The dashboard's Widget tab shows how the emails went: the failure, then the email.
            let admin = AdminClient(base: rig.baton.http)
            #expect(try await admin.send("POST", "/api/v1/setup", json: ["token": rig.baton.services.setupToken ?? "", "email": "admin@example.com",
                                                                           "password": "a long enough password"]).status == 200)
            // (Recorded once the server said goodbye, just after it took the message.)
            try await eventually("the email recorded as sent") {
                (try await admin.get("/api/v1/bots/demo").json["mail"] as? [String: Any])?["lastSentAt"] != nil
            }
            let status = try #require(try await admin.get("/api/v1/bots/demo").json["mail"] as? [String: Any])
            #expect(status["server"] as? String == "smtp://127.0.0.1:\(catcher.port)")
            #expect((status["lastFailure"] as? String)?.contains("451 4.3.0 Try again later") == true)
            let failedAt = try #require(status["lastFailureAt"] as? Int64), sentAt = try #require(status["lastSentAt"] as? Int64)
            #expect(failedAt <= sentAt)
            #expect(try AdminAPITestsSupport.contractViolations(admin) == [])
            // The agents are told, in the room.
            try await eventually("the room told of the email") {
                rig.messages(in: room.id, by: "relay").contains(":email: The replies **Grace** had not seen were emailed to them.")
            }
            // The transcript says so, with its meaning for the widget.
            let notice = try await rig.baton.services.store.messages(in: ConversationID(handedOver.withLock { $0 }), after: 0, limit: 100)
                .last { $0.notice?.kind == .repliesEmailed }
            #expect(notice?.text == "Grace was emailed the replies they had not seen.")

            // Nothing more: not for Heidi, who saw hers, nor again for Grace.
            try await Task.sleep(for: .seconds(2))
            #expect(catcher.mails.count == 1)

            // A new reply while she is still away is mailed alone.
            try rig.sandbox.post(as: "alice", in: room.id, "We also refunded the shipping.")
            let second = try await catcher.waitForMails(2)[1]
            #expect(second.text.contains("We also refunded the shipping.") && !second.text.contains("Your order shipped"))
            try await eventually("the room told of the second email") {
                rig.messages(in: room.id, by: "relay").filter { $0.hasPrefix(":email:") }.count == 2
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// In a real browser: a reply the widget showed while Grace looked at it is not mailed;
    /// one that came while her tab was in the background is.
    @Test func theWidgetSaysWhatTheVisitorSawSoOnlyWhatTheyMissedIsMailed() async throws {
        let catcher = try await SMTPCatcher.start()
        defer { Task { await catcher.stop() } }
        try await HandoverRig.run(baton: Self.mailing(to: catcher)) { rig in
            try await rig.connect()
            try await Self.allow([rig.baton.http], in: rig)
            let store = rig.baton.services.store
            try await WebDriver.with(width: 1280, height: 800) { driver in
                let (conversation, room) = try await Self.handOverInBrowser(driver, rig)
                try rig.sandbox.post(as: "alice", in: room.id, "Hi Grace, I'm here.")
                try await waitForBubble(driver, containing: "Hi Grace, I'm here.")
                try await eventually("the widget says Grace saw the reply") {
                    let record = try await store.unseenReplies(changedAfter: 0, until: .max, limit: 10).first { $0.conversationID == conversation }
                    return record?.seen ?? 0 > 0 && record?.hasNews == false
                }
                // Grace goes to another tab; Alice asks again.
                try await Self.setPage(driver, visible: false)
                try rig.sandbox.post(as: "alice", in: room.id, "Are you still there?")
                try await waitForBubble(driver, containing: "Are you still there?")
                let mail = try #require(try await catcher.waitForMails(1).first)
                #expect(mail.recipients == ["grace@example.com"])
                #expect(mail.text.contains("Alice Archer:\nAre you still there?\n") && !mail.text.contains("I'm here"))
                #expect(mail.text.contains("To answer, open the chat again: \(rig.baton.http)/"))
            }
            // The email's link, opened in another browser (a phone): the same chat, where
            // Grace answers; the code leaves the address bar.
            let mail = try #require(catcher.mails.first)
            let line = try #require(mail.text.split(separator: "\n").first { $0.hasPrefix("To answer, open the chat again: ") })
            let link = String(line.dropFirst("To answer, open the chat again: ".count))
            #expect(link.hasPrefix("\(rig.baton.http)/#baton-chat=demo:"), "\(link)")
            let room = try await rig.waitForRoom(try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id.rawValue)
            try await WebDriver.with(width: 420, height: 800) { phone in
                try await phone.open(link)
                try await waitForBubble(phone, containing: "Are you still there?")
                try await waitForBubble(phone, containing: "Hi Grace, I'm here.")
                #expect(try await phone.run("return location.href") as? String == "\(rig.baton.http)/")
                try await send(phone, "Yes, on my phone now")
                try await eventually("her answer in the room") { rig.messages(in: room.id, by: "relay").contains { $0.contains("Yes, on my phone now") } }
                // Back later on the phone, without the link: still her chat.
                try await phone.open("\(rig.baton.http)/#baton-open")
                try await waitForBubble(phone, containing: "Yes, on my phone now")
                // A link whose code is not known (or too old) says so, and opens this browser's
                // chat: followed on the page already open, and on a page loaded with it.
                for page in ["/", "/?again"] {
                    try await phone.open("\(rig.baton.http)\(page)#baton-chat=demo:" + String(repeating: "A", count: 43))
                    try await phone.wait(for: "the link said to be expired",
                                         "return \(root).querySelector('.log').textContent.includes('The link to your earlier chat has expired.')")
                    try await waitForBubble(phone, containing: "Yes, on my phone now")
                }
            }
            // A browser with a chat of its own, in two tabs, a message of it waiting to be
            // sent (the network down): the link opens Grace's chat in both tabs, and the
            // waiting message is not sent into it.
            try await WebDriver.with(width: 1280, height: 800) { tablet in
                try await tablet.open("\(rig.baton.http)/#baton-open")
                try await waitForBubble(tablet, containing: "I'm Ada")
                let first = try await tablet.currentTab()
                _ = try await tablet.newTab()
                try await tablet.open("\(rig.baton.http)/#baton-open")
                try await waitForBubble(tablet, containing: "I'm Ada")
                try await tablet.switchTo(first)
                _ = try await tablet.run("""
                    const send = WebSocket.prototype.send;
                    WebSocket.prototype.send = function (data) { window.widgetSocket = this; return send.call(this, data); };
                    return true;
                    """)
                try await send(tablet, "hello again")
                try await waitForBubble(tablet, containing: "hello again")
                // Stored (the bubble shows at once, while it is still being sent).
                try await tablet.wait(for: "hello again stored", "return \(root).querySelectorAll('.row.pending').length === 0")
                _ = try await tablet.run("""
                    window.RealWebSocket = WebSocket;
                    window.WebSocket = function () { throw new Error('offline'); };
                    window.widgetSocket.close();
                    return true;
                    """)
                try await send(tablet, "a private note typed offline")
                try await tablet.wait(for: "the message waiting", "return \(root).querySelectorAll('.row.pending').length === 1")
                _ = try await tablet.run("window.WebSocket = window.RealWebSocket; location.hash = arguments[0]; return true;",
                                         [String(link[link.range(of: "#")!.lowerBound...])])
                try await waitForBubble(tablet, containing: "Hi Grace, I'm here.")
                try await tablet.wait(for: "the waiting message dropped", "return \(root).querySelectorAll('.row.pending').length === 0")
                try await send(tablet, "Tablet here")
                try await eventually("the tablet's message in the room") { rig.messages(in: room.id, by: "relay").contains { $0.contains("Tablet here") } }
                // The other tab follows, and keeps Grace's chat after a reload.
                let tabs = try await tablet.command("GET", "/window/handles")["value"] as? [String] ?? []
                try await tablet.switchTo(try #require(tabs.first { $0 != first }))
                try await waitForBubble(tablet, containing: "Tablet here")
                try await tablet.open("\(rig.baton.http)/#baton-open")
                try await waitForBubble(tablet, containing: "Hi Grace, I'm here.")
                try await Task.sleep(for: .seconds(1))
                #expect(!rig.messages(in: room.id, by: "relay").contains { $0.contains("private note") })
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// A mail server that refuses the visitor's address for good: not tried again, and the
    /// failure the dashboard shows (kept in the database) does not hold the address.
    @Test func aRefusedAddressIsNotTriedAgainAndNotKeptInTheStatus() async throws {
        var options = SMTPCatcher.Options()
        options.refusedRecipients = ["grace@example.com": "550 5.1.1 <grace@example.com>: Recipient address rejected"]
        let catcher = try await SMTPCatcher.start(options)
        defer { Task { await catcher.stop() } }
        try await HandoverRig.run(baton: Self.mailing(to: catcher)) { rig in
            try await rig.connect()
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace))
                try rig.sandbox.post(as: "alice", in: room.id, "Hello Grace")
                _ = try await grace.message(containing: "Hello Grace")
            }
            try await eventually("the refusal recorded") { try await store.mailDelivery().lastFailure != nil }
            let failure = try #require(try await store.mailDelivery().lastFailure)
            #expect(failure.contains("550 5.1.1 <(the visitor's address)>: Recipient address rejected"), "\(failure)")
            #expect(!failure.contains("grace@example.com"))
            let sessions = catcher.sessions
            try await Task.sleep(for: .seconds(2))  // several retry pauses of this test's Baton
            #expect(catcher.sessions == sessions && catcher.mails.isEmpty)
        }
    }

    /// A reply drawn while Grace's tab was in the background, her socket down when she
    /// comes back: the widget says she saw it once it is connected again, and nothing is mailed.
    @Test func aReplySeenWhileTheSocketWasDownIsSaidAfterTheReconnect() async throws {
        let catcher = try await SMTPCatcher.start()
        defer { Task { await catcher.stop() } }
        let mailing = Self.mailing(to: catcher)
        try await HandoverRig.run(baton: { config in
            mailing(&config)
            config.mail.quiet = .seconds(4)  // longer than a reconnect takes
        }) { rig in
            try await rig.connect()
            let store = rig.baton.services.store
            try await WebDriver.with(width: 1280, height: 800) { driver in
                let (conversation, room) = try await Self.handOverInBrowser(driver, rig)
                // The widget's socket, remembered as it sends its next frame.
                _ = try await driver.run("""
                    const send = WebSocket.prototype.send;
                    WebSocket.prototype.send = function (data) { window.widgetSocket = this; return send.call(this, data); };
                    return true;
                    """)
                try await send(driver, "One more thing")
                try await Self.setPage(driver, visible: false)
                try rig.sandbox.post(as: "alice", in: room.id, "Sorry for the wait, Grace.")
                try await waitForBubble(driver, containing: "Sorry for the wait, Grace.")
                let unseen = try await store.unseenReplies(changedAfter: 0, until: .max, limit: 10).first { $0.conversationID == conversation }
                #expect(unseen?.hasNews == true)
                // Her connection drops just as she comes back to the tab: the `seen` cannot go now.
                _ = try await driver.run("window.widgetSocket.close(); return true;")
                try await Self.setPage(driver, visible: true)
                try await eventually("the widget says Grace saw the reply once it is connected again") {
                    let record = try await store.unseenReplies(changedAfter: 0, until: .max, limit: 10).first { $0.conversationID == conversation }
                    return record.map { $0.seen == $0.newestReply } ?? false
                }
                try await Task.sleep(for: .seconds(5))
                #expect(catcher.mails.isEmpty)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Grace in the browser, handed over to the agents; her conversation and its room.
    static func handOverInBrowser(_ driver: WebDriver, _ rig: HandoverRig) async throws -> (ConversationID, MattermostSandbox.Channel) {
        try await driver.open("\(rig.baton.http)/#baton-open")
        try await waitForBubble(driver, containing: "I'm Ada")
        for (answer, next) in [("talk to a person", "What's your name?"), ("Grace", "email address"),
                               ("grace@example.com", "What is it about?"), ("Sales", "handing you over")] {
            try await send(driver, answer)
            try await waitForBubble(driver, containing: next)
        }
        let store = rig.baton.services.store
        let conversation = try #require(try await store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first).conversation.id
        return (conversation, try await rig.waitForRoom(conversation.rawValue))
    }

    /// The page hidden (another tab in front) or visible again, as the browser tells it.
    static func setPage(_ driver: WebDriver, visible: Bool) async throws {
        _ = try await driver.run("""
            Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '\(visible ? "visible" : "hidden")' });
            document.dispatchEvent(new Event('visibilitychange'));
            return true;
            """)
    }

    @Test func withoutAMailServerNothingIsSentAndTheSettingsAreChecked() throws {
        var config = BatonConfiguration()
        #expect(throws: Never.self) { try config.mail.check() }
        config.mail.server = try SMTPServer(url: "smtp://mail.example.com")
        #expect(throws: ConfigurationError.self) { try config.mail.check() }
        try config.mail.setSender("Shop <help@shop.example>", from: "--mail-from")
        #expect(throws: Never.self) { try config.mail.check() }
        try config.mail.setQuiet("0", from: "--mail-missed-replies-after")
        #expect(config.mail.quiet == nil)
        #expect(throws: ConfigurationError.self) { try config.mail.setQuiet("1441", from: "--mail-missed-replies-after") }
        let env = try BatonConfiguration.fromEnvironment(["BATON_SMTP": "smtps://me:pw@mail.example.com", "BATON_MAIL_FROM": "help@shop.example",
                                                          "BATON_MAIL_MISSED_REPLIES_AFTER": "10"])
        #expect(env.mail.server?.security == .tls && env.mail.sender?.address == "help@shop.example" && env.mail.quiet == .seconds(600))
        do {
            _ = try BatonConfiguration.fromEnvironment(["BATON_SMTP": "smtp://me:hunter2@mail.example.com/path"])
            Issue.record("a bad address was taken")
        } catch {
            #expect("\(error)".contains("BATON_SMTP") && !"\(error)".contains("hunter2"))
        }
    }

    @Test func aPrivateAuthorityForTheMailServerIsReadAtStart() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (certificate, _) = try await SelfSignedCertificate.make(in: folder)
        let env = try BatonConfiguration.fromEnvironment(["BATON_SMTP": "smtp://mail.example.com", "BATON_MAIL_FROM": "help@shop.example",
                                                          "BATON_MAIL_CA_FILE": certificate])
        #expect(env.mail.authority?.file == certificate && env.mail.authority?.certificates.count == 1)
        #expect(throws: Never.self) { try env.mail.check() }
        // A file that is not there, or holds no certificate, stops the start with the reason.
        let notPEM = folder.url.appendingPathComponent("not.pem").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notPEM))
        for (file, reason) in [(folder.url.appendingPathComponent("missing.pem").path, "there is no such file"), (notPEM, "does not hold PEM certificates")] {
            #expect {
                _ = try BatonConfiguration.fromEnvironment(["BATON_MAIL_CA_FILE": file])
            } throws: { error in
                "\(error)".contains("BATON_MAIL_CA_FILE=\"\(file)\"") && "\(error)".contains(reason)
            }
        }
        // An authority without a mail server to trust it for is a mistake.
        var alone = BatonConfiguration()
        try alone.mail.setAuthorityFile(certificate, from: "--mail-ca-file")
        #expect { try alone.mail.check() } throws: { "\($0)".contains("--mail-ca-file") }
    }
}
