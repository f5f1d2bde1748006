import BatonCore
import Foundation
import Testing

/// The insights report: days in the reader's zone, the quarters put in them, the waits.
@Suite struct InsightsTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let kolkata = TimeZone(identifier: "Asia/Kolkata")!
    static let utc = TimeZone(identifier: "UTC")!

    @Test func datesAreReadOnlyWhenTheyExist() {
        #expect(LocalDate("2026-12-05")?.description == "2026-12-05")
        #expect(LocalDate("2028-02-29") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-12-32", "2026-2-05", "26-12-05", "2026-12-05T00", "2026/12/05", "", "1969-12-31", "abcd-ef-gh"] {
            #expect(LocalDate(bad) == nil, "\(bad)")
        }
    }

    @Test func daysAreCountedAcrossMonthsYearsAndLeapDays() throws {
        let first = try #require(LocalDate("2027-12-30"))
        #expect(first.adding(days: 3).description == "2028-01-02")
        #expect(try #require(LocalDate("2028-02-28")).adding(days: 1).description == "2028-02-29")
        #expect(try #require(LocalDate("2028-03-01")).adding(days: -1).description == "2028-02-29")
        #expect(try #require(LocalDate("1970-01-01")).dayNumber == 0)
        #expect(try #require(LocalDate("2026-12-05")).dayNumber == 20_792)
        for offset in stride(from: -800, through: 800, by: 37) {
            #expect(first.adding(days: offset).dayNumber == first.dayNumber + offset)
        }
    }

    @Test func aRangeCoversItsDaysInItsZoneAndRefusesWhatItCannot() throws {
        // The autumn clock change: 25 hours in Berlin's 2026-10-25.
        let days = try LocalDays(first: #require(LocalDate("2026-10-25")), last: #require(LocalDate("2026-10-25")), timeZone: Self.berlin)
        let (start, end) = days.filter
        #expect(start == 1_792_879_200_000)  // 2026-10-24 22:00 UTC
        #expect(end - start == 25 * 3_600_000)
        #expect(throws: LocalDays.Problem.endBeforeStart) {
            try LocalDays(first: #require(LocalDate("2026-12-05")), last: #require(LocalDate("2026-12-04")), timeZone: Self.utc)
        }
        #expect(throws: LocalDays.Problem.tooLong) {
            try LocalDays(first: #require(LocalDate("2025-01-01")), last: #require(LocalDate("2026-01-02")), timeZone: Self.utc)
        }
        #expect(try LocalDays(first: #require(LocalDate("2025-01-01")), last: #require(LocalDate("2026-01-01")), timeZone: Self.utc).count == 366)
        // The last 30 days end today in the zone: 2026-12-05 00:10 UTC is already the 5th in Kolkata, not yet in Los Angeles.
        let now: Millis = 1_796_429_400_000
        #expect(LocalDays.ending(at: now, days: 30, timeZone: Self.kolkata).last.description == "2026-12-05")
        #expect(LocalDays.ending(at: now, days: 30, timeZone: Self.kolkata).first.description == "2026-11-06")
        #expect(LocalDays.ending(at: now, days: 30, timeZone: TimeZone(identifier: "America/Los_Angeles")!).last.description == "2026-12-04")
    }

    @Test func quartersGoToTheReadersDaysAndHours() throws {
        let days = try LocalDays(first: #require(LocalDate("2026-11-30")), last: #require(LocalDate("2026-12-06")), timeZone: Self.kolkata)
        let (start, _) = days.filter
        #expect(start == 1_795_977_000_000)  // 2026-11-29 18:30 UTC, midnight in Kolkata
        let quarter = InsightsBucket.length
        let buckets = [
            // Monday 2026-11-30 00:00–00:15 in Kolkata.
            InsightsBucket(start: start, started: 3, handedOver: 1, ratedGood: 1),
            // Monday 23:45.
            InsightsBucket(start: start + 95 * quarter, started: 2, handedOver: 2, unanswered: 1, ratedBad: 1),
            // Tuesday 00:00.
            InsightsBucket(start: start + 96 * quarter, started: 1),
            // Sunday 2026-12-06 14:30.
            InsightsBucket(start: start + (6 * 96 + 58) * quarter, started: 4, handedOver: 1),
        ]
        let report = InsightsReport(days: days, buckets: buckets)
        #expect((report.started, report.handedOver, report.unanswered, report.ratedGood, report.ratedBad) == (10, 4, 1, 1, 1))
        #expect(report.botOnly == 6 && report.answered == 0 && report.waiting == 3 && report.firstReply == nil)
        #expect(report.perDay.map(\.date.description) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"])
        #expect(report.perDay.map(\.started) == [5, 1, 0, 0, 0, 0, 4])
        #expect(report.perDay.map(\.handedOver) == [3, 0, 0, 0, 0, 0, 1])
        #expect(report.byHour[0][0] == 3 && report.byHour[0][23] == 2 && report.byHour[1][0] == 1 && report.byHour[6][14] == 4)
        #expect(report.byHour.joined().reduce(0, +) == 10)
    }

    @Test func waitsForTheFirstReplyAreSummedUpByRank() throws {
        let days = LocalDays.ending(at: 1_796_429_400_000, days: 7, timeZone: Self.utc)
        let seconds: [Millis] = [40, 10, 20, 30, 50, 60, 70, 80, 90, 600].map { $0 * 1000 }
        let replies = seconds.enumerated().map { FirstReply(wait: $1, agent: $0 < 7 ? "Alice" : $0 < 9 ? "Bob" : nil) }
        let activity = [AgentActivity(agent: "Bob", chats: 4, messages: 9), AgentActivity(agent: "Alice", chats: 7, messages: 30),
                        AgentActivity(agent: nil, chats: 1, messages: 1), AgentActivity(agent: "Cleo", chats: 4, messages: 12)]
        let report = InsightsReport(days: days, buckets: [InsightsBucket(start: days.filter.start, started: 12, handedOver: 11)],
                                    firstReplies: replies, agents: activity)
        #expect(report.firstReply == InsightsReport.Waits(count: 10, median: 50_000, p90: 90_000, longest: 600_000))
        #expect(report.answered == 10 && report.waiting == 1)
        // Each agent: their chats and messages, and the first replies that were theirs.
        #expect(report.agents.map(\.name) == ["Alice", "Cleo", "Bob", InsightsReport.unnamedAgent])
        #expect(report.agents[0].firstReplies == InsightsReport.Waits(count: 7, median: 40_000, p90: 70_000, longest: 70_000))
        #expect(report.agents[1].firstReplies == nil && report.agents[1].messages == 12)
        #expect(report.agents[2].firstReplies == InsightsReport.Waits(count: 2, median: 80_000, p90: 90_000, longest: 90_000))
        #expect(report.agents[3].firstReplies?.count == 1 && report.agents[3].chats == 1)
        let one = InsightsReport(days: days, buckets: [], firstReplies: [FirstReply(wait: 5000, agent: "Alice")])
        #expect(one.firstReply == InsightsReport.Waits(count: 1, median: 5000, p90: 5000, longest: 5000))
    }

    /// Agents by their id on the agent side; what they wrote before ids were kept counts
    /// for the agent who now has that name; two agents of one name stay two.
    @Test func agentsAreOneEachWhateverTheirNames() {
        let days = LocalDays.ending(at: 1_796_429_400_000, days: 7, timeZone: Self.utc)
        let activity = [AgentActivity(agent: "Alex", agentID: "u1", chats: 2, messages: 3), AgentActivity(agent: "Alex", chats: 1, messages: 1),
                        AgentActivity(agent: "Robin", agentID: "u2", chats: 1, messages: 1), AgentActivity(agent: "Robin", agentID: "u3", chats: 1, messages: 2)]
        let replies = [FirstReply(wait: 1000, agent: "Alex"), FirstReply(wait: 3000, agent: "Alexander", agentID: "u1"),
                       FirstReply(wait: 2000, agent: "Robin", agentID: "u3")]
        let report = InsightsReport(days: days, buckets: [], firstReplies: replies, agents: activity)
        #expect(report.agents.map(\.name) == ["Alex", "Robin", "Robin"])
        #expect(report.agents[0].chats == 3 && report.agents[0].messages == 4 && report.agents[0].firstReplies?.count == 2)
        #expect(report.agents[1].messages == 2 && report.agents[1].firstReplies?.count == 1)
        #expect(report.agents[2].messages == 1 && report.agents[2].firstReplies == nil)
    }
}
