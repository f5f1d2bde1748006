import BatonCore
import BatonTestSupport
@testable import BatonServer
import Foundation
import Testing

/// The conversations' CSV file: one row each, the bot's answers in their own columns,
/// times in the reader's zone, nothing a spreadsheet would run.
@Suite struct ConversationCSVTests {
    /// 2026-12-04 23:59:58 UTC, in milliseconds.
    static let lateEvening: Millis = 1_796_428_798_000

    @Test func cellsAreQuotedWhereNeededAndFormulasNeutralised() {
        #expect(ConversationCSV.cell("Grace") == "Grace")
        #expect(ConversationCSV.cell("Hopper, Grace") == "\"Hopper, Grace\"")
        #expect(ConversationCSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ConversationCSV.cell("two\nlines") == "\"two\nlines\"")
        #expect(ConversationCSV.cell(" padded") == "\" padded\"")
        #expect(ConversationCSV.cell("=HYPERLINK(\"http://evil\",\"x\")") == "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"")
        for risky in ["+1 555", "-2", "@SUM(A1)", "\tx", "\rx"] {
            #expect(ConversationCSV.cell(risky).contains("'" + risky.prefix(1)), "\(risky)")
        }
        #expect(ConversationCSV.cell("") == "")
        #expect(ConversationCSV.row(["a", "b,c"]) == "a,\"b,c\"\r\n")
    }

    @Test func eachConversationIsARowWithTheBotsAnswersInColumns() throws {
        var grace = Conversation(id: ConversationID("abcdefghijklmnopqrst"), widgetKey: "shop", visitorID: VisitorID("v1"),
                                 createdAt: Self.lateEvening, updatedAt: Self.lateEvening + 60_000)
        grace.set("name", to: "Grace")
        grace.set("topic", to: "Sales")
        grace.set("phone", to: "+49 30 1234")
        grace.progress.handoverReason = "asked for a person"
        try grace.move(to: .waitingForAgent, at: Self.lateEvening + 30_000)
        try grace.move(to: .closed, at: Self.lateEvening + 60_000)
        grace.set(ChatRating.variable, to: "good")
        var ada = Conversation(id: ConversationID("bcdefghijklmnopqrstu"), widgetKey: "gone", visitorID: VisitorID("v2"),
                               createdAt: Self.lateEvening - 3_600_000, updatedAt: Self.lateEvening - 3_600_000)
        ada.set("order", to: "A-17")
        let listings = [
            ConversationListing(conversation: grace, visitorName: "Grace Hopper", visitorEmail: "grace@example.com", visitorUserID: "u-42",
                                lastMessage: "Thanks, bye", messageCount: 9, roomLink: "https://chat.example/t/channels/chat-abc",
                                handedOverAt: Self.lateEvening + 30_000),
            ConversationListing(conversation: ada, visitorName: nil, visitorEmail: nil, lastMessage: "=1+1", messageCount: 2, roomLink: nil,
                                triedBy: "admin@example.com"),
        ]
        // As the export writes it: the answers' columns first, then the header and the rows.
        var answers: [String] = [], seen = Set<String>()
        ConversationCSV.collectAnswers(of: listings, into: &answers, seen: &seen)
        let file = ConversationCSV(answers: answers, botNames: ["shop": "Shop, Inc."], timeZone: TimeZone(identifier: "Europe/Berlin")!,
                                   zoneName: "Europe/Berlin")
        let csv = file.header + listings.map(file.row).joined()
        #expect(csv.hasPrefix("\u{FEFF}Conversation,Bot,State,"))
        let lines = csv.dropFirst().components(separatedBy: "\r\n")
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[0] == "Conversation,Bot,State,Started (Europe/Berlin),Last change (Europe/Berlin),Name,Email,Website user id,"
            + "Handed over (Europe/Berlin),Handover reason,Closed (Europe/Berlin),Rating,Messages,Last message,Mattermost room,Tried by admin,topic,phone,order")
        #expect(lines[1] == "abcdefghijklmnopqrst,\"Shop, Inc.\",closed,2026-12-05 00:59:58,2026-12-05 01:00:58,Grace Hopper,grace@example.com,u-42,"
            + "2026-12-05 01:00:28,asked for a person,2026-12-05 01:00:58,good,9,\"Thanks, bye\",https://chat.example/t/channels/chat-abc,,Sales,'+49 30 1234,")
        #expect(lines[2] == "bcdefghijklmnopqrstu,gone,bot,2026-12-04 23:59:58,2026-12-04 23:59:58,,,,,,,,2,'=1+1,,admin@example.com,,,A-17")
    }
}

