import BatonCore
@testable import BatonMattermost
import BatonServer
@testable import BatonStore
import BatonTestSupport
import Foundation
import Logging
import MattermostSandbox
import Testing

/// Every message arrives exactly once, in order, whatever fails in between.
@Suite(.serialized) struct NothingLostTests {
    /// Visitor messages in the room, in order, as Baton posted them (messages that waited
    /// together go out as one post, a line each).
    func relayed(_ rig: HandoverRig, room: String) -> [String] { rig.relayed(in: room) }

    /// Agent messages as the visitor received them, in order.
    static func agentTexts(_ frames: [Frame]) -> [String] {
        frames.filter { $0.type == "message" && $0.message["role"] as? String == "agent" }.compactMap(\.messageText)
    }

    /// A chat with an agent who has written "one", which the visitor got: the body gets
    /// the rig, the visitor's widget, the room and the frames up to "one".
    private func afterFirstReply(baton tweak: @Sendable @escaping (inout BatonConfiguration) -> Void = { _ in },
                                 _ body: @Sendable @escaping (HandoverRig, WidgetClient, String, [Frame]) async throws -> Void) async throws {
        try await HandoverRig.run(baton: tweak) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                try rig.sandbox.post(as: "alice", in: room, "one")
                try await body(rig, client, room, try await client.until("one") { $0.messageText == "one" })
            }
        }
    }

    @Test func theEventSocketDroppedMidChat() async throws {
        try await afterFirstReply { rig, client, room, first in
            var frames = first
            // The socket drops; agents keep writing while Baton reconnects and catches up.
            rig.sandbox.dropWebSockets()
            for text in ["two", "three", "four"] { try rig.sandbox.post(as: "alice", in: room, text) }
            frames += try await client.until("four") { $0.messageText == "four" }
            try rig.sandbox.post(as: "alice", in: room, "five")
            frames += try await client.until("five") { $0.messageText == "five" }
            #expect(Self.agentTexts(frames) == ["one", "two", "three", "four", "five"])
            // And the visitor's side still flows.
            _ = try await client.say("still there?", clientID: "after-drop")
            try await eventually("the visitor message in the room") { relayed(rig, room: room).last == "still there?" }
        }
    }

    /// The socket dies without a word (no FIN, no close: a NAT's table flushed, a cable
    /// pulled): the ping it leaves unanswered ends it, Baton connects again and catches
    /// up, and the reply written meanwhile arrives. (Pinged every 30 s, as before, the
    /// stream stayed "connected" for most of a minute.)
    @Test func theEventSocketDeadWithoutAWord() async throws {
        try await afterFirstReply(baton: { $0.mattermostLimits.eventStreamPing = .milliseconds(500) }) { rig, client, room, first in
            var frames = first
            rig.sandbox.freezeWebSockets()
            try rig.sandbox.post(as: "alice", in: room, "two")
            frames += try await client.until("two") { $0.messageText == "two" }
            #expect(Self.agentTexts(frames) == ["one", "two"])
            #expect(rig.baton.services.mattermost.status(widgetKey: "demo")?.state == .connected)
        }
    }

    /// The whole path dies without a word, the API's kept-alive connections with the event
    /// stream (a NAT's table flushed): after the unanswered ping Baton catches up, and
    /// relays the visitor's next message, on new connections. (It used to send the
    /// catch-up on a dead pooled connection and wait out its 20-s read timeout.)
    @Test func deadPooledConnectionsAreGivenUpWithTheStream() async throws {
        try await afterFirstReply(baton: { $0.mattermostLimits.eventStreamPing = .milliseconds(500) }) { rig, client, room, first in
            var frames = first
            // Nothing under way: a request sent before the path died waits out its own
            // read timeout (the "taken" mark of Alice's first reply would hold the chat's
            // outbox for 20 s).
            try await eventually("the outbox empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
            rig.sandbox.freezeConnections()
            try rig.sandbox.post(as: "alice", in: room, "two")
            // Well before a request on a dead connection would have timed out (20 s).
            frames += try await client.until("two", within: .seconds(10)) { $0.messageText == "two" }
            #expect(Self.agentTexts(frames) == ["one", "two"])
            _ = try await client.say("still there?", clientID: "after-freeze")
            try await eventually("the visitor message in the room", seconds: 8) { relayed(rig, room: room).last == "still there?" }
        }
    }

    /// The catch-up after a reconnect fails (Mattermost answers 503 for a while): the room
    /// waits and reads again, so the reply made while the stream was down still arrives,
    /// before one made after (which moved the room past it, and it was lost for good).
    @Test func aFailedCatchUpIsTriedAgainBeforeLivePosts() async throws {
        try await afterFirstReply { rig, client, room, first in
            var frames = first
            rig.sandbox.refuseWebSockets(true)
            rig.sandbox.dropWebSockets()
            try await Task.sleep(for: .milliseconds(300))
            try rig.sandbox.post(as: "alice", in: room, "written while the stream was down")
            let posts = "/api/v4/channels/\(room)/posts"
            rig.sandbox.fail(next: 3, status: 503, pathPrefix: posts)
            rig.sandbox.refuseWebSockets(false)
            try await eventually("the catch-up refused", seconds: 20) {
                rig.sandbox.exchanges.contains { $0.method == "GET" && $0.path == posts && $0.status == 503 }
            }
            // The visitor writes meanwhile: Baton's own post comes back as an event, which
            // must not move the stalled room past what it missed.
            _ = try await client.say("anyone there?", clientID: "during-stall")
            try await eventually("the visitor's message in the room") { relayed(rig, room: room).last == "anyone there?" }
            try rig.sandbox.post(as: "alice", in: room, "written after")
            frames += try await client.until("the later reply") { $0.messageText == "written after" }
            #expect(Self.agentTexts(frames) == ["one", "written while the stream was down", "written after"])
        }
    }

    /// The event stream cannot come back (a proxy stopped passing WebSockets on) while the
    /// API works: the visitor's messages still reach the room, the status keeps saying why
    /// the stream is down, and once it is back the agents' replies of meanwhile arrive.
    @Test func theEventStreamIsRefusedWhileTheAPIWorks() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                rig.sandbox.refuseWebSockets(true)
                rig.sandbox.dropWebSockets()
                let refused = MattermostError.webSocketRefused(url: rig.sandbox.url).description
                try await eventually("the status to say why") { rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError == refused }
                _ = try await client.say("anyone there?", clientID: "refused-1")
                try await eventually("the visitor message in the room") { relayed(rig, room: room).last == "anyone there?" }
                #expect(rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError == refused, "a task's success does not hide it")
                #expect(rig.baton.services.mattermost.status(widgetKey: "demo")?.state != .connected)
                try rig.sandbox.post(as: "alice", in: room, "sorry, we were away")
                rig.sandbox.refuseWebSockets(false)
                let frames = try await client.until("the reply") { $0.messageText == "sorry, we were away" }
                #expect(Self.agentTexts(frames) == ["sorry, we were away"])
                try await eventually("connected again", seconds: 20) { rig.baton.services.mattermost.status(widgetKey: "demo")?.lastError == nil }
            }
        }
    }

    @Test func agentsWritingFasterThanBatonHandles() async throws {
        // Three waiting events per room at most: a burst of posts overflows the queue, and
        // the room reads what it let go from Mattermost.
        try await HandoverRig.run(baton: { $0.mattermostLimits.roomEventLimit = 3 }) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                rig.sandbox.clearExchanges()
                let texts = (1...60).map { "burst \($0)" }
                for text in texts { try rig.sandbox.post(as: "alice", in: room, text) }
                let frames = try await client.until("burst 60") { $0.messageText == "burst 60" }
                #expect(Self.agentTexts(frames).filter { $0.hasPrefix("burst") } == texts)
                // It did overflow: the room asked Mattermost for its posts.
                #expect(rig.sandbox.exchanges.contains { $0.method == "GET" && $0.path == "/api/v4/channels/\(room)/posts" })
                // Nothing came twice, later either.
                try rig.sandbox.post(as: "alice", in: room, "after the burst")
                let later = try await client.until("after the burst") { $0.messageText == "after the burst" }
                #expect(Self.agentTexts(later) == ["after the burst"])
            }
        }
    }

    @Test func mattermostDownForAWhile() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                await rig.sandbox.goDown()
                // Baton acknowledges: the messages are safe in its outbox.
                for i in 1...5 { _ = try await client.say("while down \(i)", clientID: "down-\(i)") }
                try await Task.sleep(for: .seconds(1))
                #expect(try await rig.baton.services.store.taskCount(widgetKey: "demo") == 5)
                try await rig.sandbox.comeBack()
                try await eventually("the messages in the room", seconds: 30) { relayed(rig, room: room).count == 5 }
                #expect(relayed(rig, room: room) == (1...5).map { "while down \($0)" })
                // What waited went out together, not as five posts.
                #expect(rig.messages(in: room, by: "relay").filter { $0.contains("while down") }.count < 5)
                // The event stream is back too.
                try rig.sandbox.post(as: "alice", in: room, "back")
                try await client.message(containing: "back")
            }
        }
    }

    /// An outage paused the outbox, for longer each time it failed (up to 30 s), and
    /// Mattermost is back: once its event stream opens again, what visitors wrote goes out
    /// at once. (It waited out the rest of the pause: about 30 s after a long outage.) The
    /// outage's pause is set here as a long one would have left it.
    @Test func theOutboxGoesOnOnceTheEventStreamIsBack() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                // The handover's tasks done: one that goes through ends an outage's pause.
                try await eventually("the handover's tasks done") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
                let link = try #require(rig.baton.services.mattermost.link(widgetKey: "demo"))
                // A task that completed just now may still end the outage (its completion is
                // counted before it says so): set until it holds.
                try await eventually("the outage set") {
                    link.outage.withLock { $0 = 8 }
                    link.pause(for: 60, outage: true)
                    try await Task.sleep(for: .milliseconds(200))
                    return link.outage.withLock { $0 } == 8
                }
                _ = try await client.say("written in the pause", clientID: "paused")
                try await Task.sleep(for: .milliseconds(500))
                #expect(relayed(rig, room: room).isEmpty)
                rig.sandbox.dropWebSockets()
                try await eventually("the message in the room", seconds: 10) { relayed(rig, room: room) == ["written in the pause"] }
            }
        }
    }

    /// A rate limit's pause is kept when the event stream opens again.
    @Test func aRateLimitOutlastsTheEventStreamsReturn() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                let link = try #require(rig.baton.services.mattermost.link(widgetKey: "demo"))
                link.pause(for: 6, outage: false)
                link.outage.withLock { $0 = 1 }
                _ = try await client.say("written in the pause", clientID: "paused")
                rig.sandbox.dropWebSockets()
                // The stream is back (it ended the outage), and the rate limit still holds.
                try await eventually("the stream open again") { link.outage.withLock { $0 } == 0 }
                let rateLimit = try #require(link.pausedUntil.withLock { $0.rateLimit })
                try await Task.sleep(for: .seconds(1))  // (time for a post, had the pause been lifted)
                if ContinuousClock.now < rateLimit - .seconds(1) { #expect(relayed(rig, room: room).isEmpty) }
                try await eventually("the message in the room", seconds: 12) { relayed(rig, room: room) == ["written in the pause"] }
            }
        }
    }

    @Test func rateLimited() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                rig.sandbox.rateLimit(next: 4, resetSeconds: 1)
                for i in 1...6 { _ = try await client.say("burst \(i)", clientID: "burst-\(i)") }
                try await eventually("the messages in the room", seconds: 30) { relayed(rig, room: room).count == 6 }
                #expect(relayed(rig, room: room) == (1...6).map { "burst \($0)" })
            }
            #expect(rig.sandbox.exchanges.contains { $0.status == 429 })
            #expect(try rig.contractViolations() == [])
        }
    }

    @Test func requestsFailingWithServerErrorsAreRetried() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            rig.sandbox.fail(next: 3, status: 500, pathPrefix: "/api/v4/channels")
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                // Created once, announced once, whatever failed on the way.
                #expect(rig.sandbox.channels(team: "support").filter { $0.name.hasPrefix("chat-") }.count == 1)
                #expect(rig.messages(in: rig.indexChannel!.id).filter { $0.contains("chat-\(conversation)") }.count == 1)
                #expect(rig.messages(in: room.id, by: "relay").count == 1)
            }
        }
    }

    /// While Mattermost restarts behind nginx, the proxy answers for it with an HTML error
    /// page: an outage, waited out with the link's short backoff, not a wrong address whose
    /// messages wait half a minute or more each.
    @Test(arguments: [502, 503, 504]) func aProxyAnswersForMattermostWhileItRestarts(_ status: Int) async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                rig.sandbox.answerAsProxy(next: 3, status: status)
                for i in 1...4 { _ = try await client.say("restart \(i)", clientID: "restart-\(i)") }
                // Well before a wrong address's first wait (30 s) would end, with room for a
                // slow machine: the backoff here is under a second.
                try await eventually("the messages in the room", seconds: 25) { relayed(rig, room: room).count == 4 }
                #expect(relayed(rig, room: room) == (1...4).map { "restart \($0)" })
            }
            #expect(rig.sandbox.exchanges.contains { $0.status == status })
        }
    }

    @Test func theSessionExpires() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                rig.sandbox.expireSessions()
                _ = try await client.say("after expiry", clientID: "exp-1")
                try await eventually("the message after a new login") { relayed(rig, room: room).last == "after expiry" }
                rig.sandbox.dropWebSockets()
                try rig.sandbox.post(as: "alice", in: room, "reconnected with a new session")
                try await client.message(containing: "reconnected with a new session")
            }
        }
    }

    /// Mattermost forgot the session (restarted, sessions revoked) and the stream dropped
    /// before any request noticed: the socket closes at the old token without a word, and
    /// that is taken as the session's end (it was retried with the old token until the
    /// next minute's check of the session).
    @Test func theStreamClosedAtTheOldTokenLogsInAgain() async throws {
        // The session's check as in a running Baton (the rig's is 0.5 s), past the test.
        try await HandoverRig.run(baton: { $0.mattermostLimits.sessionCheckInterval = .seconds(600) }) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                // Until the handover's requests are done: none of them is to find out.
                var seen = -1
                for _ in 0..<10 where seen != rig.sandbox.exchanges.count {
                    seen = rig.sandbox.exchanges.count
                    try await Task.sleep(for: .milliseconds(700))
                }
                rig.sandbox.expireSessions()
                rig.sandbox.dropWebSockets()
                try rig.sandbox.post(as: "alice", in: room, "answered after the sessions were gone")
                // After the stream's backoff, not at the session's next check (10 minutes).
                try await client.message(containing: "answered after the sessions were gone", within: .seconds(20))
            }
        }
    }

    /// The database could not take an agent's post (here a lock held past a write's wait
    /// for it, 5 s; a PostgreSQL restarting does the same): that post and the ones after it
    /// reach the visitor once it can, once each, in order. The post was dropped, and the
    /// room's cursor moved past it with the next one.
    @Test func anAgentPostTheDatabaseRefusedIsReadAgain() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await HandoverRig.run(database: .sqlite(path: folder.database)) { rig in
            try await rig.connect()
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation).id
                try await eventually("the handover's tasks done") { try await store.taskCount(widgetKey: "demo") == 0 }
                let blocker = try SQLiteHandle(path: folder.database)
                try blocker.run("BEGIN IMMEDIATE", [])
                try rig.sandbox.post(as: "alice", in: room, "first while locked")
                try await Task.sleep(for: .milliseconds(300))
                try rig.sandbox.post(as: "alice", in: room, "second while locked")
                try await Task.sleep(for: .seconds(7))
                try blocker.run("ROLLBACK", [])
                _ = try await client.message(containing: "first while locked")
                _ = try await client.message(containing: "second while locked")
                let texts = try await store.messages(in: ConversationID(conversation), after: 0, limit: 1000).map(\.text)
                #expect(texts.filter { $0 == "first while locked" }.count == 1 && texts.filter { $0 == "second while locked" }.count == 1)
                try rig.sandbox.post(as: "alice", in: room, "and after")
                _ = try await client.message(containing: "and after")
            }
        }
    }

    @Test(arguments: TestDatabase.available) func batonRestartedMidChat(_ database: TestDatabase) async throws {
        try await database.withLocation { location in try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let token = Collected<String>()
            let room = Collected<String>()
            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                try await rig.connect()
                try await WidgetClient.connect(rig.baton.socketURL) { client in
                    let welcome = try await client.hello()
                    token.append(welcome.string("token")!)
                    _ = try await client.say("Talk to a person", clientID: "r0", action: "handover")
                    for (i, answer) in ["Grace", "grace@example.com", "Support"].enumerated() {
                        _ = try await client.until("a question") { $0.type == "message" && ($0.messageText ?? "").hasSuffix("?") }
                        _ = try await client.say(answer, clientID: "r\(i + 1)")
                    }
                    try await client.message(containing: "handing you over")
                    let conversation = (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
                    room.append(try await rig.waitForRoom(conversation).id)
                    // Mattermost goes away; the visitor writes; Baton stops with tasks pending.
                    await sandbox.goDown()
                    for i in 1...3 { _ = try await client.say("before restart \(i)", clientID: "b\(i)") }
                }
            }
            // While Baton is stopped, Mattermost comes back and an agent answers.
            try await sandbox.comeBack()
            try sandbox.post(as: "alice", in: room.last!, "answered while Baton was down")
            // Baton starts again on the same database: it delivers both ways, once.
            try await HandoverRig.run(database: location, sandbox: sandbox) { rig in
                try await eventually("the visitor messages in the room", seconds: 30) {
                    relayedAll(rig, room: room.last!).filter { $0.hasPrefix("before restart") }.count == 3
                }
                #expect(relayedAll(rig, room: room.last!).filter { $0.hasPrefix("before restart") } == (1...3).map { "before restart \($0)" })
                try await WidgetClient.connect(rig.baton.socketURL) { client in
                    let welcome = try await client.hello(token: token.last!)
                    var texts = welcome.messages.compactMap { $0["text"] as? String }
                    // What the restarted Baton reads from Mattermost may come after the welcome:
                    // every message until the answer counts (the join comes before it).
                    if !texts.contains("answered while Baton was down") {
                        texts += try await client.until("the answer") { $0.messageText == "answered while Baton was down" }.compactMap(\.messageText)
                    }
                    #expect(texts.filter { $0 == "answered while Baton was down" }.count == 1)
                    #expect(texts.filter { $0 == "Alice Archer joined the chat." }.count == 1)
                }
            }
        } }
    }

    /// Baton stopped after posting a visitor message and before writing that its task was
    /// done (a crash, or a power cut that lost the completion): the next start finds the
    /// post and does not make it again, long after Mattermost's own de-duplication by
    /// `pending_post_id` has forgotten it (none at all here).
    @Test func aPostWhoseCompletionWasLostIsNotMadeAgain() async throws {
        try await restartingAfterLostCompletions { rig, client, room, _ in
            _ = try await client.say("only once", clientID: "c4")
            try await eventually("the message in the room") { relayed(rig, room: room) == ["only once"] }
            return ["only once"]
        } then: { rig, room in
            #expect(relayed(rig, room: room) == ["only once"])
        }
    }

    /// The same with several messages in one post (sent while Mattermost was away): the
    /// completion of all but the first was lost, so the next start begins at the second.
    /// The post that carried it among others counts as made (it was made again, from the
    /// second message on).
    @Test func aPostOfSeveralMessagesIsNotMadeAgainFromItsSecond() async throws {
        let texts = (1...4).map { "together \($0)" }
        try await restartingAfterLostCompletions { rig, client, room, sandbox in
            await sandbox.goDown()
            for (i, text) in texts.enumerated() { _ = try await client.say(text, clientID: "t\(i)") }
            try await sandbox.comeBack()
            try await eventually("the messages in the room", seconds: 30) { relayed(rig, room: room) == texts }
            // (The first may go alone, as Mattermost comes back.)
            let posts = rig.messages(in: room, by: "relay").map { post in texts.filter { post.contains($0) } }
            let together = try #require(posts.first { $0.count > 1 }, "a post of several: \(posts)")
            return Array(together.dropFirst())
        } then: { rig, room in
            #expect(relayed(rig, room: room) == texts)
        }
    }

    /// A chat handed over, on a SQLite database and a Mattermost that forgets resends at
    /// once; `talk` writes in it and names the messages whose completion is "lost": their
    /// tasks go back in the outbox, as before their post, and Baton starts again, to do
    /// them (`then` looks at the room once they are done).
    func restartingAfterLostCompletions(
        _ talk: @escaping @Sendable (HandoverRig, WidgetClient, String, MattermostSandbox) async throws -> [String],
        then check: @escaping @Sendable (HandoverRig, String) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var configuration = MattermostSandbox.Configuration()
        configuration.pendingPostWindow = .zero
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            HandoverRig.seed(sandbox)
            let room = Collected<String>(), conversation = Collected<String>(), lost = Collected<String>()
            try await HandoverRig.run(database: .sqlite(path: folder.database), sandbox: sandbox) { rig in
                try await rig.connect()
                try await WidgetClient.connect(rig.baton.socketURL) { client in
                    conversation.append(try await talkUntilHandover(client))
                    room.append(try await rig.waitForRoom(conversation.last!).id)
                    for text in try await talk(rig, client, room.last!, sandbox) { lost.append(text) }
                    try await eventually("the outbox to empty") { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
                }
            }
            let store = try await SQLStore.open(.sqlite(path: folder.database), logger: Logger(label: "test"))
            let id = ConversationID(conversation.last!)
            let messages = try await store.messages(in: id, after: 0, limit: 100).filter { lost.all.contains($0.text) }
            #expect(!messages.isEmpty)
            try await store.addTasks(messages.map { (id, .relay, $0.id) }, widgetKey: "demo")
            await store.close()
            try await HandoverRig.run(database: .sqlite(path: folder.database), sandbox: sandbox) { rig in
                try await eventually("the tasks done", seconds: 30) { try await rig.baton.services.store.taskCount(widgetKey: "demo") == 0 }
                try await check(rig, room.last!)
            }
        }
    }

    func relayedAll(_ rig: HandoverRig, room: String) -> [String] { relayed(rig, room: room) }
}

/// A socket that stays open but says nothing after its session ended.
@Suite struct QuietSocketTests {
    @Test func aQuietSocketWhoseSessionExpiredIsReplaced() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let room = try await rig.waitForRoom(try await talkUntilHandover(client)).id
                // The session ends and its socket goes quiet instead of closing.
                rig.sandbox.expireSessions()
                try rig.sandbox.post(as: "alice", in: room, "are you still there?")
                // The session check logs in again, replaces the socket, and catches up.
                try await client.message(containing: "are you still there?")
            }
        }
    }
}
