import BatonCore
import Foundation
import Hummingbird

/// How the conversations of a range of days went (the dashboard's Insights page).
extension AdminAPI {
    struct InsightsBody: Encodable {
        struct Ratings: Encodable { var good, bad: Int }
        struct Waits: Encodable {
            var count: Int
            var median, p90, longest: Int64
            init(_ waits: InsightsReport.Waits) {
                (count, median, p90, longest) = (waits.count, waits.median, waits.p90, waits.longest)
            }
        }
        struct Day: Encodable { var date: String; var started, handedOver: Int }
        struct Agent: Encodable { var name: String; var chats, messages: Int; var firstReplies: Waits? }
        struct Misunderstood: Encodable { var text: String; var count: Int; var conversationId: String; var lastAt: Int64 }
        struct Causes: Encodable { var asked = 0, notUnderstood = 0, byDesign = 0, unansweredQuestion = 0 }
        var from, to, timeZone: String
        var bot: String?
        /// The retention period: what it deleted still counts, but not in `notUnderstood`.
        var retentionDays: Int?
        /// Of `started`, how many the retention period deleted (no longer listed).
        var swept = 0
        /// Admins' tries in the live preview started in the range: not counted anywhere here.
        var tried = 0
        var started, handedOver, botOnly, answered, unanswered, waiting: Int
        var ratings: Ratings
        /// Absent when no handed-over visitor got an agent's message.
        var firstReply: Waits?
        var days: [Day]
        var hours: [[Int]]
        var agents: [Agent]
        /// What the bot did not understand, the most frequent first.
        var notUnderstood: [Misunderstood] = []
        /// Why the handed-over chats went to the agents.
        var handoverCauses = Causes()

        init(_ report: InsightsReport, timeZone: String, bot: String?) {
            from = report.days.first.description
            to = report.days.last.description
            self.timeZone = timeZone
            self.bot = bot
            started = report.started
            handedOver = report.handedOver
            botOnly = report.botOnly
            answered = report.answered
            unanswered = report.unanswered
            waiting = report.waiting
            ratings = Ratings(good: report.ratedGood, bad: report.ratedBad)
            firstReply = report.firstReply.map(Waits.init)
            agents = report.agents.map { Agent(name: $0.name, chats: $0.chats, messages: $0.messages, firstReplies: $0.firstReplies.map(Waits.init)) }
            days = report.perDay.map { Day(date: $0.date.description, started: $0.started, handedOver: $0.handedOver) }
            hours = report.byHour
        }
    }

    func registerInsights(on api: RouterGroup<BatonRequestContext>) {
        api.get("insights") { request, _ in
            let query = request.uri.queryParameters
            let (days, zone) = try Self.insightDays(from: query["from"].map(String.init), to: query["to"].map(String.init),
                                            timeZone: query["tz"].map(String.init))
            let bot = query["bot"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let (start, end) = days.filter
            let filter = InsightsFilter(start: start, end: end, widgetKey: bot)
            // Five reads of the same conversations, each on a reader of its own.
            async let buckets = services.store.insightBuckets(filter)
            async let firstReplies = services.store.firstReplies(filter)
            async let agents = services.store.agentActivity(filter)
            async let notUnderstood = services.store.notUnderstood(filter, limit: 10)
            async let causes = services.store.handoverCauses(filter)
            async let swept = services.store.sweptConversationCount(filter)
            async let tried = services.store.triedConversationCount(filter)
            let report = InsightsReport(days: days, buckets: try await buckets, firstReplies: try await firstReplies, agents: try await agents)
            var body = InsightsBody(report, timeZone: zone, bot: bot)
            body.retentionDays = config.retentionDays
            body.swept = try await swept
            body.tried = try await tried
            body.notUnderstood = try await notUnderstood.map {
                .init(text: $0.text, count: $0.count, conversationId: $0.conversationID.rawValue, lastAt: $0.lastAt)
            }
            let counted = try await causes
            body.handoverCauses = .init(asked: counted[.asked] ?? 0, notUnderstood: counted[.notUnderstood] ?? 0,
                                        byDesign: counted[.byDesign] ?? 0, unansweredQuestion: counted[.unansweredQuestion] ?? 0)
            return try Self.json(body)
        }
    }

    /// The days asked for: `from` and `to` (YYYY-MM-DD, both or neither; without them the
    /// last 30 days) in the zone `tz` names (an IANA name; one this server does not know
    /// gives UTC, and the answer says which), with the zone's name.
    static func insightDays(from: String?, to: String?, timeZone name: String?) throws -> (LocalDays, String) {
        let (timeZone, zone) = readerZone(named: name)
        guard from != nil || to != nil else { return (LocalDays.ending(at: .now(), days: 30, timeZone: timeZone), zone) }
        guard let from, let first = LocalDate(from), let to, let last = LocalDate(to) else {
            throw APIError(.badRequest, code: "invalid_date", "from and to must both be dates such as 2026-12-05, from 1970 to 9999.")
        }
        do {
            return (try LocalDays(first: first, last: last, timeZone: timeZone), zone)
        } catch .endBeforeStart {
            throw APIError(.badRequest, code: "invalid_range", "from must not be after to.")
        } catch .tooLong {
            throw APIError(.badRequest, code: "invalid_range", "A report covers at most \(LocalDays.maximumDays) days.")
        }
    }

    /// The zone an IANA name (`tz`) names, with that name; UTC for none or one this server
    /// does not know.
    static func readerZone(named name: String?) -> (zone: TimeZone, name: String) {
        name.flatMap { name in TranscriptText.timeZone(named: name).map { ($0, name) } } ?? (TimeZone(identifier: "UTC")!, "UTC")
    }
}
