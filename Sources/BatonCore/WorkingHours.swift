import Foundation

/// When people answer a widget's chats: opening times per weekday in one time zone.
/// Outside them a handover still opens the room in Mattermost (agents find it when they
/// are back), and the visitor is told when that will be instead of being promised a reply
/// "shortly".
public struct WorkingHours: Sendable, Codable, Hashable {
    /// An IANA time zone, e.g. `Europe/Berlin`.
    public var timeZone: String
    /// Opening times of each weekday, Monday first (7 entries); an empty day is closed.
    public var days: [[Interval]]
    /// What the visitor is told on a handover outside the hours; `{{opens}}` becomes when
    /// they open next ("on Monday at 09:00 (Europe/Berlin time)"). A default when nil.
    public var awayMessage: String?
    /// Whole days closed whatever their weekday (holidays), as `YYYY-MM-DD` in the time zone.
    public var closedDates: [String]

    /// From `from` to `to`, in minutes after midnight (`to` may be 1440, the day's end).
    public struct Interval: Sendable, Codable, Hashable {
        public var from: Int
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }

        /// "09:00-17:30" (an en dash or spaces around the dash are fine too; "24:00" ends
        /// the day). Nil when it is not such a range or does not end after it starts.
        public init?(parsing text: String) {
            let parts = text.replacingOccurrences(of: "–", with: "-").split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let from = Self.minutes(parts[0]), let to = Self.minutes(parts[1]), from < to, from < 1440 else { return nil }
            self.init(from: from, to: to)
        }

        /// A range as written for one day, which may run past midnight ("22:00-06:00"):
        /// the part on that day, and the part on the next day (nil when it ends at
        /// midnight). Nil when it is not a range, or starts and ends at the same time.
        public static func overnight(parsing text: String) -> (day: Interval, nextDay: Interval?)? {
            if let plain = Interval(parsing: text) { return (plain, nil) }
            let parts = text.replacingOccurrences(of: "–", with: "-").split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let from = minutes(parts[0]), let to = minutes(parts[1]), to < from, from < 1440 else { return nil }
            return (Interval(from: from, to: 1440), to == 0 ? nil : Interval(from: 0, to: to))
        }

