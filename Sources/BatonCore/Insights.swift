import Foundation

/// What the dashboard's insights ask the store for: conversations started from `start`
/// (inclusive) to `end` (exclusive), of one widget or of all.
public struct InsightsFilter: Sendable, Hashable {
    public var start: Millis
    public var end: Millis
    public var widgetKey: String?

    public init(start: Millis, end: Millis, widgetKey: String? = nil) {
        self.start = start
        self.end = end
        self.widgetKey = widgetKey
    }
}

/// The conversations started in one quarter of an hour, counted. Quarters, because every
/// time zone's offset is a whole number of them: the report can put each quarter in the
/// reader's day and hour without the store knowing their zone.
public struct InsightsBucket: Sendable, Hashable {
    public static let length: Millis = 15 * 60_000

    /// The quarter's start, a multiple of `length` since 1970.
    public var start: Millis
    public var started: Int
    /// Of those, handed over to the agents.
    public var handedOver: Int
    /// Handed over and closed without a message from an agent.
    public var unanswered: Int
    public var ratedGood: Int
    public var ratedBad: Int

    public init(start: Millis, started: Int, handedOver: Int = 0, unanswered: Int = 0, ratedGood: Int = 0, ratedBad: Int = 0) {
        self.start = start
        self.started = started
        self.handedOver = handedOver
        self.unanswered = unanswered
        self.ratedGood = ratedGood
        self.ratedBad = ratedBad
    }
}

/// A handed-over conversation's first message from an agent: how long after the
/// handover it came (ms), and who wrote it (their name as the visitor saw it, and their id
/// on the agent side when it was kept).
public struct FirstReply: Sendable, Hashable {
    public var wait: Millis
    public var agent: String?
    public var agentID: String?

    public init(wait: Millis, agent: String?, agentID: String? = nil) {
        self.wait = wait
        self.agent = agent
        self.agentID = agentID
    }
}

/// Visitors' messages the bot did not understand, alike ones together (the same text,
/// case and surrounding spaces aside): the newest of them as written, how many there
/// were, and the conversation of the newest.
public struct NotUnderstood: Sendable, Hashable {
    public var text: String
    public var count: Int
    public var conversationID: ConversationID
    public var lastAt: Millis

    public init(text: String, count: Int, conversationID: ConversationID, lastAt: Millis) {
        self.text = text
        self.count = count
        self.conversationID = conversationID
        self.lastAt = lastAt
    }

    /// What alike messages share: the words, without case, accents, punctuation and extra
    /// spaces ("Où est ma commande ?!" and "ou est ma commande" are alike).
    public static func key(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .unicodeScalars.split { !CharacterSet.alphanumerics.contains($0) }
            .map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
    }
}

/// What one agent wrote in the conversations of a range: in how many, and how many
/// messages. An agent is their id on the agent side (`agentID`), with the name of their
/// latest message there; messages stored before ids were kept count by name.
public struct AgentActivity: Sendable, Hashable {
    public var agent: String?
    public var agentID: String?
    public var chats: Int
    public var messages: Int

    public init(agent: String?, agentID: String? = nil, chats: Int, messages: Int) {
        self.agent = agent
        self.agentID = agentID
        self.chats = chats
        self.messages = messages
    }

    /// Who wrote, as the store groups agents: their id where it was kept, else their name
    /// (the SQL of the kept conversations says the same: `COALESCE('id:' || …, 'name:' || …)`).
    public static func key(id: String?, name: String?) -> String {
        id.map { "id:\($0)" } ?? "name:\(name ?? "")"
    }
}

/// The visitors of one widget waiting for an agent now: how many, and since when the one
/// who waited longest was handed over.
public struct WaitingVisitors: Sendable, Hashable {
    public var widgetKey: String
    public var count: Int
    public var longestSince: Millis?

