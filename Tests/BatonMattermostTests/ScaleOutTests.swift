import BatonCore
import BatonMattermost
@testable import BatonStore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Several Batons on one PostgreSQL database: a visitor's messages reach the room and
/// the agents' replies reach the visitor whichever Baton holds the widget's socket, and
/// when the Baton that runs the Mattermost link stops, another takes over.
@Suite(.serialized) struct ScaleOutTests {
    /// Two Batons sharing a database email a visitor once: the one that runs the Mattermost
    /// links does; when it stops, the other takes that over too, without mailing again what
    /// went before.
    @Test(.enabled(if: TestPostgres.isAvailable)) func oneBatonOfTwoEmailsTheMissedReplies() async throws {
        let catcher = try await SMTPCatcher.start()
        defer { Task { await catcher.stop() } }
        let mailing = MissedRepliesEmailTests.mailing(to: catcher)
        try await TestPostgres.withDatabase { location in
            try await MattermostSandbox.run { sandbox in
                HandoverRig.seed(sandbox)
                try await HandoverRig.run(database: .postgres(location), sandbox: sandbox, baton: mailing) { a in
                    try await a.connect()
                    try await HandoverRig.run(database: .postgres(location), sandbox: sandbox, baton: mailing) { b in
                        try await eventually("B knows the bot is connected") {
                            await b.baton.services.mattermost.isConnected(widgetKey: "demo")
                        }
                        // Grace chats on B and leaves after the handover.
                        let conversation = Collected<String>()
                        try await WidgetClient.connect(b.baton.socketURL) { client in conversation.append(try await talkUntilHandover(client)) }
                        let room = try await a.waitForRoom(try #require(conversation.all.first)).id
                        try sandbox.post(as: "alice", in: room, "Hello Grace")
                        #expect(try await catcher.waitForMails(1)[0].text.contains("Hello Grace"))
                        // B's dashboard shows the email A sent.
                        try await eventually("B reads that an email went") { try await b.baton.services.store.mailDelivery().lastSentAt != nil }
                        try await Task.sleep(for: .seconds(2))
                        #expect(catcher.mails.count == 1)

                        await a.baton.shutdown()
                        try await eventually("B runs the link", seconds: 20) {
                            b.baton.services.mattermost.status(widgetKey: "demo")?.state == .connected
                        }
                        try sandbox.post(as: "alice", in: room, "Still there?")
                        let second = try await catcher.waitForMails(2, seconds: 30)[1]
                        #expect(second.text.contains("Still there?") && !second.text.contains("Hello Grace"))
                        try await Task.sleep(for: .seconds(2))
                        #expect(catcher.mails.count == 2)
                    }
                }
            }
        }
    }

    /// A Baton whose listening connection was lost (the database restarting) missed what
    /// the other told meanwhile: its widgets get it once it listens again (an agent's reply
    /// stayed away until a reload).
    @Test(.enabled(if: TestPostgres.isAvailable)) func whatAListenerMissedReachesItsWidgets() async throws {
        try await TestPostgres.withDatabase { location in
            try await MattermostSandbox.run { sandbox in
                HandoverRig.seed(sandbox)
                try await HandoverRig.run(database: .postgres(location), sandbox: sandbox) { a in
                    try await a.connect()
                    try await HandoverRig.run(database: .postgres(location), sandbox: sandbox) { b in
                        try await eventually("B knows the bot is connected") {
                            await b.baton.services.mattermost.isConnected(widgetKey: "demo")
                        }
                        try await WidgetClient.connect(b.baton.socketURL) { client in
                            let room = try await a.waitForRoom(try await talkUntilHandover(client)).id
                            try sandbox.post(as: "alice", in: room, "Before the loss")
                            try await client.message(containing: "Before the loss")
                            // Every listening connection cut; A, which runs the link, stores
                            // the reply and tells it while B is not listening.
                            let terminated = Collected<Bool>()
                            try await b.baton.services.store.write { db in
                                for row in try await db.raw("SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()").all() {
                                    terminated.append(try row.decode(column: "gone", as: Bool.self))
                                }
                            }
                            #expect(terminated.all.contains(true), "no listening connection was cut: \(terminated.all)")
                            try sandbox.post(as: "alice", in: room, "Said while B was not listening")
                            try await client.message(containing: "Said while B was not listening")
                            try sandbox.post(as: "alice", in: room, "And after")
                            try await client.message(containing: "And after")
                        }
                    }
                }
            }
        }
    }

    @Test(.enabled(if: TestPostgres.isAvailable)) func twoBatonsOnOneDatabaseServeOneChatAndTakeOverFromEachOther() async throws {
        try await TestPostgres.withDatabase { location in
            try await MattermostSandbox.run { sandbox in
                HandoverRig.seed(sandbox)
                // Baton A starts first and runs the Mattermost link.
                try await HandoverRig.run(database: .postgres(location), sandbox: sandbox) { a in
                    try await a.connect()
                    #expect(a.baton.services.mattermost.isLeading)
                    // Baton B shares the database; the visitor's widget is connected to B.
                    try await HandoverRig.run(database: .postgres(location), sandbox: sandbox) { b in
                        try await eventually("B knows the bot is connected") {
                            await b.baton.services.mattermost.isConnected(widgetKey: "demo")
                        }
                        #expect(!b.baton.services.mattermost.isLeading)
                        try await WidgetClient.connect(b.baton.socketURL) { client in
                            // The handover on B: A opens the room.
                            let tickets = Collected<String>()
                            let room = try await a.waitForRoom(try await talkUntilHandover(client) {
                                if let ticket = $0.uploadTicket { tickets.append(ticket) }
                            }).id
                            // Alice answers in Mattermost: A hears it, the visitor on B gets it.
                            try sandbox.post(as: "alice", in: room, "Hello Grace, Alice here")
                            try await client.message(containing: "Alice Archer joined the chat.")
                            try await client.message(containing: "Hello Grace, Alice here")
                            try sandbox.typing(as: "alice", in: room)
                            let typing = try await client.until("typing") { $0.type == "typing" }.last!
                            #expect(typing.string("role") == "agent")
                            // The visitor's messages, taken by B, are posted by A, in order.
                            for i in 1...3 { _ = try await client.say("from B \(i)", clientID: "b\(i)") }
                            try await eventually("the visitor messages in the room") { a.relayed(in: room).count == 3 }
                            #expect(a.relayed(in: room) == ["from B 1", "from B 2", "from B 3"])

                            // Files: uploaded to A with B's ticket (one key), sent on B, posted by A;
                            // an agent's file, fetched by A, is served by B.
                            let bytes: [UInt8] = (0..<4000).map { UInt8($0 % 256) }
                            let up = try await FileTransfer(base: a.baton.http).upload(bytes, name: "log.bin", type: nil, ticket: tickets.last)
                            try await client.send(["type": "message", "clientId": "bf", "files": [try #require(up.json["id"] as? String)]])
                            _ = try await client.expect("ack")
                            try await eventually("the file in the room") {
                                sandbox.posts(in: room).contains { !sandbox.files(ofPost: $0.id).isEmpty }
                            }
                            let filePost = try #require(sandbox.posts(in: room).first { !sandbox.files(ofPost: $0.id).isEmpty })
                            #expect(sandbox.fileContents(id: sandbox.files(ofPost: filePost.id)[0].id) == bytes)
                            let upload = try sandbox.upload(as: "alice", in: room, name: "answer.bin", data: bytes.reversed())
                            try sandbox.post(as: "alice", in: room, "A file back", files: [upload.id])
                            let back = try await client.message(containing: "A file back")
                            let onB = FileTransfer(base: b.baton.http)
                            #expect(try await onB.fetch(onB.url(of: try #require(back.messageFiles.first))).body == bytes.reversed())

                            // A stops: B takes the link over and goes on, nothing lost or doubled.
                            await a.baton.shutdown()
                            try await eventually("B runs the link", seconds: 20) {
                                b.baton.services.mattermost.status(widgetKey: "demo")?.state == .connected
                            }
                            #expect(b.baton.services.mattermost.isLeading)
                            _ = try await client.say("after the takeover", clientID: "b4")
                            try await eventually("the message after the takeover") { a.relayed(in: room).count == 4 }
                            #expect(a.relayed(in: room) == ["from B 1", "from B 2", "from B 3", "after the takeover"])
                            try sandbox.post(as: "alice", in: room, "Still here")
                            try await client.message(containing: "Still here")
                            // Closed from the room: the visitor is told once.
                            try sandbox.post(as: "alice", in: room, "!close")
                            try await client.message(containing: "closed the chat")
                        }
                    }
                }
            }
        }
    }
}