/// The export pages through every conversation while chats go on: one that changes
/// meanwhile keeps its place (by last update it would move above where the export has
/// got to, and be left out), and one that starts meanwhile is not half in it.
@Suite struct ConversationExportPagingTests {
    /// The store, with a change to the oldest conversation and a new conversation made
    /// right after the first page was read.
    struct BusyArchive: ConversationArchive {
        let store: any ConversationArchive & ChatStore
        let oldest: Conversation
        let pages = Counter()

        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private var count = 0
            func next() -> Int { lock.lock(); defer { lock.unlock() }; count += 1; return count }
        }

        func conversations(_ filter: ConversationFilter) async throws -> [ConversationListing] {
            let page = try await store.conversations(filter)
            if pages.next() == 1 {
                var changed = oldest
                changed.updatedAt = .now()
                _ = try await store.commit(ChangeSet(conversation: changed, messages: [NewMessage(role: .visitor, text: "still there?", clientID: "late")]))
                let visitor = Visitor(id: .random(), widgetKey: "demo", tokenHash: "late", createdAt: .now(), lastSeenAt: .now())
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation(id: .random(), widgetKey: "demo", visitorID: visitor.id,
                                                                                                 createdAt: .now(), updatedAt: .now())))
            }
            return page
        }
        func listing(of conversation: ConversationID) async throws -> ConversationListing? { try await store.listing(of: conversation) }
        func insightBuckets(_ filter: InsightsFilter) async throws -> [InsightsBucket] { try await store.insightBuckets(filter) }
        func firstReplies(_ filter: InsightsFilter) async throws -> [FirstReply] { try await store.firstReplies(filter) }
        func agentActivity(_ filter: InsightsFilter) async throws -> [AgentActivity] { try await store.agentActivity(filter) }
        func notUnderstood(_ filter: InsightsFilter, limit: Int) async throws -> [NotUnderstood] { try await store.notUnderstood(filter, limit: limit) }
        func handoverCauses(_ filter: InsightsFilter) async throws -> [HandoverCause: Int] { try await store.handoverCauses(filter) }
        func sweptConversationCount(_ filter: InsightsFilter) async throws -> Int { try await store.sweptConversationCount(filter) }
        func triedConversationCount(_ filter: InsightsFilter) async throws -> Int { try await store.triedConversationCount(filter) }
        func deleteTasks(widgetKey: String) async throws { try await store.deleteTasks(widgetKey: widgetKey) }
    }

    @Test func aConversationThatChangesDuringTheExportIsInItOnce() async throws {
        try await LiveBaton.run { baton in
            let store = baton.services.store, start: Millis = 1_764_000_000_000
            var ids: [ConversationID] = [], oldest: Conversation?
            for index in 0..<25 {
                let at = start + Millis(index) * 1_000
                let visitor = Visitor(id: .random(), widgetKey: "demo", tokenHash: "paging-\(index)", createdAt: at, lastSeenAt: at)
                let conversation = Conversation(id: .random(), widgetKey: "demo", visitorID: visitor.id, createdAt: at, updatedAt: at)
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
                ids.append(conversation.id)
                if index == 0 { oldest = conversation }
            }
            let filter = AdminAPI.exportFilter(ConversationFilter(widgetKey: "demo", limit: 10))
            let busy = BusyArchive(store: store, oldest: try #require(oldest))
            var exported: [ConversationID] = []
            for try await page in AdminAPI.ConversationPages(filter: filter, store: busy) {
                exported += page.map(\.conversation.id)
            }
            #expect(exported == ids.reversed(), "newest first by start, each once, the one started meanwhile left out")
        }
    }
}
