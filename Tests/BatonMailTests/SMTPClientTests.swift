import BatonCore
@testable import BatonMail
import BatonTestSupport
import Foundation
import NIOSSL
import Testing

/// The SMTP client against a mail server on a loopback port (`SMTPCatcher`).
@Suite struct SMTPClientTests {
    let mail = ReplyMail(to: "grace@example.com", senderName: "Онлайн-чат · Shop",
                         subject: "Алиса ответила в вашем чате на shop.example — и это длинная тема письма, чтобы её разбить",
                         body: "Alice:\n.a line that starts with a dot\nПривет!\n\n-- \nwhy", language: "ru")

    @Test func aMessageArrivesWithItsHeadersAndTextIntact() async throws {
        let catcher = try await SMTPCatcher.start()
        defer { Task { await catcher.stop() } }
        let client = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: catcher.port), sender: try MailSender("support@shop.example"))
        try await client.send(mail)
        let received = try #require(try await catcher.waitForMails(1).first)
        #expect(received.from == "support@shop.example")
        #expect(received.recipients == ["grace@example.com"])
        #expect(received.header("To") == "<grace@example.com>")
        #expect(received.decodedHeader("Subject") == mail.subject)
        #expect(received.decodedHeader("From") == "Онлайн-чат · Shop <support@shop.example>")
        #expect(received.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(received.header("Content-Language") == "ru")
        #expect(received.header("Auto-Submitted") == "auto-generated")
        #expect(received.header("Message-ID")?.hasSuffix("@shop.example>") == true)
        #expect(received.text == mail.body)
        // No header line is longer than RFC 5322's 78 characters.
        let head = received.data.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(!received.encrypted)
    }

    /// An address with other letters before its `@` goes through a server that offers
    /// SMTPUTF8, asking for it; a server that does not is not asked, and the reason is said.
    @Test func anAddressInOtherLettersNeedsSMTPUTF8() async throws {
        var international = mail
        international.to = "grâce@xn--mller-kva.de"
        var options = SMTPCatcher.Options()
        options.smtpUTF8 = true
        let offering = try await SMTPCatcher.start(options)
        defer { Task { await offering.stop() } }
        try await SMTPClient(server: SMTPServer(host: "127.0.0.1", port: offering.port), sender: try MailSender("support@shop.example")).send(international)
        let received = try #require(try await offering.waitForMails(1).first)
        #expect(received.recipients == ["grâce@xn--mller-kva.de"])
        #expect(received.header("To") == "<grâce@xn--mller-kva.de>")
        // An ASCII address is sent as before, without asking for it.
        try await SMTPClient(server: SMTPServer(host: "127.0.0.1", port: offering.port), sender: try MailSender("support@shop.example")).send(mail)
        #expect(try await offering.waitForMails(2)[1].recipients == ["grace@example.com"])

        let plain = try await SMTPCatcher.start()
        defer { Task { await plain.stop() } }
        let client = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: plain.port), sender: try MailSender("support@shop.example"))
        await #expect(throws: MailFailure.permanent("the mail server smtp://127.0.0.1:\(plain.port) does not take addresses with letters other than ASCII before the @ (it does not offer SMTPUTF8)")) {
            try await client.send(international)
        }
        #expect(plain.mails.isEmpty)
    }

    @Test func startTLSThenSignsIn() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (certificate, tls) = try await SelfSignedCertificate.make(in: folder)
        let catcher = try await SMTPCatcher.start(SMTPCatcher.Options(tls: tls, credentials: ("baton", "s3cret")))
        defer { Task { await catcher.stop() } }
        let roots = try NIOSSLCertificate.fromPEMFile(certificate)
        let server = try SMTPServer(url: "smtp://baton:s3cret@127.0.0.1:\(catcher.port)")
        try await SMTPClient(server: server, sender: try MailSender("Shop <support@shop.example>"), trustRoots: roots).send(mail)
        let received = try #require(try await catcher.waitForMails(1).first)
        #expect(received.encrypted && received.signedIn)
        #expect(received.header("From") == "\"Shop\" <support@shop.example>")

        // Replies slipped in as plain text after the answer to STARTTLS (someone in
        // between) would be read as if they had come through TLS: nothing is sent.
        var injecting = SMTPCatcher.Options(tls: tls, credentials: ("baton", "s3cret"))
        injecting.afterStartTLS = "250-catcher.test\r\n250 AUTH LOGIN"
        let injected = try await SMTPCatcher.start(injecting)
        defer { Task { await injected.stop() } }
        let fooled = SMTPClient(server: try SMTPServer(url: "smtp://baton:s3cret@127.0.0.1:\(injected.port)"),
                                sender: try MailSender("support@shop.example"), trustRoots: roots)
        await #expect { try await fooled.send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("sent more in plain text after agreeing to STARTTLS")
        }
        #expect(injected.mails.isEmpty)

        // A certificate Baton does not trust: no mail, and words about TLS.
        let untrusting = SMTPClient(server: server, sender: try MailSender("support@shop.example"))
        await #expect { try await untrusting.send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("TLS with the mail server smtp://baton@127.0.0.1:\(catcher.port) failed: its certificate is not signed by an authority Baton trusts")
                && reason.contains("--mail-ca-file")
        }
        // The wrong password: refused for good, the password never in the words.
        let wrong = try SMTPServer(url: "smtp://baton:wrong@127.0.0.1:\(catcher.port)")
        await #expect { try await SMTPClient(server: wrong, sender: try MailSender("support@shop.example"), trustRoots: roots).send(mail) } throws: { error in
            guard case MailFailure.permanent(let reason) = error else { return false }
            return reason.contains("refused the user name and password") && reason.contains("535") && !reason.contains("wrong")
        }
        #expect(catcher.mails.count == 1)
    }

    /// smtps:// (TLS from the start) at a server that starts in plain text: said in
    /// words, not as the TLS library's error (which named the file it was built from).
    /// Across a network, email goes encrypted or not at all (it carries links that open
    /// chats): a server that offers no STARTTLS, or whose offer someone in between took out,
    /// gets nothing, unless the address says `?tls=optional`.
    @Test func noPlainTextAcrossTheNetworkUnlessAllowed() async throws {
        let plain = try await SMTPCatcher.start()
        defer { Task { await plain.stop() } }
        var remote = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: plain.port), sender: try MailSender("support@shop.example"))
        remote.loopbackCountsAsNetwork = true
        await #expect { try await remote.send(mail) } throws: { error in
            guard case MailFailure.permanent(let reason) = error else { return false }
            return reason.contains("does not offer STARTTLS, and Baton sends no email unencrypted across a network")
                && reason.contains("?tls=optional")
        }
        #expect(plain.mails.isEmpty)
        var allowed = SMTPClient(server: try SMTPServer(url: "smtp://127.0.0.1:\(plain.port)?tls=optional"), sender: try MailSender("support@shop.example"))
        allowed.loopbackCountsAsNetwork = true
        try await allowed.send(mail)
        #expect(plain.mails.count == 1)
    }

    /// `?tls=optional` lets email go in plain text, never a password: a server across the
    /// network that offers no STARTTLS is not signed in to.
    @Test func noPasswordInPlainTextAcrossTheNetworkEvenIfAllowed() async throws {
        let catcher = try await SMTPCatcher.start(SMTPCatcher.Options(credentials: ("baton", "s3cret")))
        defer { Task { await catcher.stop() } }
        var remote = SMTPClient(server: try SMTPServer(url: "smtp://baton:s3cret@127.0.0.1:\(catcher.port)?tls=optional"),
                                sender: try MailSender("support@shop.example"))
        remote.loopbackCountsAsNetwork = true
        await #expect { try await remote.send(mail) } throws: { error in
            guard case MailFailure.permanent(let reason) = error else { return false }
            return reason.contains("does not offer STARTTLS, and Baton sends no password unencrypted")
        }
        // The server was reached and asked what it offers, but heard no AUTH.
        #expect(catcher.verbs.contains("EHLO"), "\(catcher.verbs)")
        #expect(!catcher.verbs.contains("AUTH"), "\(catcher.verbs)")
        #expect(catcher.mails.isEmpty)
    }

    @Test func smtpsAtAPlainServerIsSaidSo() async throws {
        let catcher = try await SMTPCatcher.start()
        defer { Task { await catcher.stop() } }
        let server = try SMTPServer(url: "smtps://127.0.0.1:\(catcher.port)")
        await #expect { try await SMTPClient(server: server, sender: try MailSender("support@shop.example")).send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("does not speak TLS from the start") && reason.contains("use smtp://") && !reason.contains(".cc")
        }
    }

    @Test func authLoginWhenThatIsWhatTheServerTakes() async throws {
        var options = SMTPCatcher.Options(credentials: ("baton", "pa:ss@word"))
        options.authMethods = "LOGIN"
        let catcher = try await SMTPCatcher.start(options)
        defer { Task { await catcher.stop() } }
        // On loopback a password may go without TLS.
        let server = try SMTPServer(url: "smtp://baton:pa%3Ass%40word@127.0.0.1:\(catcher.port)")
        #expect(server.password == "pa:ss@word")
        try await SMTPClient(server: server, sender: try MailSender("support@shop.example")).send(mail)
        let received = try #require(try await catcher.waitForMails(1).first)
        #expect(received.signedIn && !received.encrypted)
    }

    @Test func refusalsAreTemporaryOrPermanentAsTheServerSays() async throws {
        var options = SMTPCatcher.Options()
        options.refusedRecipients = ["nobody@example.com": "550 5.1.1 No such user"]
        options.temporaryFailures = 1
        let catcher = try await SMTPCatcher.start(options)
        defer { Task { await catcher.stop() } }
        let client = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: catcher.port), sender: try MailSender("support@shop.example"))
        var toNobody = mail
        toNobody.to = "nobody@example.com"
        await #expect { try await client.send(toNobody) } throws: { error in
            guard case MailFailure.permanent(let reason) = error else { return false }
            return reason.contains("550 5.1.1 No such user")
        }
        await #expect { try await client.send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("451")
        }
        try await client.send(mail)
        #expect(try await catcher.waitForMails(1).count == 1)
    }

    @Test func anUnreachableServerIsATemporaryFailure() async throws {
        let port = try ClosedPort().port
        let client = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: port), sender: try MailSender("support@shop.example"))
        await #expect { try await client.send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason == "cannot reach the mail server smtp://127.0.0.1:\(port) (connection refused)"
        }
    }

    @Test func somethingThatIsNotAMailServerIsToldApart() async throws {
        var options = SMTPCatcher.Options()
        options.greeting = "HTTP/1.1 400 Bad Request"
        let web = try await SMTPCatcher.start(options)
        defer { Task { await web.stop() } }
        let sender = try MailSender("support@shop.example")
        await #expect { try await SMTPClient(server: SMTPServer(host: "127.0.0.1", port: web.port), sender: sender).send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("answered something that is not SMTP: HTTP/1.1 400 Bad Request")
        }
        // A line without end.
        options.greeting = String(repeating: "x", count: 100_000)
        let endless = try await SMTPCatcher.start(options)
        defer { Task { await endless.stop() } }
        await #expect { try await SMTPClient(server: SMTPServer(host: "127.0.0.1", port: endless.port), sender: sender).send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("longer than 64 KB") || reason.contains("not SMTP")
        }
        // A server that accepts the connection and says nothing.
        let silent = try SilentPort()
        let patient = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: silent.port), sender: sender, timeout: .seconds(1))
        await #expect { try await patient.send(mail) } throws: { error in
            // Silent from the start over plain text: most likely a TLS port at smtp://.
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("did not answer in time (it sent no greeting: for a port that speaks TLS from the start, 465, use smtps://)")
        }
    }

    /// A server that checks the message before it answers its final dot: the answer is
    /// waited for longer than any other (it was given 30 s like the others, then the email
    /// went again, and the server that had kept it the first time had it twice).
    @Test func theAnswerToTheMessageIsWaitedForLonger() async throws {
        var options = SMTPCatcher.Options()
        // (Each other answer may take 10 s: the test shares the cores with hundreds of
        // others, and 2 s were once not enough for the greeting, 5 s once not enough for
        // another answer.)
        options.acceptDelay = .seconds(12)
        let slow = try await SMTPCatcher.start(options)
        defer { Task { await slow.stop() } }
        let sender = try MailSender("support@shop.example")
        try await SMTPClient(server: SMTPServer(host: "127.0.0.1", port: slow.port), sender: sender, timeout: .seconds(10)).send(mail)
        #expect(slow.mails.count == 1)
        // Past its own limit, it failed (and is tried again: the server may not have it).
        let impatient = SMTPClient(server: SMTPServer(host: "127.0.0.1", port: slow.port), sender: sender, timeout: .seconds(10),
                                   acceptTimeout: .seconds(1))
        await #expect { try await impatient.send(mail) } throws: { error in
            guard case MailFailure.temporary(let reason) = error else { return false }
            return reason.contains("did not answer in time")
        }
    }

    @Test func serverAddressesAndSenders() throws {
        let plain = try SMTPServer(url: "smtp://mail.example.com")
        #expect(plain.port == 587 && plain.security == .startTLS && plain.username == nil && !plain.isLoopback)
        let tls = try SMTPServer(url: "smtps://me%40example.com:secret@mail.example.com")
        #expect(tls.port == 465 && tls.security == .tls && tls.username == "me@example.com" && tls.password == "secret")
        #expect("\(tls)" == "smtps://me%40example.com@mail.example.com:465")
        // A % in a password is written %25, and decoded once: "100%", not none at all
        // ("%2541" is "%41", not "A").
        #expect(try SMTPServer(url: "smtp://me:100%25@mail.example.com").password == "100%")
        #expect(try SMTPServer(url: "smtp://me:%2541@mail.example.com").password == "%41")
        #expect(throws: MailConfigurationError.self) { try SMTPServer(url: "smtp://me:p%zz@mail.example.com") }
        #expect(try SMTPServer(url: "smtp://[::1]:2525").isLoopback)
        for local in ["smtp://LOCALHOST:2525", "smtp://127.1:25", "smtp://[::ffff:127.0.0.1]:25"] {
            #expect(try SMTPServer(url: local).isLoopback, "\(local)")
        }
        // A server without TLS across the network only when the address says so.
        let optional = try SMTPServer(url: "smtp://relay.lan:25?tls=optional")
        #expect(optional.plainAllowed && !plain.plainAllowed && "\(optional)" == "smtp://relay.lan:25?tls=optional")
        for bad in ["http://mail.example.com", "smtp://", "smtp://mail.example.com/path", "smtp://:pw@mail.example.com", "mail.example.com:25",
                    "smtps://mail.example.com?tls=optional", "smtp://mail.example.com?tls=off"] {
            #expect(throws: MailConfigurationError.self) { try SMTPServer(url: bad) }
        }
        // A bad address with a password does not repeat it.
        do {
            _ = try SMTPServer(url: "smtp://me:hunter2@mail.example.com/x")
            Issue.record("accepted")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
        #expect(try MailSender("\"Shop help\" <help@shop.example>") == MailSender(address: "help@shop.example", name: "Shop help"))
        #expect(try MailSender(" help@shop.example ") == MailSender(address: "help@shop.example"))
        for bad in ["help", "Shop <help>", "Shop\r\nBcc: x@y.z <help@shop.example>", "<help@shop.example"] {
            #expect(throws: MailConfigurationError.self) { try MailSender(bad) }
        }
    }

    @Test func dotsAndHeadersCannotBreakTheMessage() {
        #expect(MailText.dotStuffed("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n.\r\n")
        #expect(MailText.dotStuffed("a") == "a\r\n.\r\n")
        // A subject with a line break stays one header.
        #expect(MailText.header("Hi\r\nBcc: x@y.z") == "Hi  Bcc: x@y.z")
        #expect(MailText.header("=?UTF-8?B?x?=").hasPrefix("=?UTF-8?B?"))
        let long = MailText.encodedWords(String(repeating: "日本語", count: 40))
        #expect(long.components(separatedBy: "\r\n ").allSatisfy { $0.utf8.count <= 75 })
        // One letter under 600 combining marks: split between its code points (it made a
        // line of 1,600 characters, refused by mail servers), and nothing lost.
        let stacked = "Z" + String(repeating: "\u{301}", count: 600) + " Shop"
        let words = MailText.encodedWords(stacked).components(separatedBy: "\r\n ")
        #expect(words.allSatisfy { $0.utf8.count <= 75 })
        let decoded = words.map { String(decoding: Data(base64Encoded: String($0.dropFirst(10).dropLast(2))) ?? Data(), as: UTF8.self) }.joined()
        #expect(decoded == stacked)
    }
}
