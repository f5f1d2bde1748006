import BatonCore
@testable import BatonServer
import BatonTestSupport
import Foundation
import Testing

/// Files from the visitor's side: the upload ticket, the upload, the message that sends
/// it, and fetching it, with every refusal (docs/widget-protocol.md, "Files").
@Suite struct WidgetFileTests {
    static let bytes: [UInt8] = (0..<3000).map { UInt8($0 % 256) }

    /// An upload that trickles in (a few bytes now and then, never idle for long) is cut
    /// off once past its grace it comes at under 4 KB a second: it held its memory for ever.
    @Test func anUploadThatTricklesInIsCutOff() async throws {
        try await LiveBaton.run(configure: { $0.uploadGrace = .seconds(1) }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let ticket = try #require(try await client.hello().uploadTicket)
                let connection = try await RawConnection.open(port: baton.port)
                try await connection.send("POST /widget/v1/files?name=slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ticket)\r\n"
                                          + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n")
                for _ in 0..<20 {
                    if connection.text.contains("HTTP/1.1") { break }
                    try await connection.send(bytes: Array(repeating: 7, count: 100))
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(await connection.received("408"))
                #expect(connection.text.contains("upload_too_slow"), "\(connection.text)")
                await connection.close()
                // Most of the file at once, then a trickle: each stretch is held to the
                // speed, not only the whole since the start.
                let second = try await RawConnection.open(port: baton.port)
                try await second.send("POST /widget/v1/files?name=slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ticket)\r\n"
                                      + "Content-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n")
                try await second.send(bytes: Array(repeating: 7, count: 100_000))
                for _ in 0..<30 {
                    if second.text.contains("HTTP/1.1") { break }
                    try await second.send(bytes: Array(repeating: 7, count: 100))
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(await second.received("upload_too_slow"), "\(second.text)")
                await second.close()
            }
        }
    }

    @Test func aVisitorUploadsAFileAndSendsItAndOtherTabsSeeIt() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                let limits = try #require(welcome["files"] as? [String: Any])
                #expect(limits["maxBytes"] as? Int == 10_000_000)
                #expect(limits["maxPerMessage"] as? Int == 10)
                #expect(limits["upload"] as? String == "widget/v1/files")
                let ticket = try #require(welcome.uploadTicket)

                // A file name with a path, quotes and a right-to-left override is cleaned.
                let up = try await files.upload(Self.bytes, name: "C:\\Users\\g\\\"plan\u{202E}fdp.exe", type: "application/pdf; charset=x", ticket: ticket)
                #expect(up.status == 201, "\(String(decoding: up.body, as: UTF8.self))")
                let id = try #require(up.json["id"] as? String)
                #expect(FileID.isValid(id))
                #expect(up.json["name"] as? String == "\"planfdp.exe")
                #expect(up.json["type"] as? String == "application/pdf")
                #expect(up.json["size"] as? Int == Self.bytes.count)

                // Not sent yet: nobody can fetch it (the upload is no file host).
                #expect(try await files.fetch("/widget/v1/files/\(id)").status == 404)

                // Sent from a second tab of the same visitor: this tab sees the message with its file.
                let token = try #require(welcome.string("token"))
                let acks = Collected<Int64>()
                try await WidgetClient.connect(baton.socketURL) { other in
                    _ = try await other.hello(token: token)
                    try await other.send(["type": "message", "clientId": "f1", "files": [id]])
                    let ack = try await other.expect("ack")
                    #expect(ack["duplicate"] as? Bool == false)
                    acks.append(try #require(ack.int("id")))
                }
                let seen = try await client.expect("message")
                #expect(seen.messageText == "")
                #expect(seen.messageFiles.count == 1)
                #expect(seen.messageFiles.first?["id"] as? String == id)
                #expect(seen.messageFiles.first?["size"] as? Int == Self.bytes.count)
                // Files alone: the bot has nothing to answer (and is not confused by it).
                _ = try await client.say("How much does it cost?", clientID: "t1")
                #expect(try await client.expect("message").messageText == "Baton is free to run on your own server.")

                // A resend of the same message is the same message.
                try await client.send(["type": "message", "clientId": "f1", "files": [id]])
                let again = try await client.expect("ack")
                #expect(again["duplicate"] as? Bool == true && again.int("id") == acks.last)
                // The same file in another message is refused.
                try await client.send(["type": "message", "clientId": "f2", "files": [id]])
                let reused = try await client.expect("error")
                #expect(reused.string("code") == "unknown_file" && reused.string("clientId") == "f2")

                // Sent, it is served: a PDF is a download, with no way to run as a page.
                let got = try await files.fetch("/widget/v1/files/\(id)/plan.pdf")
                #expect(got.status == 200)
                #expect(got.body == Self.bytes)
                #expect(got.header("content-type") == "application/pdf")
                #expect(got.header("content-disposition")?.hasPrefix("attachment; filename=\"\\\"planfdp.exe\"") == false)
                #expect(got.header("content-disposition")?.hasPrefix("attachment; filename=\"_planfdp.exe\"; filename*=UTF-8''%22planfdp.exe") == true)
                #expect(got.header("x-content-type-options") == "nosniff")
                #expect(got.header("content-security-policy") == "default-src 'none'; sandbox")

                // A file of several of the store's parts is served whole, its length known up front.
                let large: [UInt8] = (0..<(2 * 262_144 + 4321)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
                let bigUp = try await files.upload(large, name: "scan.tiff", type: "image/tiff", ticket: ticket)
                let bigID = try #require(bigUp.json["id"] as? String)
                try await client.send(["type": "message", "clientId": "f3", "files": [bigID]])
                _ = try await client.expect("ack")
                let big = try await files.fetch("/widget/v1/files/\(bigID)/scan.tiff")
                #expect(big.status == 200)
                #expect(big.header("content-length") == String(large.count))
                #expect(big.body == large)

                // The history after a reload carries the file too.
                try await WidgetClient.connect(baton.socketURL) { reload in
                    let resumed = try await reload.hello(token: token)
                    let withFile = resumed.messages.first { ($0["files"] as? [[String: Any]])?.isEmpty == false }
                    #expect((withFile?["files"] as? [[String: Any]])?.first?["name"] as? String == "\"planfdp.exe")
                }
            }
        }
    }

    @Test func imagesShowInlineAndPagesNever() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let ticket = try #require(try await client.hello().uploadTicket)
                let png = try await files.upload([0x89, 0x50, 0x4E, 0x47], name: "shot.png", type: "image/png", ticket: ticket)
                let html = try await files.upload(Array("<script>alert(1)</script>".utf8), name: "page.html", type: "text/html", ticket: ticket)
                let svg = try await files.upload(Array("<svg onload=alert(1)/>".utf8), name: "x.svg", type: "image/svg+xml", ticket: ticket)
                let ids = [png, html, svg].compactMap { $0.json["id"] as? String }
                #expect(ids.count == 3)
                try await client.send(["type": "message", "clientId": "m", "text": "three files", "files": ids])
                _ = try await client.expect("ack")

                let image = try await files.fetch("/widget/v1/files/\(ids[0])/shot.png")
                #expect(image.header("content-type") == "image/png")
                #expect(image.header("content-disposition")?.hasPrefix("inline;") == true)
                #expect(image.header("cross-origin-resource-policy") == "cross-origin")
                let asDownload = try await files.fetch("/widget/v1/files/\(ids[0])/shot.png?download")
                #expect(asDownload.header("content-disposition")?.hasPrefix("attachment;") == true)
                let page = try await files.fetch("/widget/v1/files/\(ids[1])")
                #expect(page.header("content-type") == "application/octet-stream")
                #expect(page.header("content-disposition")?.hasPrefix("attachment;") == true)
                let vector = try await files.fetch("/widget/v1/files/\(ids[2])")
                #expect(vector.header("content-type") == "application/octet-stream")
                // Only kinds no browser runs keep their type: a script's would run from a
                // page's <script src> (nosniff lets a JavaScript type through).
                for (type, served) in [("application/ecmascript", "application/octet-stream"), ("application/x-ecmascript", "application/octet-stream"),
                                       ("text/javascript", "application/octet-stream"), ("application/wasm", "application/octet-stream"),
                                       ("image/svg+xml", "application/octet-stream"), ("application/xhtml+xml", "application/octet-stream"),
                                       ("application/json", "application/octet-stream"), ("text/css", "application/octet-stream"),
                                       ("application/pdf", "application/pdf"), ("audio/mpeg", "audio/mpeg"), ("image/heic", "image/heic"),
                                       ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                                       ("application/vnd.ms-excel", "application/vnd.ms-excel"), ("application/zip", "application/zip"),
                                       ("application/vnd.api+json", "application/octet-stream")] {
                    #expect(FileRoutes.downloadType(type) == served, "\(type)")
                }
                #expect(vector.header("content-disposition")?.hasPrefix("attachment;") == true)
            }
        }
    }

    @Test func uploadsAreRefusedWithReasons() async throws {
        try await LiveBaton.run(configure: { $0.chat.maxFileBytes = 1000; $0.chat.maxUnsentFiles = 2 }) { baton in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                let ticket = try #require(welcome.uploadTicket)

                #expect(try await files.upload([1], name: "a", type: nil, ticket: nil).errorCode == "invalid_ticket")
                #expect(try await files.upload([1], name: "a", type: nil, ticket: "forged").status == 401)
                var tampered = Array(ticket)
                tampered[10] = tampered[10] == "A" ? "B" : "A"
                #expect(try await files.upload([1], name: "a", type: nil, ticket: String(tampered)).status == 401)
                let large = try await files.upload(Array(repeating: 7, count: 1001), name: "big.bin", type: nil, ticket: ticket)
                #expect(large.status == 413)
                #expect(large.errorCode == "file_too_large")
                #expect((large.json["error"] as? [String: Any])?["message"] as? String == "The file is larger than 1 KB.")
                // Sent without a length, it is refused once it passes the limit.
                #expect(try await files.upload(Array(repeating: 7, count: 1001), name: "big.bin", type: nil, ticket: ticket,
                                               chunked: true).errorCode == "file_too_large")
                #expect(try await files.upload([], name: "empty", type: nil, ticket: ticket).errorCode == "empty_file")

                // A file with no type is stored as bytes.
                let first = try await files.upload(Array(repeating: 1, count: 1000), name: "", type: nil, ticket: ticket, chunked: true)
                #expect(first.json["size"] as? Int == 1000)
                #expect(first.json["name"] as? String == "file")
                #expect(first.json["type"] as? String == "application/octet-stream")
                _ = try await files.upload([3], name: "b", type: nil, ticket: ticket)
                let third = try await files.upload([4], name: "c", type: nil, ticket: ticket)
                #expect(third.status == 429)
                #expect(third.errorCode == "too_many_uploads")
                // Each upload costs at least 100 KB of the visitor's 500 KB: the sixth is too fast.
                #expect(try await files.upload([5], name: "d", type: nil, ticket: ticket).errorCode == "too_many_uploads")
                let sixth = try await files.upload([6], name: "e", type: nil, ticket: ticket)
                #expect(sixth.status == 429)
                #expect(sixth.errorCode == "upload_rate_limited")
                #expect(Int(sixth.header("retry-after") ?? "") ?? 0 >= 1)

                // Frames naming files: not ids, nobody's, too many.
                try await client.send(["type": "message", "clientId": "x1", "files": ["../etc/passwd"]])
                #expect(try await client.expect("error").string("code") == "unknown_file")
                try await client.send(["type": "message", "clientId": "x2", "files": [FileID.newFile().rawValue]])
                #expect(try await client.expect("error").string("code") == "unknown_file")
                try await client.send(["type": "message", "clientId": "x3", "files": (0..<11).map { _ in FileID.newFile().rawValue }])
                #expect(try await client.expect("error").string("code") == "too_many_files")
                try await client.send(["type": "message", "clientId": "x4", "files": "nope"])
                #expect(try await client.expect("error").string("code") == "malformed_frame")
                try await client.send(["type": "message", "clientId": "x5", "text": "  ", "files": []])
                #expect(try await client.expect("error").string("code") == "empty_message")

                // Another visitor cannot send this visitor's upload.
                let id = try #require(first.json["id"] as? String)
                try await WidgetClient.connect(baton.socketURL) { stranger in
                    _ = try await stranger.hello()
                    try await stranger.send(["type": "message", "clientId": "s1", "files": [id]])
                    #expect(try await stranger.expect("error").string("code") == "unknown_file")
                }
            }
            #expect(try await files.fetch("/widget/v1/files/nope").status == 404)
            #expect(try await files.fetch("/widget/v1/files/\(FileID.newFile().rawValue)").errorCode == "unknown_file")
        }
    }

    /// A file with a caption while the bot asks its handover questions: the caption is not
    /// taken for the answer; the bot says it got the file and asks again.
    /// A visitor erased while their upload ticket still holds: an upload with it is
    /// refused as a ticket that no longer opens anything (it was a 500, a foreign key).
    @Test func anUploadAfterTheVisitorWasErasedIsRefused() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            let ticket = Collected<String>()
            let visitor = Collected<String>()
            _ = try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                ticket.append(try #require(welcome.uploadTicket))
                visitor.append(try #require(welcome.string("visitor")))
            }
            #expect(try await baton.services.chat.erase(visitor: VisitorID(visitor.last!)) != .notFound)
            let refused = try await files.upload([1, 2, 3], name: "late.txt", type: "text/plain", ticket: ticket.last!)
            #expect(refused.status == 401 && refused.errorCode == "invalid_ticket", "\(refused)")
        }
    }

    @Test func aFileWhileTheBotAsksIsNotTheAnswer() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                _ = try await client.say("talk to a person", clientID: "t1")
                _ = try await client.message(containing: "What's your name?")
                let ticket = try #require(welcome.uploadTicket)
                let up = try await files.upload(Self.bytes, name: "invoice.pdf", type: "application/pdf", ticket: ticket)
                let id = try #require(up.json["id"] as? String)
                try await client.send(["type": "message", "clientId": "f1", "text": "This invoice is wrong", "files": [id]])
                _ = try await client.expect("ack")
                let replies = try await client.until("the question again") { $0.type == "message" && $0.messageText == "What's your name?" }
                #expect(replies.contains { $0.messageText == "Thanks, I've got your file." })
                _ = try await client.say("Grace", clientID: "t2")
                _ = try await client.message(containing: "email address")
                let conversation = try #require((welcome["conversation"] as? [String: Any])?["id"] as? String)
                let stored = try #require(try await baton.services.store.conversation(id: ConversationID(conversation)))
                #expect(stored.variable("name") == "Grace")
            }
        }
    }

    @Test func filesCanBeTurnedOff() async throws {
        try await LiveBaton.run(configure: { $0.chat.maxFileBytes = 0 }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect(welcome["files"] == nil)
                try await client.send(["type": "message", "clientId": "x", "files": [FileID.newFile().rawValue]])
                #expect(try await client.expect("error").string("code") == "files_disabled")
            }
        }
    }

    @Test func aPageOfAnotherSiteMayUploadOnlyWhereTheWidgetMayBeEmbedded() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            // The browser asks first: the answer lets it send the ticket.
            let preflight = try await files.fetch("/widget/v1/files", method: .OPTIONS, headers: [
                ("Origin", "https://shop.example"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization,content-type"),
            ])
            #expect(preflight.status == 204)
            #expect(preflight.header("access-control-allow-origin") == "https://shop.example")
            #expect(preflight.header("access-control-allow-headers")?.lowercased().contains("authorization") == true)

            var widget = try #require(try await baton.services.store.widget(key: "demo"))
            // (The test socket's origin is ws://127.0.0.1, see BadInputTests.)
            widget.settings.allowedOrigins = ["https://shop.example", "ws://127.0.0.1"]
            try await baton.services.bots.save(widget)
            try await WidgetClient.connect(baton.socketURL) { client in
                let ticket = try #require(try await client.hello().uploadTicket)
                let allowed = try await files.upload([1], name: "a.txt", type: "text/plain", ticket: ticket, origin: "https://shop.example")
                #expect(allowed.status == 201)
                #expect(allowed.header("access-control-allow-origin") == "https://shop.example")
                let elsewhere = try await files.upload([1], name: "a.txt", type: "text/plain", ticket: ticket, origin: "https://evil.example")
                #expect(elsewhere.status == 403)
                #expect(elsewhere.errorCode == "origin_not_allowed")
                // Its refusal is readable by the page that made it.
                #expect(elsewhere.header("access-control-allow-origin") == "https://evil.example")
            }
        }
    }

    /// One ticket cannot hold many connections, each filling with a file's bytes.
    @Test func aVisitorsUploadsOnTheirWayAreFew() async throws {
        try await LiveBaton.run { baton in
            let files = FileTransfer(base: baton.http)
            try await WidgetClient.connect(baton.socketURL) { client in
                let ticket = try #require(try await client.hello().uploadTicket)
                var halfSent: [RawConnection] = []
                for index in 0..<UploadLimiter.maxInFlight {
                    let raw = try await RawConnection.open(port: baton.port)
                    try await raw.send("POST /widget/v1/files?name=slow\(index) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Authorization: Bearer \(ticket)\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "x", count: 100))
                    halfSent.append(raw)
                }
                // The server has begun reading all of them before the next one comes.
                try await Task.sleep(for: .milliseconds(300))
                let refused = try await files.upload([1, 2, 3], name: "one-more", type: nil, ticket: ticket)
                #expect(refused.status == 429 && refused.errorCode == "upload_rate_limited", "\(refused)")
                #expect(refused.header("retry-after") == "1")
                // Another visitor is not held up, and once one of them ends, so is this one.
                try await WidgetClient.connect(baton.socketURL) { other in
                    let theirs = try #require(try await other.hello().uploadTicket)
                    #expect(try await files.upload([1], name: "theirs", type: nil, ticket: theirs).status == 201)
                }
                await halfSent[0].close()
                var answer = refused
                for _ in 0..<50 where answer.status != 201 {
                    try await Task.sleep(for: .milliseconds(100))
                    answer = try await files.upload([1, 2, 3], name: "one-more", type: nil, ticket: ticket)
                }
                #expect(answer.status == 201, "\(answer)")
                for raw in halfSent { await raw.close() }
            }
        }
    }

    @Test func uploadsOnTheirWayAreCountedPerVisitor() {
        let limiter = UploadLimiter(maxFileBytes: 1_000_000)
        let ann = VisitorID("ann"), bob = VisitorID("bob")
        for _ in 0..<UploadLimiter.maxInFlight { #expect(limiter.start(by: ann)) }
        #expect(!limiter.start(by: ann))
        #expect(limiter.start(by: bob))
        limiter.finished(by: ann)
        #expect(limiter.start(by: ann))
        #expect(!limiter.start(by: ann))
    }

    @Test func aVisitorMayUploadFiveLargestFilesAtOnceThenOneAMinute() {
        let limiter = UploadLimiter(maxFileBytes: 1_000_000)
        let start = ContinuousClock.now
        let ann = VisitorID("ann"), bob = VisitorID("bob")
        for _ in 0..<5 { #expect(limiter.take(1_000_000, by: ann, now: start) == nil) }
        #expect(limiter.take(1_000_000, by: ann, now: start) == .seconds(60))
        // Small files cost 100 KB each; others are not held up.
        #expect(limiter.take(10, by: bob, now: start) == nil)
        #expect(limiter.take(1_000_000, by: ann, now: start + .seconds(60)) == nil)
        #expect(limiter.take(100_000, by: ann, now: start + .seconds(60)) != nil)
        #expect(limiter.take(100_000, by: ann, now: start + .seconds(66)) == nil)
    }
}
