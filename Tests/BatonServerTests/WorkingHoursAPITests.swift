import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// Working hours through the admin API and the widget's welcome.
@Suite struct WorkingHoursAPITests {
    @Test func hoursAreCheckedSavedAndToldToTheWidget() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let source = try #require(try await baton.services.store.widget(key: "demo")).botSource
            func put(_ hours: Any) async throws -> APIAnswer {
                try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source, "settings": ["workingHours": hours]])
            }
            let wrong = try await put(["timeZone": "Mars/Olympus", "days": ["mon": ["09:00-17:00", "16:00-18:00"], "tue": ["9 to 5"]]])
            #expect(wrong.status == 422)
            #expect(wrong.issues.compactMap { $0["path"] as? String }
                == ["settings.workingHours.timeZone", "settings.workingHours.days.tue[0]", "settings.workingHours.days.mon"], "\(wrong)")
            // Abbreviations and offsets name no one zone (Foundation reads BST as Bangladesh).
            for abbreviation in ["BST", "IST", "CST", "PST", "UTC+5", "GMT+05:30"] {
                let refused = try await put(["timeZone": abbreviation, "days": ["mon": ["09:00-17:00"]]])
                #expect(refused.status == 422 && refused.issues.first?["path"] as? String == "settings.workingHours.timeZone", "\(abbreviation)")
            }
            for zone in ["UTC", "GMT", "Asia/Kathmandu", "Etc/GMT-14"] {
                #expect(try await put(["timeZone": zone, "days": ["mon": ["09:00-17:00"]]]).status == 200, "\(zone)")
            }
            let badDate = try await put(["timeZone": "UTC", "days": ["mon": ["09:00-17:00"]], "closedDates": ["2026-12-25", "Christmas"]])
            #expect(badDate.status == 422 && badDate.issues.first?["path"] as? String == "settings.workingHours.closedDates[1]", "\(badDate)")
            let never = try await put(["timeZone": "UTC", "days": ["sat": []]])
            #expect(never.status == 422 && never.issues.first?["path"] as? String == "settings.workingHours.days")
            // A night shift past midnight is kept as its two days' parts; Sunday's runs into Monday.
            let nights = try await put(["timeZone": "UTC", "days": ["mon": ["08:00-12:00", "22:00-06:00"], "sun": ["20:00–02:30"],
                                                                    "fri": ["18:00-00:00"]]])
            #expect(nights.status == 200, "\(nights)")
            let nightDays = (nights.json["settings"] as? [String: Any]).flatMap { ($0["workingHours"] as? [String: Any])?["days"] as? [String: [String]] }
            #expect(nightDays?["mon"] == ["00:00-02:30", "08:00-12:00", "22:00-24:00"])
            #expect(nightDays?["tue"] == ["00:00-06:00"])
            #expect(nightDays?["fri"] == ["18:00-24:00"])
            #expect(nightDays?["sat"] == [])
            #expect(nightDays?["sun"] == ["20:00-24:00"])
            // Ranges that meet are one, the night's part and the day's own hours too.
            let meeting = try await put(["timeZone": "UTC", "days": ["tue": ["17:00-09:00"], "wed": ["09:00-17:00"], "thu": ["08:00-12:00", "12:00-16:00"]]])
            let meetingDays = (meeting.json["settings"] as? [String: Any]).flatMap { ($0["workingHours"] as? [String: Any])?["days"] as? [String: [String]] }
            #expect(meetingDays?["tue"] == ["17:00-24:00"] && meetingDays?["wed"] == ["00:00-17:00"] && meetingDays?["thu"] == ["08:00-16:00"], "\(meeting)")
            // Past midnight into the next day's own hours: they overlap there.
            let clash = try await put(["timeZone": "UTC", "days": ["mon": ["22:00-06:00"], "tue": ["05:00-09:00"]]])
            #expect(clash.status == 422 && clash.issues.first?["path"] as? String == "settings.workingHours.days.tue", "\(clash)")
            // Said as written: the night's part is Monday's range, not a Tuesday range nobody typed.
            #expect(clash.issues.first?["message"] as? String == "Monday's 22:00-06:00 and 05:00-09:00 overlap.", "\(clash)")
            #expect(try await put(["timeZone": "UTC", "days": ["mon": ["09:00-09:00"]]]).status == 422)
            // A placeholder the away message does not know would reach visitors as written.
            let unknown = try await put(["timeZone": "UTC", "days": ["mon": ["09:00-17:00"]], "awayMessage": "Back {{opens}} {{ unknown }}"])
            #expect(unknown.status == 422 && unknown.issues.first?["path"] as? String == "settings.workingHours.awayMessage", "\(unknown)")
            #expect(unknown.errorMessage?.contains("{{unknown}} means nothing here") == true, "\(unknown)")
            // Unknown days are outside the API.
            #expect(try await put(["timeZone": "UTC", "days": ["someday": ["09:00-17:00"]]]).status == 400)

            // Closed every day but one hour in the middle of the night, far from now: away.
            let saved = try await put(["timeZone": "Pacific/Kiritimati", "days": ["mon": [" 03:00 – 03:01 "]], "awayMessage": "  Back {{opens}}.  ",
                                       "closedDates": ["2027-01-01", " 2026-12-25 ", "2027-01-01"]])
            #expect(saved.status == 200, "\(saved)")
            let hours = try #require((saved.json["settings"] as? [String: Any])?["workingHours"] as? [String: Any])
            #expect(hours["timeZone"] as? String == "Pacific/Kiritimati")
            #expect((hours["days"] as? [String: [String]])?["mon"] == ["03:00-03:01"])
            #expect((hours["days"] as? [String: [String]])?["sun"] == [])
            #expect(hours["awayMessage"] as? String == "Back {{opens}}.")
            #expect(hours["closedDates"] as? [String] == ["2026-12-25", "2027-01-01"])
            let stored = try #require(try await baton.services.store.widget(key: "demo")?.settings.workingHours)
            let now = Date()
            try await WidgetClient.connect(baton.socketURL) { widget in
                let welcome = try await widget.hello()
                let away = (welcome["widget"] as? [String: Any])?["awayUntil"] as? NSNumber
                if stored.isOpen(at: now) {
                    #expect(away == nil)
                } else {
                    let expected = try #require(stored.nextOpening(after: now))
                    #expect(away?.int64Value == Int64(expected.timeIntervalSince1970 * 1000))
                }
                // The next changes of the hours, for the header to follow: open at 03:00 on
                // Monday, closed a minute later, and so on.
                let changes = try #require((welcome["widget"] as? [String: Any])?["hours"] as? [[String: Any]])
                let expected = stored.changes(after: now, count: 6)
                #expect(changes.count == 6 && changes.map { ($0["open"] as? Bool) == true } == expected.map(\.open))
                #expect(changes.compactMap { ($0["at"] as? NSNumber)?.int64Value } == expected.map { Int64($0.at.timeIntervalSince1970 * 1000) })
                #expect(expected.first?.open == !stored.isOpen(at: now) && expected.last.map { $0.at.timeIntervalSince(now) < 22 * 86_400 } == true)
            }
            // Left out of a save, they stay; turned off (null): no hours, and the widget is
            // never away.
            let kept = try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source, "settings": [:]])
            #expect((kept.json["settings"] as? [String: Any])?["workingHours"] != nil)
            let off = try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source, "settings": ["workingHours": NSNull()]])
            #expect((off.json["settings"] as? [String: Any])?["workingHours"] == nil)
            try await WidgetClient.connect(baton.socketURL) { widget in
                let welcome = try await widget.hello()
                #expect((welcome["widget"] as? [String: Any])?["awayUntil"] == nil)
                #expect((welcome["widget"] as? [String: Any])?["hours"] == nil)
            }
        }
    }

    /// Hours changed in the dashboard reach a chat already open at its next frame (an idle
    /// widget pings every 25 s): an `hours` frame before the pong, which the header follows.
    @Test func newHoursReachAnOpenChat() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let source = try #require(try await baton.services.store.widget(key: "demo")).botSource
            @Sendable func put(_ hours: Any) async throws {
                let saved = try await client.send("PUT", "/api/v1/bots/demo", json: ["name": "Demo", "source": source, "settings": ["workingHours": hours]])
                #expect(saved.status == 200, "\(saved)")
            }
            try await WidgetClient.connect(baton.socketURL) { widget in
                let welcome = try await widget.hello()
                #expect((welcome["widget"] as? [String: Any])?["hours"] == nil)
                // Open one minute a week, a week from now at the latest: closed now.
                try await put(["timeZone": "Pacific/Kiritimati", "days": ["mon": ["03:00-03:01"]]])
                try await widget.send(["type": "ping"])
                let hours = try await widget.expect("hours")
                let stored = try #require(try await baton.services.store.widget(key: "demo")?.settings.workingHours)
                let now = Date()
                let back = try #require(stored.nextOpening(after: now))
                #expect((hours["awayUntil"] as? NSNumber)?.int64Value == Int64(back.timeIntervalSince1970 * 1000))
                let changes = try #require(hours["hours"] as? [[String: Any]])
                #expect(changes.count == 6 && changes.first?["open"] as? Bool == true)
                _ = try await widget.expect("pong")
                // Nothing changed since: a plain pong.
                try await widget.send(["type": "ping"])
                #expect(try await widget.next()?["type"] as? String == "pong")
                // Turned off: an empty list, and the widget is no longer away.
                try await put(NSNull())
                try await widget.send(["type": "ping"])
                let none = try await widget.expect("hours")
                #expect(none["awayUntil"] == nil && (none["hours"] as? [Any])?.isEmpty == true)
                _ = try await widget.expect("pong")
            }
        }
    }
}