    public init(widgetKey: String, count: Int, longestSince: Millis?) {
        self.widgetKey = widgetKey
        self.count = count
        self.longestSince = longestSince
    }
}

/// Days of a calendar in one time zone, from `first` to `last` inclusive.
public struct LocalDays: Sendable, Hashable {
    /// The longest range a report covers.
    public static let maximumDays = 366

    public let first: LocalDate
    public let last: LocalDate
    public let timeZone: TimeZone

    public enum Problem: Error, Equatable {
        case endBeforeStart
        case tooLong
    }

    public init(first: LocalDate, last: LocalDate, timeZone: TimeZone) throws(Problem) {
        guard first <= last else { throw .endBeforeStart }
        self.first = first
        self.last = last
        self.timeZone = timeZone
        guard count <= Self.maximumDays else { throw .tooLong }
    }

    /// The `days` days that end today (in `timeZone`).
    public static func ending(at now: Millis, days: Int, timeZone: TimeZone) -> LocalDays {
        let today = LocalDate(at: now, in: timeZone)
        // A range of at most `maximumDays` days that ends where it starts or later: valid.
        return try! LocalDays(first: today.adding(days: -(min(max(days, 1), maximumDays) - 1)), last: today, timeZone: timeZone)
    }

    public var count: Int { last.dayNumber - first.dayNumber + 1 }

    /// The instants the range covers: the start of `first` to the start of the day after `last`.
    public var filter: (start: Millis, end: Millis) {
        (first.start(in: timeZone), last.adding(days: 1).start(in: timeZone))
    }
}

