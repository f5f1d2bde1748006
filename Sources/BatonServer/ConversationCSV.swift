import BatonCore
import Foundation

/// Conversations as a CSV file (RFC 4180, UTF-8 with a byte-order mark so that
/// spreadsheets read it as such) for a spreadsheet or a CRM: one row a conversation, the
/// answers the bot collected (topic, phone…) in columns of their own, times in the
/// reader's zone.
///
/// Names, emails and messages come from visitors: a cell that a spreadsheet would take
/// for a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) is written with
/// a `'` before it, so that opening the file never runs anything.
struct ConversationCSV {
    /// The most rows one file holds (the newest first).
    static let maximumRows = 100_000

    let listings: [ConversationListing]
    /// Bots' names by widget key.
    let botNames: [String: String]
    let timeZone: TimeZone
    /// The zone's name for the header ("UTC", "Europe/Berlin").
    let zoneName: String

    /// Variables with columns of their own, and the rating: not repeated among the answers.
    private static let ownColumns: Set<String> = ["name", "email", ChatRating.variable]

    var text: String {
        // The answers' columns, in the order they were first collected.
        var answers: [String] = []
        var seen = Set<String>()
        for listing in listings {
            for variable in listing.conversation.variables where !Self.ownColumns.contains(variable.name) && seen.insert(variable.name).inserted {
                answers.append(variable.name)
            }
        }
        let header = ["Conversation", "Bot", "State", "Started (\(zoneName))", "Last change (\(zoneName))", "Name", "Email",
                      "Website user id", "Handed over (\(zoneName))", "Handover reason", "Closed (\(zoneName))", "Rating",
                      "Messages", "Last message", "Mattermost room"] + answers
        var out = "\u{FEFF}" + Self.row(header)
        let format = Date.ISO8601FormatStyle(timeZone: timeZone).year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: false).timeSeparator(.colon).dateTimeSeparator(.space)
        func time(_ ms: Millis?) -> String { ms.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(format) } ?? "" }
        for listing in listings {
            let c = listing.conversation
            var cells = [c.id.rawValue, botNames[c.widgetKey] ?? c.widgetKey, c.state.rawValue, time(c.createdAt), time(c.updatedAt),
                         listing.name ?? "", listing.email ?? "",
                         listing.visitorUserID ?? "", time(listing.handedOverAt), c.progress.handoverReason ?? "", time(c.closedAt),
                         c.variable(ChatRating.variable) ?? "", String(listing.messageCount), listing.lastMessage ?? "",
                         listing.roomLink ?? ""]
            cells += answers.map { c.variable($0) ?? "" }
            out += Self.row(cells)
        }
        return out
    }

    static func row(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// One cell: neutralised if a spreadsheet would read it as a formula, quoted when it
    /// holds a comma, a quote, a line break or spaces at either end.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0.isNewline } || text.first == " " || text.last == " "
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