        private static func minutes(_ text: Substring) -> Int? {
            let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
                  let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...59).contains(minutes),
                  (0...23).contains(hours) || (hours == 24 && minutes == 0) else { return nil }
            return hours * 60 + minutes
        }

        /// "09:00-17:30".
        public var text: String { "\(Self.clock(from))-\(Self.clock(to))" }

        static func clock(_ minutes: Int) -> String {
            let hours = minutes / 60, rest = minutes % 60
            return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
        }
    }

    public static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    public init(timeZone: String, days: [[Interval]], awayMessage: String? = nil, closedDates: [String] = []) {
        self.timeZone = timeZone
        self.days = days
        self.awayMessage = awayMessage
        self.closedDates = closedDates
    }

    enum CodingKeys: String, CodingKey { case timeZone, days, awayMessage, closedDates }

    /// Hours stored before closed dates existed have none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeZone = try c.decode(String.self, forKey: .timeZone)
        days = try c.decode([[Interval]].self, forKey: .days)
        awayMessage = try c.decodeIfPresent(String.self, forKey: .awayMessage)
        closedDates = try c.decodeIfPresent([String].self, forKey: .closedDates) ?? []
    }

    /// Whether `text` is a date `YYYY-MM-DD` that exists.
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
              let days = calendar.range(of: .day, in: .month, for: first) else { return false }
        return days.contains(day)
    }

    private func isClosedDate(_ date: Date, _ calendar: Calendar) -> Bool {
        guard !closedDates.isEmpty else { return false }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let text = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return closedDates.contains(text)
    }

    private var calendar: Calendar? {
        guard let zone = TimeZone(identifier: timeZone), days.count == 7 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// Whether `date` falls in the opening times (always, for hours that cannot be read).
    public func isOpen(at date: Date) -> Bool {
        guard let calendar else { return true }
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return true }
        let now = hour * 60 + minute
        return !isClosedDate(date, calendar) && days[(weekday + 5) % 7].contains { $0.from <= now && now < $0.to }
    }

    /// The next moment after `date` at which the hours open (nil when no day has any).
    public func nextOpening(after date: Date) -> Date? {
        guard let calendar else { return nil }
        let today = calendar.startOfDay(for: date)
        // Each closed date can push the opening back by a week (a holiday on the only
        // open weekday), and so can a night the clocks skip: a week for each, and one
        // more, is as far as it can be.
        for offset in 0...(7 * (closedDates.count + 2)) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today),
                  let weekday = calendar.dateComponents([.weekday], from: day).weekday, !isClosedDate(day, calendar) else { continue }
            for interval in days[(weekday + 5) % 7].sorted(by: { $0.from < $1.from }) {
                // A time the clocks going back repeat opens twice; a time they skip going
                // forward is taken as the first one after it, if the hours are open then
                // (02:00-02:30 that night never opens).
                for repeated in [Calendar.RepeatedTimePolicy.first, .last] {
                    guard let start = calendar.date(bySettingHour: interval.from / 60, minute: interval.from % 60, second: 0, of: day,
                                                    matchingPolicy: .nextTime, repeatedTimePolicy: repeated, direction: .forward) else { continue }
                    if start > date && isOpen(at: start) { return start }
                }
            }
        }
        return nil
    }

    /// The next moment after `date`, which is in the hours, at which they close: the end
    /// of the range it is in, run on past midnight into a range that starts then (nil when
    /// they never close, or `date` is not in them).
    public func nextClosing(after date: Date) -> Date? {
        guard let calendar, isOpen(at: date) else { return nil }
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        var day = calendar.startOfDay(for: date), minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        for _ in 0..<(7 * (closedDates.count + 2)) {
            guard let weekday = calendar.dateComponents([.weekday], from: day).weekday,
                  let range = days[(weekday + 5) % 7].first(where: { $0.from <= minute && minute < $0.to }) else { return nil }
            guard range.to == 1440 else {
                return calendar.date(bySettingHour: range.to / 60, minute: range.to % 60, second: 0, of: day, matchingPolicy: .nextTime)
            }
            // Open to midnight: closed then unless the next day opens at once.
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            guard let nextWeekday = calendar.dateComponents([.weekday], from: next).weekday, !isClosedDate(next, calendar),
                  days[(nextWeekday + 5) % 7].contains(where: { $0.from == 0 }) else { return next }
            day = next
            minute = 0
        }
        return nil
    }

    /// The next `count` moments after `date` at which the hours open or close, in order,
    /// each with whether they are open from then; fewer when they stop changing.
    public func changes(after date: Date, count: Int) -> [(at: Date, open: Bool)] {
        var changes: [(at: Date, open: Bool)] = []
        var moment = date
        while changes.count < count {
            let open = isOpen(at: moment)
            guard let next = open ? nextClosing(after: moment) : nextOpening(after: moment), next > moment else { break }
            changes.append((next, !open))
            moment = next
        }
        return changes
    }

    /// "on Monday at 09:00 (Europe/Berlin time)", or "today at 13:00 (…)", "tomorrow at …";
    /// in `language` (one the widget speaks; English when nil).
    public func describeOpening(_ opening: Date, from now: Date, language: String? = nil) -> String {
        let words = AwayWords.of(language)
        guard let calendar else { return words.soon }
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: opening)
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: opening)).day ?? 0
        var date = ""
        if days >= 7 {
            let format = DateFormatter()
            format.locale = Locale(identifier: language ?? "en")
            format.timeZone = calendar.timeZone
            format.setLocalizedDateFormatFromTemplate("EEEEdMMMM")
            date = format.string(from: opening)
        }
        return words.opening(days: days, weekday: ((parts.weekday ?? 2) + 5) % 7, date: date,
                             time: Interval.clock((parts.hour ?? 0) * 60 + (parts.minute ?? 0)), timeZone: timeZone)
    }

    /// What the visitor is told on a handover at `now`, when the hours are closed then: the
    /// admin's away message, else the default in `language` (English when nil), its
    /// `{{opens}}` in that language.
    public func awayText(at now: Date, language: String? = nil) -> String? {
        guard !isOpen(at: now) else { return nil }
        let words = AwayWords.of(language)
        let opens = nextOpening(after: now).map { describeOpening($0, from: now, language: language) } ?? words.later
        let text = awayMessage?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty ?? words.message
        // `{{ opens }}` too: the check of the message (`BotMarkdown.placeholders`) takes it.
        return text.replacing(#/\{\{\s*opens\s*\}\}/#, with: opens)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
