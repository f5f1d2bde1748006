import BatonCore
@testable import BatonServer
import BatonTestSupport
import Foundation
import Logging
import Testing

/// Deleting conversations and visitors from the admin API, and the retention sweep: what
/// the visitor's widget is told, and what is left.
@Suite struct ErasureAPITests {
    /// The conversation a welcome opened.
    static func conversation(of welcome: Frame) -> String {
        (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
    }

    @Test func anAdminDeletesAConversationAndTheOpenWidgetIsToldToDrawTheChatAgain() async throws {
        try await AdminAPITests.withAdmin { baton, admin in
            let files = FileTransfer(base: baton.http)
            let token = Collected<String>(), erased = Collected<String>(), fileURL = Collected<String>()
            let closing = try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                token.append(welcome.string("token") ?? "")
                let id = Self.conversation(of: welcome)
                erased.append(id)
                let up = try await files.upload([1, 2, 3], name: "a.bin", type: nil, ticket: welcome.uploadTicket)
                try await client.send(["type": "message", "clientId": "f", "text": "my file", "files": [up.json["id"] as? String ?? ""]])
                _ = try await client.until("ack")
                let detail = try await admin.get("/api/v1/conversations/\(id)")
                let sent = (detail.json["messages"] as? [[String: Any]])?.first { $0["text"] as? String == "my file" }
                fileURL.append(((sent?["files"] as? [[String: Any]])?.first?["url"] as? String) ?? "")
                #expect(try await files.fetch(fileURL.last!).status == 200)

                #expect(try await admin.send("DELETE", "/api/v1/conversations/\(id)").status == 204)
                let error = try await client.until("error").last
                #expect(error?.string("code") == "conversation_deleted")
                #expect(try await client.next() == nil)
            }
            #expect(closing?.closeCode.code == 4410)
            let id = erased.last!
            #expect(try await admin.get("/api/v1/conversations/\(id)").status == 404)
            #expect(try await files.fetch(fileURL.last!).status == 404)
            let again = try await admin.send("DELETE", "/api/v1/conversations/\(id)")
            #expect(again.status == 404 && again.errorCode == "unknown_conversation")
            // The widget opens the chat again: the same visitor, a new conversation.
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello(token: token.last!)
                #expect(Self.conversation(of: welcome) != id)
                #expect(welcome.messages.count == 1)
            }
        }
    }

    @Test func aChatWithTheAgentsIsClosedBeforeItIsDeleted() async throws {
        try await AdminAPITests.withAdmin { baton, admin in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                let id = Self.conversation(of: welcome)
                _ = try await client.say("talk to a person", clientID: "1")
                _ = try await client.message(containing: "name")
                _ = try await client.say("Zoë", clientID: "2")
                _ = try await client.message(containing: "email")
                _ = try await client.say("zoe@example.org", clientID: "3")
                _ = try await client.until("the topic") { !(($0.message["buttons"] as? [Any]) ?? []).isEmpty }
                _ = try await client.say("Support", clientID: "4")
                _ = try await client.until("waiting") { $0.string("state") == "waiting_for_agent" }

                let refused = try await admin.send("DELETE", "/api/v1/conversations/\(id)")
                #expect(refused.status == 409 && refused.errorCode == "conversation_open")
                let visitor = try await admin.get("/api/v1/conversations/\(id)").json["visitor"] as? [String: Any]
                let visitorID = try #require(visitor?["id"] as? String)
                let refusedVisitor = try await admin.send("DELETE", "/api/v1/visitors/\(visitorID)")
                #expect(refusedVisitor.status == 409 && refusedVisitor.errorCode == "conversation_open")

                // Closed from the dashboard, as an agent would: the visitor is told.
                let closed = try await admin.send("POST", "/api/v1/conversations/\(id)/close")
                #expect(closed.status == 200 && closed.json["state"] as? String == "closed")
                _ = try await client.until("closed") { $0.string("state") == "closed" }
                #expect(try await admin.send("POST", "/api/v1/conversations/\(id)/close").status == 200)
                #expect(try await admin.send("POST", "/api/v1/conversations/aaaaaaaaaaaaaaaaaaaa/close").status == 404)
                #expect(try await admin.send("DELETE", "/api/v1/conversations/\(id)").status == 204)
            }
        }
    }

    @Test func anAdminDeletesAVisitorAndTheWidgetStartsOver() async throws {
        try await AdminAPITests.withAdmin { baton, admin in
            let token = Collected<String>()
            let closing = try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                token.append(welcome.string("token") ?? "")
                _ = try await client.say("How much does it cost?", clientID: "a")
                _ = try await client.expect("message")
                let listed = try await admin.get("/api/v1/conversations")
                let row = try #require((listed.json["conversations"] as? [[String: Any]])?.first)
                let visitorID = try #require((row["visitor"] as? [String: Any])?["id"] as? String)
                // Whether the chats go from Mattermost too is "keep" or "erase", nothing else.
                let bad = try await admin.send("DELETE", "/api/v1/visitors/\(visitorID)?mattermost=yes")
                #expect(bad.status == 400 && bad.errorCode == "invalid_request")
                #expect(try await admin.send("DELETE", "/api/v1/visitors/\(visitorID)?mattermost=erase").status == 204)
                #expect(try await client.until("error").last?.string("code") == "unknown_visitor")
                #expect(try await client.next() == nil)
                #expect(try await admin.send("DELETE", "/api/v1/visitors/\(visitorID)").errorCode == "unknown_visitor")
            }
            #expect(closing?.closeCode.code == 4401)
            #expect((try await admin.get("/api/v1/conversations").json["conversations"] as? [Any])?.isEmpty == true)
            // The token opens nothing now.
            try await WidgetClient.connect(baton.socketURL) { client in
                try await client.send(["type": "hello", "widget": "demo", "token": token.last!])
                #expect(try await client.expect("error").string("code") == "unknown_visitor")
            }
        }
    }

    @Test func theRetentionSweepDeletesWhatIsOlderThanItsDays() async throws {
        try await AdminAPITests.withAdmin(configure: { $0.retentionDays = 30 }) { baton, admin in
            let chat = baton.services.chat
            let (quiet, helped) = (Collected<String>(), Collected<String>())
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                quiet.append(Self.conversation(of: welcome))
                _ = try await client.say("How much does it cost?", clientID: "a")
                _ = try await client.expect("message")
                _ = try await client.say("Zorglub blibber?", clientID: "b")
                _ = try await client.expect("message")
            }
            try await WidgetClient.connect(baton.socketURL) { client in
                helped.append(Self.conversation(of: try await client.hello()))
                _ = try await client.say("talk to a person", clientID: "1")
                _ = try await client.message(containing: "name")
            }
            let store = baton.services.store
            let insights = try await admin.get("/api/v1/insights").json
            #expect(insights["started"] as? Int == 2 && (insights["notUnderstood"] as? [Any])?.count == 1, "\(insights)")
            #expect(insights["retentionDays"] as? Int == 30 && insights["swept"] as? Int == 0)
            // 29 days on, nothing is old enough; 31 days on, the chat with the bot goes
            // with its visitor. The one collecting the visitor's details is the bot's too.
            let now = Millis.now()
            let early = RetentionSweeper(chat: chat, days: 30, interval: .seconds(3600), logger: Logger(label: "test"),
                                         clock: { now + 29 * 86_400_000 })
            #expect(await early.sweepOnce() == SweepResult())
            let late = RetentionSweeper(chat: chat, days: 30, interval: .seconds(3600), logger: Logger(label: "test"),
                                        clock: { now + 31 * 86_400_000 })
            let result = try #require(await late.sweepOnce())
            #expect(result.conversations == 2 && result.visitors == 2)
            #expect(try await store.conversation(id: ConversationID(quiet.last!)) == nil)
            #expect(try await store.conversation(id: ConversationID(helped.last!)) == nil)
            // The insights still count them; what the bot did not understand went with them.
            var swept = try await admin.get("/api/v1/insights").json
            #expect((swept["notUnderstood"] as? [Any])?.isEmpty == true && swept["swept"] as? Int == 2)
            for key in ["notUnderstood", "from", "to", "swept"] { swept[key] = nil }
            var kept = insights
            for key in ["notUnderstood", "from", "to", "swept"] { kept[key] = nil }
            #expect(NSDictionary(dictionary: swept) == NSDictionary(dictionary: kept), "\(swept)")
        }
    }

    @Test(.enabled(if: TestPostgres.isAvailable)) func aDeletionOnOneBatonReachesTheWidgetOnAnother() async throws {
        try await TestPostgres.withDatabase { location in
            try await LiveBaton.run(configure: { $0.database = .postgres(location) }) { a in
                try await LiveBaton.run(configure: { $0.database = .postgres(location) }) { b in
                    let token = Collected<String>()
                    // The widget is on B; A deletes its conversation.
                    let first = try await WidgetClient.connect(b.socketURL) { client in
                        let welcome = try await client.hello()
                        token.append(welcome.string("token") ?? "")
                        _ = try await client.say("How much does it cost?", clientID: "a")
                        _ = try await client.expect("message")
                        let id = ConversationID(Self.conversation(of: welcome))
                        #expect(try await a.services.chat.erase(conversation: id) == .erased([id]))
                        #expect(try await client.until("error").last?.string("code") == "conversation_deleted")
                    }
                    #expect(first?.closeCode.code == 4410)
                    // B forgot it too: the visitor goes on in a new conversation. Then A
                    // deletes the visitor.
                    let second = try await WidgetClient.connect(b.socketURL) { client in
                        let welcome = try await client.hello(token: token.last!)
                        let id = ConversationID(Self.conversation(of: welcome))
                        _ = try await client.say("How much does it cost?", clientID: "a")
                        _ = try await client.expect("message")
                        let visitor = try #require(try await b.services.store.conversation(id: id)).visitorID
                        #expect(try await a.services.chat.erase(visitor: visitor) == .erased([id]))
                        #expect(try await client.until("error").last?.string("code") == "unknown_visitor")
                    }
                    #expect(second?.closeCode.code == 4401)
                }
            }
        }
    }

    @Test func theRetentionPeriodIsReadFromTheEnvironment() throws {
        #expect(try BatonConfiguration.fromEnvironment(["BATON_RETENTION_DAYS": "90"]).retentionDays == 90)
        #expect(try BatonConfiguration.fromEnvironment(["BATON_RETENTION_DAYS": "0"]).retentionDays == nil)
        #expect(try BatonConfiguration.fromEnvironment([:]).retentionDays == nil)
        for bad in ["-1", "ninety", "36501", "1.5"] {
            #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_RETENTION_DAYS": bad]) }
        }
        // What the sweep does in Mattermost: keep (the default) or erase.
        #expect(try BatonConfiguration.fromEnvironment([:]).retentionErasesMattermost == false)
        #expect(try BatonConfiguration.fromEnvironment(["BATON_RETENTION_MATTERMOST": "erase"]).retentionErasesMattermost)
        #expect(try BatonConfiguration.fromEnvironment(["BATON_RETENTION_MATTERMOST": "keep"]).retentionErasesMattermost == false)
        #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_RETENTION_MATTERMOST": "yes"]) }
    }
}
