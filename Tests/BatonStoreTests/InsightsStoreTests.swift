import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import SQLKit
import Testing

/// The counts behind the dashboard's insights, on each database: when conversations were
/// handed over, whether an agent answered, how they were rated.
@Suite struct InsightsStoreTests {
    static let minute: Millis = 60_000
    /// 2026-12-01 09:00 UTC.
    static let t0: Millis = 1_796_115_600_000

    /// A conversation started at `start` by a new visitor of widget `widget`.
    private static func started(in store: SQLStore, at start: Millis, widget: String = "w") async throws -> Conversation {
        var visitor = Visitor.new()
        visitor.widgetKey = widget
        var conversation = Conversation.new(visitor.id, at: start)
        conversation.widgetKey = widget
        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                             messages: [NewMessage(role: .visitor, text: "hi", clientID: "c-\(conversation.id)", createdAt: start)]))
        return conversation
    }

    /// One step of `conversation` at `time`: moved to `state` (if given), with `messages`.
    @discardableResult
    private static func step(_ conversation: inout Conversation, in store: SQLStore, at time: Millis, to state: ConversationState? = nil,
                             rating: ChatRating? = nil, cause: HandoverCause? = nil, messages: [NewMessage] = []) async throws -> [Message] {
        let basis = conversation
        if let cause { conversation.progress.handoverCause = cause }
        if let state { try conversation.move(to: state, at: time) }
        if let rating { conversation.set(ChatRating.variable, to: rating.rawValue) }
        conversation.updatedAt = time
        return try await store.commit(ChangeSet(conversation: conversation, messages: messages, basis: basis))
    }

    @Test(arguments: StoreKind.available) func conversationsAreCountedByQuarterWithHandoversRepliesAndRatings(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (m, t0) = (Self.minute, Self.t0)
            // The bot alone.
            _ = try await Self.started(in: store, at: t0 + 1 * m)
            // Handed over at +12; an agent joins at +12:30 (that keeps the handover's time)
            // and writes at +13:10; closed and rated good.
            var answered = try await Self.started(in: store, at: t0 + 10 * m)
            try await Self.step(&answered, in: store, at: t0 + 12 * m, to: .waitingForAgent)
            try await Self.step(&answered, in: store, at: t0 + 12 * m + 30_000, to: .withAgent,
                                messages: [NewMessage(role: .system, text: "Alice joined the chat.", createdAt: t0 + 12 * m + 30_000)])
            try await Self.step(&answered, in: store, at: t0 + 13 * m + 10_000,
                                messages: [NewMessage(role: .agent, authorName: "Alice", text: "Hello", externalID: "p1", createdAt: t0 + 13 * m + 10_000)])
            let bye = try await Self.step(&answered, in: store, at: t0 + 20 * m,
                                          messages: [NewMessage(role: .agent, authorName: "Alice", text: "Bye", externalID: "p2", createdAt: t0 + 20 * m)])
            // A correction is not another message.
            try await Self.step(&answered, in: store, at: t0 + 20 * m + 1,
                                messages: [NewMessage(role: .agent, authorName: "Alice", text: "Bye!", externalID: "p2:edit", replaces: bye[0].id,
                                                      createdAt: t0 + 20 * m + 1)])
            try await Self.step(&answered, in: store, at: t0 + 21 * m, to: .closed)
            try await Self.step(&answered, in: store, at: t0 + 22 * m, rating: .good)
            // Handed over in its first step, closed without an agent's word, rated bad.
            var visitor = Visitor.new()
            var unanswered = Conversation.new(visitor.id, at: t0 + 20 * m)
            try unanswered.move(to: .waitingForAgent, at: t0 + 20 * m)
            visitor.name = "Una"
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: unanswered))
            try await Self.step(&unanswered, in: store, at: t0 + 40 * m, to: .closed)
            try await Self.step(&unanswered, in: store, at: t0 + 41 * m, rating: .bad)
            // Still waiting an hour later.
            var waiting = try await Self.started(in: store, at: t0 + 70 * m)
            try await Self.step(&waiting, in: store, at: t0 + 71 * m, to: .waitingForAgent)
            // Another widget, and a conversation before the range.
            var elsewhere = try await Self.started(in: store, at: t0 + 2 * m, widget: "other")
            try await Self.step(&elsewhere, in: store, at: t0 + 3 * m, to: .waitingForAgent)
            try await Self.step(&elsewhere, in: store, at: t0 + 5 * m,
                                messages: [NewMessage(role: .agent, authorName: "Bob", text: "Hi", externalID: "p3", createdAt: t0 + 5 * m)])
            _ = try await Self.started(in: store, at: t0 - 1)

            let range = InsightsFilter(start: t0, end: t0 + 24 * 60 * m, widgetKey: "w")
            let quarter = InsightsBucket.length
            #expect(try await store.insightBuckets(range) == [
                InsightsBucket(start: t0, started: 2, handedOver: 1, ratedGood: 1),
                InsightsBucket(start: t0 + quarter, started: 1, handedOver: 1, unanswered: 1, ratedBad: 1),
                InsightsBucket(start: t0 + 4 * quarter, started: 1, handedOver: 1),
            ])
            #expect(try await store.firstReplies(range) == [FirstReply(wait: 70_000, agent: "Alice")])
            #expect(try await store.agentActivity(range) == [AgentActivity(agent: "Alice", chats: 1, messages: 2)])
            // The conversation list finds the unanswered ones, and those started in a range.
            #expect(try await store.conversations(ConversationFilter(unanswered: true)).map(\.conversation.id) == [unanswered.id])
            #expect(try await store.conversations(ConversationFilter(unanswered: true, started: t0..<(t0 + 20 * m))).isEmpty)
            let early = try await store.conversations(ConversationFilter(widgetKey: "w", started: t0..<(t0 + 20 * m)))
            #expect(Set(early.map(\.conversation.id)).count == 2 && early.contains { $0.conversation.id == answered.id })
            // Every widget: the other one's chat too.
            let everyone = InsightsFilter(start: t0, end: t0 + 24 * 60 * m)
            #expect(try await store.insightBuckets(everyone).first == InsightsBucket(start: t0, started: 3, handedOver: 2, ratedGood: 1))
            #expect(try await store.firstReplies(everyone).map(\.wait).sorted() == [70_000, 120_000])
            #expect(Set(try await store.agentActivity(everyone)) == [AgentActivity(agent: "Alice", chats: 1, messages: 2),
                                                                    AgentActivity(agent: "Bob", chats: 1, messages: 1)])
            // The range's end is not in it.
            #expect(try await store.insightBuckets(InsightsFilter(start: t0, end: t0 + 1 * m)).isEmpty)
            #expect(try await store.insightBuckets(InsightsFilter(start: t0 - 1, end: t0)).map(\.started) == [1])
        }
    }

    /// A message an agent deleted answered nothing: not the first reply, not one of theirs,
    /// and a chat whose agent deleted every word is unanswered; the same after the sweep.
    /// The list counts no correction as a message, and its last message reads as corrected.
    @Test(arguments: StoreKind.available) func aDeletedAgentMessageCountsForNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (m, t0) = (Self.minute, Self.t0)
            func agent(_ name: String, _ text: String, _ post: String, at minute: Millis, replaces: Int64? = nil) -> NewMessage {
                NewMessage(role: .agent, authorName: name, authorID: name.lowercased(), text: text, externalID: post, replaces: replaces, createdAt: t0 + minute * m)
            }
            // Alice writes in the wrong chat and deletes it; Bob answers and edits his answer.
            var mixed = try await Self.started(in: store, at: t0 + 1 * m)
            try await Self.step(&mixed, in: store, at: t0 + 2 * m, to: .waitingForAgent, cause: .asked)
            let wrong = try await Self.step(&mixed, in: store, at: t0 + 3 * m, to: .withAgent, messages: [agent("Alice", "Your refund is on its way", "p1", at: 3)])
            try await Self.step(&mixed, in: store, at: t0 + 4 * m, messages: [agent("Alice", "", "p1:deleted", at: 4, replaces: wrong[0].id)])
            let answer = try await Self.step(&mixed, in: store, at: t0 + 5 * m, messages: [agent("Bob", "Hello", "p2", at: 5)])
            try await Self.step(&mixed, in: store, at: t0 + 6 * m, messages: [agent("Bob", "Hello Ann", "p2:edit:1", at: 6, replaces: answer[0].id)])
            let listed = try #require(try await store.listing(of: mixed.id))
            #expect(listed.messageCount == 3 && listed.lastMessage == "Hello Ann", "\(listed)")
            try await Self.step(&mixed, in: store, at: t0 + 7 * m, to: .closed)
            // Only a deleted message: unanswered, and the list says it was deleted.
            var deleted = try await Self.started(in: store, at: t0 + 20 * m)
            try await Self.step(&deleted, in: store, at: t0 + 21 * m, to: .waitingForAgent, cause: .asked)
            let only = try await Self.step(&deleted, in: store, at: t0 + 22 * m, to: .withAgent, messages: [agent("Alice", "Oops", "p3", at: 22)])
            try await Self.step(&deleted, in: store, at: t0 + 23 * m, messages: [agent("Alice", "", "p3:deleted", at: 23, replaces: only[0].id)])
            #expect(try await store.listing(of: deleted.id)?.lastMessage == "Message deleted")
            try await Self.step(&deleted, in: store, at: t0 + 24 * m, to: .closed)

            let range = InsightsFilter(start: t0, end: t0 + 24 * 60 * m)
            func read() async throws -> (Set<FirstReply>, Set<AgentActivity>, Int) {
                (Set(try await store.firstReplies(range)), Set(try await store.agentActivity(range)),
                 try await store.insightBuckets(range).map(\.unanswered).reduce(0, +))
            }
            let before = try await read()
            #expect(before.0 == [FirstReply(wait: 3 * m, agent: "Bob", agentID: "bob")])
            #expect(before.1 == [AgentActivity(agent: "Bob", agentID: "bob", chats: 1, messages: 1)])
            #expect(before.2 == 1)
            for conversation in [mixed, deleted] {
                #expect(try await store.eraseConversation(conversation.id, eraseRooms: false, keepingInsights: true) == .erased([conversation.id]))
            }
            let after = try await read()
            #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2, "\(after)")
        }
    }

    /// The retention period's sweep keeps what the insights count of a conversation, none
    /// of its words: the counts, waits, ratings, causes and agents read the same after it,
    /// the messages not understood are gone with the conversations. An admin's erasure
    /// takes a conversation out of the insights too.
    @Test(arguments: StoreKind.available) func sweptConversationsStillCount(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (m, t0) = (Self.minute, Self.t0)
            func agent(_ name: String, _ id: String?, _ post: String, at minute: Millis, replaces: Int64? = nil) -> NewMessage {
                NewMessage(role: .agent, authorName: name, authorID: id, text: "Hello", externalID: post, replaces: replaces, createdAt: t0 + minute * m)
            }
            // Answered by Alex (who then calls himself Alexander) and Sam, closed, rated good.
            var answered = try await Self.started(in: store, at: t0 + 1 * m)
            try await Self.step(&answered, in: store, at: t0 + 2 * m, to: .waitingForAgent, cause: .asked)
            let hello = try await Self.step(&answered, in: store, at: t0 + 3 * m, messages: [agent("Alex", "u1", "p1", at: 3), agent("Sam", nil, "p2", at: 4)])
            try await Self.step(&answered, in: store, at: t0 + 5 * m, messages: [agent("Alexander", "u1", "p1:edit", at: 5, replaces: hello[0].id),
                                                                                  agent("Alexander", "u1", "p3", at: 6)])
            try await Self.step(&answered, in: store, at: t0 + 7 * m, to: .closed, rating: .good)
            // Handed over because the bot did not understand, closed unanswered, rated bad.
            var unanswered = try await Self.started(in: store, at: t0 + 20 * m)
            var notUnderstood = NewMessage(role: .visitor, text: "Où est ma commande ?", clientID: "u-1", createdAt: t0 + 21 * m)
            notUnderstood.misunderstood = true
            try await Self.step(&unanswered, in: store, at: t0 + 21 * m, messages: [notUnderstood])
            try await Self.step(&unanswered, in: store, at: t0 + 22 * m, to: .waitingForAgent, cause: .notUnderstood)
            try await Self.step(&unanswered, in: store, at: t0 + 30 * m, to: .closed, rating: .bad)
            // The bot alone; another widget's, answered by Alexander.
            _ = try await Self.started(in: store, at: t0 + 40 * m)
            var elsewhere = try await Self.started(in: store, at: t0 + 50 * m, widget: "other")
            try await Self.step(&elsewhere, in: store, at: t0 + 51 * m, to: .waitingForAgent, cause: .byDesign)
            try await Self.step(&elsewhere, in: store, at: t0 + 53 * m, messages: [agent("Alexander", "u1", "p4", at: 53)])
            try await Self.step(&elsewhere, in: store, at: t0 + 54 * m, to: .closed)
            // Still with the agents: not swept.
            var open = try await Self.started(in: store, at: t0 + 60 * m)
            try await Self.step(&open, in: store, at: t0 + 61 * m, to: .waitingForAgent, cause: .asked)

            struct Read: Equatable {
                var buckets: [InsightsBucket], replies: Set<FirstReply>, report: InsightsReport, causes: [HandoverCause: Int], notUnderstood: Int
            }
            let days = LocalDays.ending(at: t0, days: 1, timeZone: TimeZone(identifier: "Europe/Berlin")!)
            func read(_ widget: String?) async throws -> Read {
                let filter = InsightsFilter(start: days.filter.start, end: days.filter.end, widgetKey: widget)
                let buckets = try await store.insightBuckets(filter), replies = try await store.firstReplies(filter)
                return Read(buckets: buckets, replies: Set(replies),
                            report: InsightsReport(days: days, buckets: buckets, firstReplies: replies, agents: try await store.agentActivity(filter)),
                            causes: try await store.handoverCauses(filter), notUnderstood: try await store.notUnderstood(filter, limit: 10).count)
            }
            let before = try await (read(nil), read("w"))
            #expect(before.0.report.started == 5 && before.0.report.handedOver == 4 && before.0.report.unanswered == 1)
            #expect(before.0.report.agents.map(\.name) == ["Alexander", "Sam"] && before.0.report.agents.map(\.chats) == [2, 1])
            #expect(before.0.causes == [.asked: 2, .notUnderstood: 1, .byDesign: 1, .unansweredQuestion: 0] && before.1.notUnderstood == 1)

            for conversation in [answered, unanswered, elsewhere] {
                #expect(try await store.eraseConversation(conversation.id, eraseRooms: false, keepingInsights: true) == .erased([conversation.id]))
            }
            let bot = try await store.conversations(ConversationFilter(widgetKey: "w")).first { $0.conversation.state == .bot }
            let botOnly = try #require(bot?.conversation.id)
            #expect(try await store.eraseConversation(botOnly, eraseRooms: false, keepingInsights: true) == .erased([botOnly]))
            #expect(try await store.eraseConversation(open.id, eraseRooms: false, keepingInsights: true) == .open(open.id))
            #expect(try await store.conversations(ConversationFilter()).map(\.conversation.id) == [open.id])

            let whole = InsightsFilter(start: days.filter.start, end: days.filter.end)
            #expect(try await store.sweptConversationCount(whole) == 4)
            #expect(try await store.sweptConversationCount(InsightsFilter(start: whole.start, end: whole.end, widgetKey: "other")) == 1)
            #expect(try await store.sweptConversationCount(InsightsFilter(start: t0 + 60 * m, end: whole.end)) == 0)
            var after = try await (read(nil), read("w"))
            #expect(after.0.notUnderstood == 0 && after.1.notUnderstood == 0)
            after.0.notUnderstood = before.0.notUnderstood
            after.1.notUnderstood = before.1.notUnderstood
            #expect(after.0 == before.0)
            #expect(after.1 == before.1)
            // Nothing of the visitors' or anyone's words is kept.
            for table in ["swept_conversations", "swept_agents"] {
                let rows = try await store.reader.raw("SELECT * FROM \(unsafeRaw: table)").all()
                #expect(rows.count == (table == "swept_conversations" ? 4 : 3))
                for row in rows {
                    for column in row.allColumns {
                        let text = (try? row.decode(column: column, as: String?.self)) ?? nil
                        #expect(![answered.id.rawValue, "Hello", "hi", "Où est ma commande ?"].contains(text ?? ""), "\(table).\(column)")
                    }
                }
            }

            // An admin's erasure keeps nothing: the open one, once closed, leaves the insights.
            try await Self.step(&open, in: store, at: t0 + 62 * m, to: .closed)
            #expect(try await store.eraseConversation(open.id) == .erased([open.id]))
            let gone = try await read(nil)
            #expect(gone.report.started == 4 && gone.report.handedOver == 3)
        }
    }

    /// On SQLite, the list's next page and the insights read through their indexes: a
    /// plan that sorts or scans every conversation made a 200,000-conversation database
    /// take seconds a page (docs/dashboard.md).
    /// What the bot did not understand: alike messages together (case and spaces aside),
    /// the most frequent first, each with its newest as written and that one's chat; only
    /// the conversations started in the range, of the bot asked for.
    @Test(arguments: StoreKind.available) func whatTheBotDidNotUnderstandIsListed(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            func misunderstood(_ text: String, at time: Millis) -> NewMessage {
                var message = NewMessage(role: .visitor, text: text, createdAt: time)
                message.misunderstood = true
                return message
            }
            var a = try await Self.started(in: store, at: Self.t0)
            try await Self.step(&a, in: store, at: Self.t0 + Self.minute, messages: [misunderstood("Do you ship to Mars?", at: Self.t0 + Self.minute),
                                                                                   NewMessage(role: .bot, text: "Pardon?")])
            // Alike but not the same text: punctuation, an accent, spaces inside.
            var c = try await Self.started(in: store, at: Self.t0 + 5 * Self.minute)
            try await Self.step(&c, in: store, at: Self.t0 + 6 * Self.minute, messages: [misunderstood("Do you ship to  Márs!?", at: Self.t0 + 6 * Self.minute)])
            var b = try await Self.started(in: store, at: Self.t0 + 10 * Self.minute)
            try await Self.step(&b, in: store, at: Self.t0 + 11 * Self.minute, messages: [misunderstood("  do you ship to mars? ", at: Self.t0 + 11 * Self.minute),
                                                                                        misunderstood("blorp", at: Self.t0 + 12 * Self.minute)])
            var other = try await Self.started(in: store, at: Self.t0 + 20 * Self.minute, widget: "x")
            try await Self.step(&other, in: store, at: Self.t0 + 21 * Self.minute, messages: [misunderstood("elsewhere", at: Self.t0 + 21 * Self.minute)])
            var late = try await Self.started(in: store, at: Self.t0 + 2 * 24 * 60 * Self.minute)
            try await Self.step(&late, in: store, at: Self.t0 + 2 * 24 * 60 * Self.minute, messages: [misunderstood("too late", at: Self.t0 + 2 * 24 * 60 * Self.minute)])

            let day = InsightsFilter(start: Self.t0, end: Self.t0 + 24 * 60 * Self.minute, widgetKey: "w")
            let found = try await store.notUnderstood(day, limit: 10)
            #expect(found == [NotUnderstood(text: "  do you ship to mars? ", count: 3, conversationID: b.id, lastAt: Self.t0 + 11 * Self.minute),
                              NotUnderstood(text: "blorp", count: 1, conversationID: b.id, lastAt: Self.t0 + 12 * Self.minute)], "\(found)")
            #expect(try await store.notUnderstood(day, limit: 1).map(\.count) == [3])
            #expect(NotUnderstood.key("  Où est ma COMMANDE ?! ") == "ou est ma commande")
            var everyBot = day
            everyBot.widgetKey = nil
            #expect(try await store.notUnderstood(everyBot, limit: 10).map(\.text).contains("elsewhere"))
            // The flag is read back with the message; the others have none.
            let messages = try await store.messages(in: a.id, after: 0, limit: 10)
            #expect(messages.map(\.misunderstood) == [false, true, false])
        }
    }

    /// Why the handed-over conversations of the range went to the agents.
    @Test(arguments: StoreKind.available) func handoversAreCountedByCause(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            for (minute, cause) in [(1, HandoverCause.asked), (2, .asked), (3, .notUnderstood), (4, .byDesign)] {
                var conversation = try await Self.started(in: store, at: Self.t0 + Millis(minute) * Self.minute)
                try await Self.step(&conversation, in: store, at: Self.t0 + Millis(minute + 1) * Self.minute, to: .waitingForAgent, cause: cause)
            }
            var older = try await Self.started(in: store, at: Self.t0 + 6 * Self.minute)  // handed over before causes were kept
            try await Self.step(&older, in: store, at: Self.t0 + 7 * Self.minute, to: .waitingForAgent)
            _ = try await Self.started(in: store, at: Self.t0 + 8 * Self.minute)  // the bot's alone
            let counts = try await store.handoverCauses(InsightsFilter(start: Self.t0, end: Self.t0 + 60 * Self.minute))
            #expect(counts == [.asked: 2, .notUnderstood: 1, .byDesign: 1, .unansweredQuestion: 0], "\(counts)")
            #expect(try await store.handoverCauses(InsightsFilter(start: Self.t0, end: Self.t0 + 60 * Self.minute, widgetKey: "x")).values.reduce(0, +) == 0)
        }
    }

    /// Agents are counted by who they are on the agent side, named as they last showed:
    /// one who renamed themselves is one agent, two who share a name are two; messages from
    /// before ids were kept count by name.
    @Test(arguments: StoreKind.available) func agentsAreCountedByWhoTheyAre(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (m, t0) = (Self.minute, Self.t0)
            func agent(_ name: String, _ id: String?, _ post: String, at minute: Millis) -> NewMessage {
                NewMessage(role: .agent, authorName: name, authorID: id, text: "Hello", externalID: post, createdAt: t0 + minute * m)
            }
            var first = try await Self.started(in: store, at: t0 + 1 * m)
            try await Self.step(&first, in: store, at: t0 + 2 * m, to: .waitingForAgent)
            try await Self.step(&first, in: store, at: t0 + 3 * m, messages: [agent("Alex", "u1", "p1", at: 3), agent("Sam", nil, "p2", at: 3)])
            var second = try await Self.started(in: store, at: t0 + 4 * m)
            try await Self.step(&second, in: store, at: t0 + 5 * m, to: .waitingForAgent)
            try await Self.step(&second, in: store, at: t0 + 6 * m, messages: [agent("Alexandra", "u1", "p3", at: 6), agent("Alex", "u2", "p4", at: 6)])
            let range = InsightsFilter(start: t0, end: t0 + 60 * m)
            #expect(Set(try await store.agentActivity(range)) == [
                AgentActivity(agent: "Alexandra", agentID: "u1", chats: 2, messages: 2),
                AgentActivity(agent: "Alex", agentID: "u2", chats: 1, messages: 1),
                AgentActivity(agent: "Sam", chats: 1, messages: 1),
            ])
            #expect(Set(try await store.firstReplies(range)) == [FirstReply(wait: m, agent: "Alex", agentID: "u1"),
                                                                 FirstReply(wait: m, agent: "Alexandra", agentID: "u1")])
            // Read back as stored, and in the report one agent each.
            #expect(try await store.message(externalID: "p3")?.authorID == "u1")
            let report = InsightsReport(days: LocalDays.ending(at: t0, days: 1, timeZone: TimeZone(identifier: "UTC")!),
                                        buckets: [], firstReplies: try await store.firstReplies(range), agents: try await store.agentActivity(range))
            #expect(report.agents.map(\.name) == ["Alexandra", "Alex", "Sam"])
            #expect(report.agents.first?.firstReplies?.count == 2)
        }
    }

    /// An admin's tries in the live preview are listed as such and counted nowhere in the
    /// insights, kept or swept; a try marked twice is one.
    @Test(arguments: StoreKind.available) func anAdminsTriesAreLeftOutOfTheInsights(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (m, t0) = (Self.minute, Self.t0)
            var visitors = try await Self.started(in: store, at: t0 + 1 * m)
            try await Self.step(&visitors, in: store, at: t0 + 2 * m, to: .waitingForAgent, cause: .asked)
            try await Self.step(&visitors, in: store, at: t0 + 3 * m, to: .closed, rating: .good)
            var tried = try await Self.started(in: store, at: t0 + 4 * m)
            try await store.markTried(tried.id, by: "admin@example.com")
            try await store.markTried(tried.id, by: "other@example.com")
            try await Self.step(&tried, in: store, at: t0 + 5 * m, to: .waitingForAgent, cause: .asked)
            try await Self.step(&tried, in: store, at: t0 + 6 * m, to: .closed, rating: .bad)
            let filter = InsightsFilter(start: t0, end: t0 + 60 * m)
            let report = InsightsReport(days: LocalDays.ending(at: t0, days: 1, timeZone: TimeZone(identifier: "UTC")!),
                                        buckets: try await store.insightBuckets(filter), firstReplies: [], agents: [])
            #expect(report.started == 1 && report.handedOver == 1 && report.unanswered == 1 && report.ratedGood == 1 && report.ratedBad == 0)
            #expect(try await store.handoverCauses(filter)[.asked] == 1)
            #expect(try await store.triedConversationCount(filter) == 1)
            #expect(try await store.triedConversationCount(InsightsFilter(start: t0, end: t0 + 60 * m, widgetKey: "other")) == 0)
            let listed = try await store.conversations(ConversationFilter())
            #expect(listed.first { $0.conversation.id == tried.id }?.triedBy == "admin@example.com")
            #expect(listed.first { $0.conversation.id == visitors.id }?.triedBy == nil)
            // The list of the unanswered (from the insights) has the visitors' alone.
            #expect(try await store.conversations(ConversationFilter(unanswered: true)).map(\.conversation.id) == [visitors.id])
            // Swept by the retention period: still counted nowhere; the mark goes with it.
            for conversation in [visitors, tried] {
                _ = try await store.eraseConversation(conversation.id, eraseRooms: false, keepingInsights: true)
            }
            #expect(try await store.sweptConversationCount(filter) == 1)
            #expect(try await store.triedConversationCount(filter) == 0)
            #expect(try await store.reader.raw("SELECT COUNT(*) AS n FROM tried_conversations").first()?.decode(column: "n", as: Int.self) == 0)
        }
    }

    @Test func theListAndTheInsightsReadThroughTheirIndexes() async throws {
        try await withStore { store, _ in
            func plan(_ query: SQLQueryString) async throws -> [String] {
                try await store.reader.raw("EXPLAIN QUERY PLAN " + query).all().map { try $0.decode(column: "detail", as: String.self) }
            }
            let page = try await plan(SQLStore.listingQuery(ConversationFilter(before: Self.t0, beforeID: ConversationID("x"))))
            #expect(page.contains { $0.contains("SEARCH c USING INDEX conversations_by_update (updated_at<?)") }, "\(page)")
            #expect(!page.contains { $0.contains("TEMP B-TREE FOR ORDER BY") }, "\(page)")
            // The CSV export's pages, by start.
            for widget in [nil, "w"] {
                let export = try await plan(SQLStore.listingQuery(ConversationFilter(widgetKey: widget, limit: 500, before: Self.t0, beforeID: ConversationID("x"),
                                                                                     started: 0..<(Self.t0 + 1), order: .started)))
                let index = widget == nil ? "conversations_by_creation" : "conversations_by_widget_creation"
                #expect(export.contains { $0.contains("SEARCH c USING INDEX \(index)") }, "\(export)")
                #expect(!export.contains { $0.contains("TEMP B-TREE FOR ORDER BY") }, "\(export)")
            }
            for widget in [nil, "w"] {
                let filter = InsightsFilter(start: Self.t0, end: Self.t0 + 1, widgetKey: widget)
                let index = widget == nil ? "conversations_by_creation (created_at>? AND created_at<?)"
                    : "conversations_by_widget_creation (widget_key=? AND created_at>? AND created_at<?)"
                for query in [try SQLStore.bucketsQuery(filter), SQLStore.firstRepliesQuery(filter), SQLStore.agentActivityQuery(filter)] {
                    let steps = try await plan(query)
                    #expect(steps.contains { $0.contains("SEARCH c USING INDEX \(index)") }, "\(steps)")
                    #expect(steps.contains { $0.contains("messages_by_agent") }, "\(steps)")
                }
                // What the retention period's sweep kept, through the indexes by start.
                let swept = widget == nil ? "_by_creation (created_at>? AND created_at<?)" : "_by_widget_creation (widget_key=? AND created_at>? AND created_at<?)"
                for (query, table) in [(SQLStore.sweptBucketsQuery(filter), "swept_conversations"), (SQLStore.sweptFirstRepliesQuery(filter), "swept_conversations"),
                                       (SQLStore.sweptCausesQuery(filter), "swept_conversations"), (SQLStore.sweptAgentsQuery(filter), "swept_agents")] {
                    let steps = try await plan(query)
                    #expect(steps.contains { $0.contains("SEARCH s USING INDEX \(table)\(swept)") }, "\(steps)")
                }
                let notUnderstood = try await plan(SQLStore.notUnderstoodQuery(filter, limit: 10))
                #expect(notUnderstood.contains { $0.contains("SEARCH c USING INDEX \(index)") }, "\(notUnderstood)")
                #expect(notUnderstood.contains { $0.contains("messages_misunderstood") }, "\(notUnderstood)")
            }
        }
    }

    /// A database from before the column: conversations handed over then get a time from
    /// their room, else their last update; the bot's own and a pending handover flow's do not.
    @Test(arguments: StoreKind.available) func anOlderDatabaseLearnsWhichConversationsWereHandedOver(_ kind: StoreKind) async throws {
        try await kind.withDatabase { open in
            let m = Self.minute, t0 = Self.t0
            var ids: [String: ConversationID] = [:]
            do {
                let store = try await open()
                func conversation(_ name: String, _ state: ConversationState, progress: BotProgress = .init(), at time: Millis) async throws -> Conversation {
                    let visitor = Visitor.new()
                    var conversation = Conversation.new(visitor.id, at: t0)
                    conversation.progress = progress
                    if state != .bot { try conversation.move(to: state == .closed ? .closed : .waitingForAgent, at: time) }
                    if state == .withAgent { try conversation.move(to: .withAgent, at: time) }
                    ids[name] = conversation.id
                    _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
                    return conversation
                }
                let withRoom = try await conversation("room", .closed, progress: BotProgress(handoverReason: "asked"), at: t0 + 30 * m)
                try await store.saveRoom(Room(conversationID: withRoom.id, widgetKey: "w", externalID: "ch1", name: "chat", link: "http://mm/ch1",
                                              cursor: t0 + 5 * m, createdAt: t0 + 5 * m))
                _ = try await conversation("waiting", .waitingForAgent, at: t0 + 7 * m)
                _ = try await conversation("agent", .withAgent, at: t0 + 8 * m)
                _ = try await conversation("noRoom", .closed, progress: BotProgress(handoverReason: "asked"), at: t0 + 9 * m)
                _ = try await conversation("pending", .closed, progress: BotProgress(flow: "contact", handoverPending: true, handoverReason: "asked"), at: t0 + 10 * m)
                _ = try await conversation("bot", .closed, at: t0 + 11 * m)
                _ = try await conversation("open", .bot, at: t0)
                // Back to version 11.
                try await store.write { db in
                    for statement in ["DROP INDEX conversations_by_creation", "DROP INDEX conversations_by_widget_creation",
                                      "DROP INDEX messages_by_agent", "ALTER TABLE conversations DROP COLUMN handed_over_at",
                                      "DELETE FROM schema_migrations WHERE version = 12"] {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                }
                await store.close()
            }
            let store = try await open()
            let handedOver = try await store.reader.raw("SELECT id, handed_over_at FROM conversations WHERE handed_over_at IS NOT NULL").all()
                .reduce(into: [ConversationID: Int64]()) {
                    $0[ConversationID(try $1.decode(column: "id", as: String.self))] = try $1.decode(column: "handed_over_at", as: Int64.self)
                }
            #expect(handedOver == [ids["room"]!: t0 + 5 * m, ids["waiting"]!: t0 + 7 * m, ids["agent"]!: t0 + 8 * m, ids["noRoom"]!: t0 + 9 * m])
            await store.close()
        }
    }
}
