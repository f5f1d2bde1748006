@testable import BatonCore
import Foundation
import Testing

@Suite struct WorkingHoursTests {
    /// Monday to Friday, 09:00–17:00 in Berlin; Wednesday with a lunch break.
    static let office = WorkingHours(timeZone: "Europe/Berlin", days: [
        [.init(from: 540, to: 1020)], [.init(from: 540, to: 1020)], [.init(from: 540, to: 720), .init(from: 780, to: 1020)],
        [.init(from: 540, to: 1020)], [.init(from: 540, to: 1020)], [], [],
    ])

    /// A moment given in UTC.
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "Z")! }

    @Test func rangesAreReadLikePeopleWriteThem() {
        #expect(WorkingHours.Interval(parsing: "09:00-17:30") == .init(from: 540, to: 1050))
        #expect(WorkingHours.Interval(parsing: " 9:00 – 17:00 ") == .init(from: 540, to: 1020))
        #expect(WorkingHours.Interval(parsing: "00:00-24:00") == .init(from: 0, to: 1440))
        for wrong in ["17:00-09:00", "09:00-09:00", "24:00-24:00", "09:60-10:00", "9-17", "09:00", "", "09:00-17:00-18:00", "ab:cd-17:00"] {
            #expect(WorkingHours.Interval(parsing: wrong) == nil, "\(wrong)")
        }
        #expect(WorkingHours.Interval(from: 540, to: 1440).text == "09:00-24:00")
    }

    @Test func openOnlyInsideTheHoursOfTheirTimeZone() {
        let hours = Self.office
        // Monday 7 December 2026; Berlin is UTC+1 in winter.
        #expect(!hours.isOpen(at: Self.utc("2026-12-07T07:59:00")))
        #expect(hours.isOpen(at: Self.utc("2026-12-07T08:00:00")))
        #expect(hours.isOpen(at: Self.utc("2026-12-07T15:59:59")))
        #expect(!hours.isOpen(at: Self.utc("2026-12-07T16:00:00")))
        // Wednesday's lunch break, and Saturday.
        #expect(!hours.isOpen(at: Self.utc("2026-12-09T11:30:00")))
        #expect(hours.isOpen(at: Self.utc("2026-12-09T12:00:00")))
        #expect(!hours.isOpen(at: Self.utc("2026-12-12T10:00:00")))
    }

    @Test func closedDatesAreClosedWhateverTheirWeekday() throws {
        var hours = Self.office
        hours.closedDates = ["2026-12-24", "2026-12-25"]
        // Thursday and Friday before Christmas (Berlin), then the weekend: back Monday the 28th.
        #expect(!hours.isOpen(at: Self.utc("2026-12-24T10:00:00")))
        #expect(hours.isOpen(at: Self.utc("2026-12-23T10:00:00")))
        let christmasEve = Self.utc("2026-12-23T17:00:00")
        let back = try #require(hours.nextOpening(after: christmasEve))
        #expect(back == Self.utc("2026-12-28T08:00:00"))
        #expect(hours.describeOpening(back, from: christmasEve) == "on Monday at 09:00 (Europe/Berlin time)")
        // A date is the time zone's: 23:30 UTC on the 23rd is already the 24th in Berlin.
        var late = WorkingHours(timeZone: "Europe/Berlin", days: Array(repeating: [.init(from: 0, to: 1440)], count: 7))
        late.closedDates = ["2026-12-24"]
        #expect(!late.isOpen(at: Self.utc("2026-12-23T23:30:00")))
        #expect(late.isOpen(at: Self.utc("2026-12-23T22:30:00")))
        for good in ["2026-12-25", "2028-02-29"] { #expect(WorkingHours.isDate(good)) }
        for bad in ["2026-02-29", "2026-13-01", "26-12-25", "2026-1-5", "2026-12-25x", "", "christmas"] { #expect(!WorkingHours.isDate(bad), "\(bad)") }
    }

    /// Open on Mondays only, the next two Mondays closed: back on the third (a closed date
    /// can push the opening a week back, not a day).
    @Test func holidaysOnTheOnlyOpenDayPushTheOpeningByWeeks() throws {
        var mondays = WorkingHours(timeZone: "UTC", days: [[.init(from: 540, to: 1020)], [], [], [], [], [], []])
        mondays.closedDates = ["2026-12-07", "2026-12-14"]
        let now = Self.utc("2026-12-02T12:00:00")
        let back = try #require(mondays.nextOpening(after: now))
        #expect(back == Self.utc("2026-12-21T09:00:00"))
        // A week or more away, the day is named by its date: "on Monday" reads as the 7th.
        #expect(mondays.describeOpening(back, from: now) == "on Monday, December 21 at 09:00 (UTC time)")
        #expect(mondays.describeOpening(back, from: now, language: "de") == "am Montag, 21. Dezember um 09:00 (Zeitzone UTC)")
        #expect(mondays.describeOpening(back, from: Self.utc("2026-12-15T12:00:00")) == "on Monday at 09:00 (UTC time)")
    }

    /// When the hours close next, and the changes after: the end of the range, past
    /// midnight into a range that starts then, a lunch break; none for hours always open.
    @Test func theNextChangesOfTheHours() throws {
        let hours = Self.office
        // Monday 7 December 2026, 10:00 in Berlin (09:00 UTC).
        let monday = Self.utc("2026-12-07T09:00:00")
        #expect(hours.nextClosing(after: monday) == Self.utc("2026-12-07T16:00:00"))
        #expect(hours.nextClosing(after: Self.utc("2026-12-07T17:00:00")) == nil, "closed then")
        let changes = hours.changes(after: monday, count: 5)
        #expect(changes.map(\.at) == ["2026-12-07T16:00:00", "2026-12-08T08:00:00", "2026-12-08T16:00:00", "2026-12-09T08:00:00",
                                       "2026-12-09T11:00:00"].map(Self.utc))
        #expect(changes.map(\.open) == [false, true, false, true, false])
        // Friday evening: back on Monday.
        #expect(hours.changes(after: Self.utc("2026-12-11T17:00:00"), count: 1).map(\.at) == [Self.utc("2026-12-14T08:00:00")])
        // A range past midnight closes the next morning.
        let nights = WorkingHours(timeZone: "UTC", days: [[.init(from: 1320, to: 1440)], [.init(from: 0, to: 360)], [], [], [], [], []])
        #expect(nights.nextClosing(after: Self.utc("2026-12-07T23:00:00")) == Self.utc("2026-12-08T06:00:00"))
        // Always open: nothing changes.
        let always = WorkingHours(timeZone: "UTC", days: Array(repeating: [.init(from: 0, to: 1440)], count: 7))
        #expect(always.nextClosing(after: monday) == nil && always.changes(after: monday, count: 6).isEmpty)
        // A holiday after an open midnight closes it.
        var holiday = always
        holiday.closedDates = ["2026-12-08"]
        #expect(holiday.nextClosing(after: monday) == Self.utc("2026-12-08T00:00:00"))
        #expect(holiday.changes(after: monday, count: 2).map(\.at) == [Self.utc("2026-12-08T00:00:00"), Self.utc("2026-12-09T00:00:00")])
    }

    /// Hours that start in the hour the clocks repeat open twice that night; hours in the
    /// hour they skip do not open that night.
    @Test func clockChangesAreOpenedAsTheClockReads() throws {
        var sundays = WorkingHours(timeZone: "Europe/Berlin", days: [[], [], [], [], [], [], [.init(from: 120, to: 150)]])
        // 31 October 2027: 03:00 summer time is 02:00 again (01:00 UTC). At 02:45 summer
        // time, the second 02:00 comes 15 minutes later.
        #expect(sundays.nextOpening(after: Self.utc("2027-10-31T00:45:00")) == Self.utc("2027-10-31T01:00:00"))
        #expect(sundays.nextOpening(after: Self.utc("2027-10-30T12:00:00")) == Self.utc("2027-10-31T00:00:00"))
        // 28 March 2027: 02:00 is 03:00; 02:00-02:30 never comes: a week later.
        #expect(sundays.nextOpening(after: Self.utc("2027-03-27T12:00:00")) == Self.utc("2027-04-04T00:00:00"))
        sundays.days[6] = [.init(from: 120, to: 240)]
        #expect(sundays.nextOpening(after: Self.utc("2027-03-27T12:00:00")) == Self.utc("2027-03-28T01:00:00"))
    }

    @Test func theNextOpeningIsSaidInWords() throws {
        let hours = Self.office
        let friday = Self.utc("2026-12-11T17:00:00")
        let monday = try #require(hours.nextOpening(after: friday))
        #expect(monday == Self.utc("2026-12-14T08:00:00"))
        #expect(hours.describeOpening(monday, from: friday) == "on Monday at 09:00 (Europe/Berlin time)")
        let early = Self.utc("2026-12-07T06:00:00")
        #expect(hours.describeOpening(try #require(hours.nextOpening(after: early)), from: early) == "today at 09:00 (Europe/Berlin time)")
        let sunday = Self.utc("2026-12-13T20:00:00")
        #expect(hours.awayText(at: sunday) == "We're away right now and back tomorrow at 09:00 (Europe/Berlin time). Leave your message here: we'll reply as soon as we're in.")
        let lunch = Self.utc("2026-12-09T11:10:00")
        #expect(hours.nextOpening(after: lunch) == Self.utc("2026-12-09T12:00:00"))
        // Open now: nothing to say.
        #expect(hours.awayText(at: Self.utc("2026-12-07T10:00:00")) == nil)
        // Across the clocks going forward (Sunday 28 March 2027), Monday 09:00 is 07:00 UTC.
        #expect(hours.nextOpening(after: Self.utc("2027-03-26T17:00:00")) == Self.utc("2027-03-29T07:00:00"))
        // An own message, and hours that never open.
        var custom = hours
        custom.awayMessage = "Closed. Back {{opens}}!"
        #expect(custom.awayText(at: friday) == "Closed. Back on Monday at 09:00 (Europe/Berlin time)!")
        // Written with spaces, as the message's check takes it.
        custom.awayMessage = "Closed. Back {{ opens }}!"
        #expect(custom.awayText(at: friday) == "Closed. Back on Monday at 09:00 (Europe/Berlin time)!")
        let never = WorkingHours(timeZone: "UTC", days: Array(repeating: [], count: 7))
        #expect(never.nextOpening(after: friday) == nil)
        #expect(never.awayText(at: friday)?.contains("back later") == true)
    }

    /// In the widget's language, when one is set: the default message and the opening;
    /// an admin's own message keeps its words, the opening in that language.
    @Test func theAwayTextSpeaksTheWidgetsLanguage() throws {
        let hours = Self.office
        let friday = Self.utc("2026-12-11T17:00:00"), sunday = Self.utc("2026-12-13T20:00:00")
        #expect(hours.awayText(at: sunday, language: "de")
            == "Wir sind gerade nicht da und morgen um 09:00 (Zeitzone Europe/Berlin) wieder erreichbar. Hinterlassen Sie Ihre Nachricht hier: Wir antworten, sobald wir zurück sind.")
        #expect(hours.describeOpening(try #require(hours.nextOpening(after: friday)), from: friday, language: "fr") == "lundi à 09:00 (heure de Europe/Berlin)")
        #expect(hours.describeOpening(try #require(hours.nextOpening(after: friday)), from: friday, language: "nl") == "op maandag om 09:00 (tijdzone Europe/Berlin)")
        var custom = hours
        custom.awayMessage = "Geschlossen. Zurück {{opens}}!"
        #expect(custom.awayText(at: friday, language: "de") == "Geschlossen. Zurück am Montag um 09:00 (Zeitzone Europe/Berlin)!")
        let never = WorkingHours(timeZone: "UTC", days: Array(repeating: [], count: 7))
        #expect(never.awayText(at: friday, language: "es")?.contains("volvemos más tarde") == true)
        // Every language the widget speaks has its words; another falls back to English.
        for language in WidgetSettings.languages {
            #expect(AwayWords.all[language]?.days.count == 7, "\(language)")
            #expect(AwayWords.all[language]?.message.contains("{{opens}}") == true, "\(language)")
        }
        #expect(hours.awayText(at: sunday, language: "tlh") == hours.awayText(at: sunday))
    }
}