/// A day of the Gregorian calendar, without a time zone ("2026-12-05").
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    private static let calendar = Calendar(identifier: .gregorian)

    /// "YYYY-MM-DD", a date that exists; nil otherwise.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var utc = Self.calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        guard let date = utc.date(from: DateComponents(year: year, month: month, day: day)),
              utc.component(.day, from: date) == day else { return nil }
        self.init(year: year, month: month, day: day)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day it is at `time` in `timeZone`.
    public init(at time: Millis, in timeZone: TimeZone) {
        var calendar = Self.calendar
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(time) / 1000))
        self.init(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// Days since 1970-01-01 (a proleptic Gregorian count, for differences).
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public func adding(days: Int) -> LocalDate {
        // civil_from_days, the inverse of `dayNumber`.
        let z = dayNumber + days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return LocalDate(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// The first instant of the day in `timeZone` (midnight, or the first hour that exists
    /// where a clock change skips midnight).
    public func start(in timeZone: TimeZone) -> Millis {
        var calendar = Self.calendar
        calendar.timeZone = timeZone
        let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
        return Millis((calendar.startOfDay(for: noon).timeIntervalSince1970 * 1000).rounded())
    }

    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// How the conversations of a range of days went: how many started, how many the bot
/// handled alone, how long visitors waited for an agent's first message, how they rated
/// the chats; per day, and by weekday and hour, in the reader's time zone.
public struct InsightsReport: Sendable, Hashable {
    public struct Day: Sendable, Hashable {
        public var date: LocalDate
        public var started = 0
        public var handedOver = 0
    }

    /// One agent's part: the chats they wrote in, their messages, the chats where theirs
    /// was the first agent's message and how long those visitors waited for it.
    public struct Agent: Sendable, Hashable {
        public var name: String
        public var chats: Int
        public var messages: Int
        public var firstReplies: Waits?
    }

    /// How long handed-over visitors waited for an agent's first message (ms).
    public struct Waits: Sendable, Hashable {
        public var count: Int
        public var median: Millis
        public var p90: Millis
        public var longest: Millis

        public init(count: Int, median: Millis, p90: Millis, longest: Millis) {
            self.count = count
            self.median = median
            self.p90 = p90
            self.longest = longest
        }
    }

    public var days: LocalDays
    public var started = 0
    public var handedOver = 0
    /// Handed over, and an agent wrote to the visitor.
    public var answered = 0
    /// Handed over and closed without an agent's message.
    public var unanswered = 0
    public var ratedGood = 0
    public var ratedBad = 0
    public var firstReply: Waits?
    /// Every day of the range, in order, those without conversations included.
    public var perDay: [Day]
    /// Conversations started by weekday (0 is Monday) and hour of the day (0–23).
    public var byHour: [[Int]]
    /// The agents who wrote in these conversations, those in the most chats first.
    public var agents: [Agent] = []

    /// Handed over and neither answered nor closed yet.
    public var waiting: Int { max(0, handedOver - answered - unanswered) }
    /// Conversations the bot handled without the agents.
    public var botOnly: Int { started - handedOver }

    /// An agent without a name, as the visitor saw them.
    public static let unnamedAgent = "An agent"

    public init(days: LocalDays, buckets: [InsightsBucket], firstReplies: [FirstReply] = [], agents activity: [AgentActivity] = []) {
        self.days = days
        perDay = (0..<days.count).map { Day(date: days.first.adding(days: $0)) }
        byHour = Array(repeating: Array(repeating: 0, count: 24), count: 7)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = days.timeZone
        for bucket in buckets {
            started += bucket.started
            handedOver += bucket.handedOver
            unanswered += bucket.unanswered
            ratedGood += bucket.ratedGood
            ratedBad += bucket.ratedBad
            let instant = Date(timeIntervalSince1970: Double(bucket.start) / 1000)
            let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour], from: instant)
            let date = LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
            let index = date.dayNumber - days.first.dayNumber
            if perDay.indices.contains(index) {
                perDay[index].started += bucket.started
                perDay[index].handedOver += bucket.handedOver
            }
            // Calendar weekdays are 1 (Sunday) to 7 (Saturday).
            if let weekday = parts.weekday, let hour = parts.hour, (0..<24).contains(hour) {
                byHour[(weekday + 5) % 7][hour] += bucket.started
            }
        }
        answered = firstReplies.count
        firstReply = Waits(firstReplies.map(\.wait))
        // An agent is their id where it was kept, shown by the name of their latest
        // message; messages from before ids were kept count for the agent who now has
        // that name (else for the name alone).
        let name = { (agent: String?) in agent.flatMap { $0.isEmpty ? nil : $0 } ?? Self.unnamedAgent }
        var idByName: [String: String] = [:]
        for row in activity { if let id = row.agentID { idByName[name(row.agent)] = id } }
        let key = { (id: String?, agent: String?) in id.map { "id:\($0)" } ?? idByName[name(agent)].map { "id:\($0)" } ?? "name:\(name(agent))" }
        var byKey: [String: Agent] = [:]
        for row in activity {
            let k = key(row.agentID, row.agent)
            if row.agentID != nil || byKey[k] == nil { byKey[k, default: Agent(name: name(row.agent), chats: 0, messages: 0)].name = name(row.agent) }
            byKey[k]?.chats += row.chats
            byKey[k]?.messages += row.messages
        }
        for (k, replies) in Dictionary(grouping: firstReplies, by: { key($0.agentID, $0.agent) }) {
            byKey[k, default: Agent(name: name(replies[0].agent), chats: replies.count, messages: replies.count)].firstReplies = Waits(replies.map(\.wait))
        }
        agents = byKey.values.sorted { ($0.chats, $0.messages, $1.name) > ($1.chats, $1.messages, $0.name) }
    }
}

extension InsightsReport.Waits {
    /// The nearest-rank median and 90th percentile of `waits` (negative ones as 0); nil
    /// without any.
    init?(_ waits: [Millis]) {
        let sorted = waits.map { max(0, $0) }.sorted()
        guard let longest = sorted.last else { return nil }
        func rank(_ p: Double) -> Millis { sorted[max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        self.init(count: sorted.count, median: rank(0.5), p90: rank(0.9), longest: longest)
    }
}
