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
    /// The answers with a column of their own, in the order they were first collected.
    let answers: [String]
    /// Bots' names by widget key.
    let botNames: [String: String]
    let timeZone: TimeZone
    /// The zone's name for the header ("UTC", "Europe/Berlin").
    let zoneName: String
    private let format: Date.ISO8601FormatStyle

    init(answers: [String], botNames: [String: String], timeZone: TimeZone, zoneName: String) {
        self.answers = answers
        self.botNames = botNames
        self.timeZone = timeZone
        self.zoneName = zoneName
        format = Date.ISO8601FormatStyle(timeZone: timeZone).year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: false).timeSeparator(.colon).dateTimeSeparator(.space)
    }

    /// Variables with columns of their own, and the rating: not repeated among the answers.
    private static let ownColumns: Set<String> = ["name", "email", ChatRating.variable]

    /// Adds the answers of `listings` not seen yet to `columns` (the file's columns are known
    /// before its first row: the export reads the conversations twice).
    static func collectAnswers(of listings: some Sequence<ConversationListing>, into columns: inout [String], seen: inout Set<String>) {
        for listing in listings {
            for variable in listing.conversation.variables where !ownColumns.contains(variable.name) && seen.insert(variable.name).inserted {
                columns.append(variable.name)
            }
        }
    }

    /// The byte-order mark and the header line.
    var header: String {
        "\u{FEFF}" + Self.row(["Conversation", "Bot", "State", "Started (\(zoneName))", "Last change (\(zoneName))", "Name", "Email",
                               "Website user id", "Handed over (\(zoneName))", "Handover reason", "Closed (\(zoneName))", "Rating",
                               "Messages", "Last message", "Mattermost room", "Tried by admin"] + answers)
    }

    /// One conversation's line.
    func row(_ listing: ConversationListing) -> String {
        let c = listing.conversation
        var cells = [c.id.rawValue, botNames[c.widgetKey] ?? c.widgetKey, c.state.rawValue, time(c.createdAt), time(c.updatedAt),
                     listing.name ?? "", listing.email ?? "",
                     listing.visitorUserID ?? "", time(listing.handedOverAt), c.progress.handoverReason ?? "", time(c.closedAt),
                     c.variable(ChatRating.variable) ?? "", String(listing.messageCount), listing.lastMessage ?? "",
                     listing.roomLink ?? "", listing.triedBy ?? ""]
        cells += answers.map { c.variable($0) ?? "" }
        return Self.row(cells)
    }

    private func time(_ ms: Millis?) -> String {
        ms.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(format) } ?? ""
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
