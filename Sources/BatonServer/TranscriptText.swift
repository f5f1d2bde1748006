import BatonCore
import Foundation

/// A conversation as a plain-text file, for an admin to keep or pass on
/// (`GET /api/v1/conversations/{id}/transcript`, the dashboard's "Download transcript"):
/// who the visitor is and what the bot collected, then every message with its time (in
/// the reader's time zone when the request names it, else UTC), a date line when the day
/// changes, files by name and size, and agents' corrections as they came.
struct TranscriptText {
    var listing: ConversationListing
    var botName: String?
    var page: VisitedPage?
    var messages: [Message]
    /// The zone the times are given in; UTC when nil.
    var timeZone: TimeZone?

    var text: String {
        let conversation = listing.conversation
        let visitor = visitorName
        var lines: [String] = []
        lines.append("Chat with \(visitor)" + (email.map { " <\($0)>" } ?? ""))
        lines.append("Conversation \(conversation.id.rawValue), bot \(botName.map { "\($0) (\(conversation.widgetKey))" } ?? conversation.widgetKey), "
                     + "\(Self.stateText(conversation.state))")
        lines.append("Started \(dateTime(conversation.createdAt)) \(zoneName(at: conversation.createdAt))")
        if let userID = listing.visitorUserID { lines.append("Signed in on the website as \(Self.oneLine(userID)) (verified)") }
        if let page { lines.append("Page: \(Self.oneLine(page.title.isEmpty ? page.url : page.title)) <\(page.url)>") }
        for variable in conversation.variables where !(variable.name == "name" && variable.value == visitor)
            && !(variable.name == "email" && variable.value == email) {
            lines.append("\(Self.oneLine(variable.name.capitalized)): \(Self.oneLine(variable.value))")
        }
        if let reason = conversation.progress.handoverReason { lines.append("Handed over because: \(Self.oneLine(reason))") }
        if let room = listing.roomLink { lines.append("Mattermost room: \(room)") }
        var day = ""
        for message in messages {
            let (date, time) = dayAndTime(message.createdAt)
            if date != day {
                day = date
                lines.append("")
                lines.append("— \(date) —")
            }
            var head = "\(time)  "
            let corrects = message.replaces != nil
            let deleted = corrects && message.text.isEmpty && message.files.isEmpty
            switch message.role {
            case .system:
                lines.append(head + "* " + Self.indented(message.text))
                continue
            case .visitor: head += visitor
            case .bot: head += "\(Self.oneLine(message.authorName ?? botName ?? "Bot")) (bot)"
            case .agent: head += "\(Self.oneLine(message.authorName ?? "Agent")) (agent)"
            }
            if deleted {
                lines.append(head + " deleted a message")
                continue
            }
            head += corrects ? " edited a message: " : ": "
            var body = message.role == .bot ? BotMarkdown.unescaped(message.text) : message.text
            for file in message.files {
                body += (body.isEmpty ? "" : "\n") + "[file] \(Self.oneLine(file.name)) (\(ByteCount.text(file.size)))"
            }
            lines.append(head + Self.indented(body))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The file's name: the bot, the day it started and the conversation.
    var fileName: String {
        let key = listing.conversation.widgetKey.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return "chat-\(key)-\(dayAndTime(listing.conversation.createdAt).0)-\(listing.conversation.id.rawValue).txt"
    }

    private var visitorName: String {
        let name = listing.name
        return name.map(Self.oneLine).flatMap { $0.isEmpty ? nil : $0 } ?? "Visitor"
    }

    private var email: String? {
        listing.email.map(Self.oneLine)
    }

    private static func stateText(_ state: ConversationState) -> String {
        switch state {
        case .bot: "with the bot"
        case .collecting: "the bot asking its questions"
        case .waitingForAgent: "waiting for an agent"
        case .withAgent: "with an agent"
        case .closed: "closed"
        }
    }

    /// Later lines of a message line up under its first.
    private static func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n          ")
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private func dayAndTime(_ millis: Millis) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone ?? Self.utc
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return ("\(parts.year ?? 1970)-\(two(parts.month))-\(two(parts.day))", "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))")
    }

    private func dateTime(_ millis: Millis) -> String {
        let (day, time) = dayAndTime(millis)
        return "\(day) \(time)"
    }

    /// "UTC", or the zone's name and its offset then: "Europe/Berlin (UTC+01:00)".
    private func zoneName(at millis: Millis) -> String {
        guard let timeZone, !["UTC", "GMT", "Etc/UTC", "Etc/GMT"].contains(timeZone.identifier) else { return "UTC" }
        let seconds = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))
        let minutes = abs(seconds) / 60
        let offset = (seconds < 0 ? "-" : "+") + String(format: "%02d:%02d", minutes / 60, minutes % 60)
        return "\(timeZone.identifier) (UTC\(offset))"
    }

    private static let utc = TimeZone(secondsFromGMT: 0)!

    /// A time zone a reader named (`tz`: an IANA name such as `Europe/Berlin`), if known.
    static func timeZone(named name: String) -> TimeZone? {
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }) else { return nil }
        return TimeZone(identifier: name)
    }
}
