import BatonCore
@testable import BatonServer
import BatonTestSupport
import Foundation
import Testing

@Suite struct TranscriptTextTests {
    /// 2026-12-04 23:59:58 UTC, in milliseconds.
    static let lateEvening: Millis = 1_796_428_798_000

    @Test func theTextNamesTheVisitorTheAnswersAndEveryMessage() throws {
        var conversation = Conversation(id: ConversationID("abcdefghijklmnopqrst"), widgetKey: "shop", visitorID: VisitorID("v1"),
                                        createdAt: Self.lateEvening, updatedAt: Self.lateEvening)
        conversation.set("name", to: "Grace Hopper")
        conversation.set("email", to: "grace@example.com")
        conversation.set("topic", to: "Sales\nand more")
        conversation.progress.handoverReason = "asked"
        try? conversation.move(to: .waitingForAgent)
        let listing = ConversationListing(conversation: conversation, visitorName: "Grace Hopper", visitorEmail: "grace@example.com",
                                          visitorUserID: "user-42", lastMessage: nil, messageCount: 6,
                                          roomLink: "https://chat.example/support/channels/chat-abc")
        let id = conversation.id
        func at(_ seconds: Int64) -> Millis { Self.lateEvening + seconds * 1000 }
        let file = Attachment(id: FileID("f1"), name: "invoice\n.pdf", contentType: "application/pdf", size: 1200)
        let messages = [
            Message(id: 1, conversationID: id, role: .bot, authorName: "Ada", text: #"Hi \[Grace\]!"#, createdAt: at(0)),
            Message(id: 2, conversationID: id, role: .visitor, text: "Two lines\nof text", files: [file], createdAt: at(1)),
            Message(id: 3, conversationID: id, role: .agent, authorName: "Alice Archer", text: "Hello Grace", createdAt: at(3)),
            Message(id: 4, conversationID: id, role: .agent, authorName: "Alice Archer", text: "Hello, Grace", replaces: 3, createdAt: at(4)),
            Message(id: 5, conversationID: id, role: .agent, authorName: "Alice Archer", text: "", replaces: 3, createdAt: at(5)),
            Message(id: 6, conversationID: id, role: .system, text: "Grace Hopper ended the chat.", createdAt: at(6)),
        ]
        let transcript = TranscriptText(listing: listing, botName: "Shop bot",
                                        page: VisitedPage(url: "https://shop.example/pricing", title: "Pricing"), messages: messages)
        #expect(transcript.text == """
            Chat with Grace Hopper <grace@example.com>
            Conversation abcdefghijklmnopqrst, bot Shop bot (shop), waiting for an agent
            Started 2026-12-04 23:59:58 UTC
            Signed in on the website as user-42 (verified)
            Page: Pricing <https://shop.example/pricing>
            Topic: Sales and more
            Handed over because: asked
            Mattermost room: https://chat.example/support/channels/chat-abc

            — 2026-12-04 —
            23:59:58  Ada (bot): Hi [Grace]!
            23:59:59  Grace Hopper: Two lines
                      of text
                      [file] invoice .pdf (1.2 KB)

            — 2026-12-05 —
            00:00:01  Alice Archer (agent): Hello Grace
            00:00:02  Alice Archer (agent) edited a message: Hello, Grace
            00:00:03  Alice Archer (agent) deleted a message
            00:00:04  * Grace Hopper ended the chat.

            """)
        #expect(transcript.fileName == "chat-shop-2026-12-04-abcdefghijklmnopqrst.txt")
        // In the reader's zone: the times, the days and the file's day move with it.
        var kolkata = transcript
        let kolkataZone = try #require(TranscriptText.timeZone(named: "Asia/Kolkata"))
        kolkata.timeZone = kolkataZone
        #expect(kolkata.text.contains("Started 2026-12-05 05:29:58 Asia/Kolkata (UTC+05:30)\n"))
        #expect(kolkata.text.contains("— 2026-12-05 —\n05:29:58  Ada (bot): Hi [Grace]!\n"))
        #expect(!kolkata.text.contains("— 2026-12-04 —"))
        #expect(kolkata.fileName == "chat-shop-2026-12-05-abcdefghijklmnopqrst.txt")
        var newYork = transcript
        let newYorkZone = try #require(TranscriptText.timeZone(named: "America/New_York"))
        newYork.timeZone = newYorkZone
        #expect(newYork.text.contains("Started 2026-12-04 18:59:58 America/New_York (UTC-05:00)\n"))
        for bad in ["Mars/Olympus", "../etc/passwd", "", String(repeating: "A", count: 65)] {
            #expect(TranscriptText.timeZone(named: bad) == nil, "\(bad)")
        }
    }

    @Test func anAdminDownloadsATranscript() async throws {
        try await AdminAPITests.withAdmin { baton, admin in
            let opened = Collected<String>()
            try await WidgetClient.connect(baton.socketURL) { visitor in
                let welcome = try await visitor.hello()
                opened.append((welcome["conversation"] as? [String: Any])?["id"] as? String ?? "")
                _ = try await visitor.say("How much does it cost?", clientID: "a1")
                _ = try await visitor.until("the answer") { ($0.messageText ?? "").contains("free") }
            }
            let conversation = try #require(opened.last)
            let answer = try await admin.get("/api/v1/conversations/\(conversation)/transcript")
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "Content-Type") == "text/plain; charset=utf-8")
            let disposition = try #require(answer.headers.first(name: "Content-Disposition"))
            #expect(disposition.hasPrefix("attachment; filename=\"chat-demo-") && disposition.hasSuffix("-\(conversation).txt\""))
            let lines = answer.text.split(separator: "\n").map(String.init)
            #expect(lines.first == "Chat with Visitor")
            #expect(lines[1] == "Conversation \(conversation), bot Demo (demo), with the bot")
            #expect(lines.contains { $0.hasSuffix("  Visitor: How much does it cost?") })
            #expect(lines.contains { $0.contains("  Ada (bot): ") && $0.contains("free") })
            #expect(try await admin.get("/api/v1/conversations/aaaaaaaaaaaaaaaaaaaa/transcript").status == 404)
            // In the reader's zone, named by the dashboard; in UTC for a zone Baton does not know.
            let zoned = try await admin.get("/api/v1/conversations/\(conversation)/transcript?tz=Asia/Tokyo")
            #expect(zoned.status == 200 && zoned.text.split(separator: "\n")[2].hasSuffix(" Asia/Tokyo (UTC+09:00)"))
            let unknown = try await admin.get("/api/v1/conversations/\(conversation)/transcript?tz=Mars/Olympus")
            #expect(unknown.status == 200 && unknown.text.split(separator: "\n")[2].hasSuffix(" UTC"), "\(unknown)")
            // The list's rating filter: nothing rated here.
            let rated = try await admin.get("/api/v1/conversations?rating=good")
            #expect(rated.status == 200)
            #expect((rated.json["conversations"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await admin.get("/api/v1/conversations?rating=meh").status == 400)
            // The list of one visitor's chats.
            let visitor = try #require((try await admin.get("/api/v1/conversations/\(conversation)").json["visitor"] as? [String: Any])?["id"] as? String)
            let theirs = try await admin.get("/api/v1/conversations?visitor=\(visitor)")
            #expect((theirs.json["conversations"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [conversation])
            let nobody = try await admin.get("/api/v1/conversations?visitor=aaaaaaaaaaaaaaaaaaaa")
            #expect((nobody.json["conversations"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await admin.get("/api/v1/conversations?visitor=Grace").status == 400)
            // Only for admins.
            #expect(try await AdminClient(base: baton.http).get("/api/v1/conversations/\(conversation)/transcript").status == 401)
        }
    }
}
