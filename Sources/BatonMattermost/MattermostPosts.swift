import BatonCore
import Foundation

/// The posts Baton writes in Mattermost. Everything that came from a visitor goes
/// through `MattermostText.inert`.
enum MattermostPosts {
    /// A visitor message in the room: `**Grace:** text`.
    static func visitorMessage(_ text: String, visitor: String) -> String {
        // Files alone: the name heads the files Mattermost shows under the post.
        text.isEmpty ? "**\(MattermostText.inertName(visitor)):**" : "**\(MattermostText.inertName(visitor)):** \(MattermostText.inert(text))"
    }

    /// The post that carries the files a visitor sent the bot, after the transcript.
    static func filesBeforeHandover(visitor: String) -> String {
        "**\(MattermostText.inertName(visitor))** sent these files before the handover:"
    }

    /// A post's text with a line for the visitor's files Mattermost would not take.
    static func withRefusedFiles(_ text: String, _ names: [String]) -> String {
        guard !names.isEmpty else { return text }
        let list = names.map { MattermostText.inertName($0) }.joined(separator: ", ")
        return text + "\n:warning: Mattermost refused to take \(list) from the visitor; the dashboard's transcript of this chat has it."
    }

    /// Files of an agent's post that the visitor did not get.
    static func filesNotPassedOn(_ names: [String], limit: Int?) -> String {
        let list = names.map { MattermostText.inertName($0) }.joined(separator: ", ")
        guard let limit else { return ":warning: Not sent to the visitor: \(list). This chat does not take files." }
        return ":warning: Not sent to the visitor: \(list). Files over \(ByteCount.text(Int64(limit))) are not passed on."
    }

    /// A language tag (checked for form: letters, digits and hyphens) in English words:
    /// "German (Germany)" for `de-DE`; the tag itself when the locale data does not know it.
    /// Words of the system's locale data, not of the visitor: shown as they are.
    static func languageName(_ tag: String) -> String {
        guard let name = Locale(identifier: "en").localizedString(forIdentifier: tag), !name.isEmpty,
              name.count <= 100, !name.contains(where: { "*_`[]<>|~\\".contains($0) }) else { return tag }
        return name
    }

    /// The first post of a room: why the chat came, the answers, the transcript.
    static func transcript(conversation: Conversation, visitor: String, messages: [Message], botName: String?,
                           signedInAs userID: String? = nil, page: VisitedPage? = nil, language: String? = nil,
                           earlier: String? = nil) -> String {
        var lines = ["#### Chat with \(MattermostText.inertName(visitor))"]
        if let userID {
            lines.append("Signed in on the website as \(MattermostText.inertName(userID, limit: 256)) (verified).")
        }
        if let earlier {
            lines.append("**Earlier chats:** \(earlier)")
        }
        if let page {
            lines.append("On the page \(MattermostText.link(to: page)).")
        }
        if let language {
            lines.append("Their browser's language: \(languageName(language)).")
        }
        if let reason = conversation.progress.handoverReason {
            lines.append("Handed over because \(MattermostText.inert(reason)).")
        }
        if !conversation.variables.isEmpty {
            lines.append("")
            lines.append("**Answers**")
            for variable in conversation.variables {
                lines.append("- \(MattermostText.inertName(variable.name)): \(MattermostText.inert(variable.value).replacingOccurrences(of: "\n", with: " "))")
            }
        }
        lines.append("")
        lines.append("**Transcript**")
        for message in messages {
            let who: String = switch message.role {
            case .visitor: "**\(MattermostText.inertName(visitor))**"
            case .bot: "**\(MattermostText.inertName(message.authorName ?? botName ?? "Bot"))** (bot)"
            case .agent: "**\(MattermostText.inertName(message.authorName ?? "Agent"))**"
            case .system: "_Baton_"
            }
            // Each message is one quoted paragraph so a multi-line message stays together.
            var text = MattermostText.inert(message.text)
            for file in message.files {
                text += (text.isEmpty ? "" : "\n") + ":paperclip: \(MattermostText.inertName(file.name)) (\(ByteCount.text(file.size)))"
            }
            let body = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n> ")
            lines.append("> \(who): \(body)")
        }
        lines.append("")
        lines.append("_Reply here to answer the visitor. Messages starting with `//` stay internal; `!close` ends the chat._")
        return lines.joined(separator: "\n")
    }

    /// The announcement in the index channel.
    /// - Parameter signedInAs: the website's user id, for a visitor the website vouched for.
    /// The reminder of a visitor nobody joined yet, in the index channel.
    static func waitingReminder(visitor: String, minutes: Int, link: String) -> String {
        let waited = minutes < 1 ? "under a minute" : minutes == 1 ? "1 minute" : "\(minutes) minutes"
        return ":hourglass_flowing_sand: **\(MattermostText.inertName(visitor))** has been waiting for \(waited) and no agent has joined yet. [Join the conversation](\(link))"
    }

    static func announcement(visitor: String, email: String?, conversation: Conversation, firstMessage: String?,
                             link: String?, signedInAs userID: String? = nil, page: VisitedPage? = nil, language: String? = nil,
                             earlier: String? = nil,
                             closedBy: String?? = nil, endedByVisitor: Bool = false) -> String {
        var lines: [String] = []
        if endedByVisitor {
            lines.append(":white_check_mark: ~~New chat~~ **Ended by the visitor** — \(MattermostText.inertName(visitor))")
        } else if let closedBy {
            lines.append(":white_check_mark: ~~New chat~~ **Closed\(closedBy.map { " by \(MattermostText.inertName($0))" } ?? "")** — \(MattermostText.inertName(visitor))")
        } else {
            lines.append(":speech_balloon: **New chat** from **\(MattermostText.inertName(visitor))**\(email.map { " (\(MattermostText.inertName($0, limit: 254)))" } ?? "")")
        }
        if let userID {
            lines.append("**Signed in on the website as:** \(MattermostText.inertName(userID, limit: 256)) (verified)")
        }
        let open = closedBy == nil && !endedByVisitor
        if let page, open {
            lines.append("**Page:** \(MattermostText.link(to: page))")
        }
        if let language, open {
            lines.append("**Language:** \(languageName(language))")
        }
        if let earlier, open {
            lines.append("**Earlier chats:** \(earlier)")
        }
        for variable in conversation.variables where variable.name != "name" && variable.name != "email" {
            lines.append("**\(MattermostText.inertName(variable.name.capitalized)):** \(MattermostText.inertName(variable.value, limit: 200))")
        }
        if let firstMessage {
            let short = firstMessage.count > 300 ? String(firstMessage.prefix(300)) + "…" : firstMessage
            lines.append("> " + MattermostText.inert(short).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n> "))
        }
        if let link {
            lines.append("[Join the conversation](\(link))")
        } else if open {
            lines.append("Reply in this thread to answer the visitor.")
        }
        return lines.joined(separator: "\n")
    }

    /// A returning visitor's earlier chats with the agents, newest first, each as when it
    /// was and a link to its room (only a room on this Mattermost site is linked; one made
    /// before the connection moved to another server is named by its time alone):
    /// `[2 days ago](…) · [3 weeks ago](…) and 4 more`.
    static func earlierChats(_ earlier: EarlierRooms, site: String, now: Millis) -> String? {
        guard !earlier.rooms.isEmpty else { return nil }
        var text = earlier.rooms.map { room in
            let when = timeAgo(room.createdAt, now: now)
            return room.link.hasPrefix(site + "/") ? "[\(when)](\(room.link))" : when
        }.joined(separator: " · ")
        let more = earlier.count - earlier.rooms.count
        if more > 0 { text += " and \(more) more" }
        return text
    }

    /// How long ago a time was, in the largest whole unit: "5 minutes ago", "yesterday",
    /// "3 weeks ago". Mattermost shows a post's text to readers in every time zone alike.
    static func timeAgo(_ time: Millis, now: Millis) -> String {
        let minutes = max(0, now - time) / 60_000
        func ago(_ count: Int64, _ unit: String) -> String { count == 1 ? "1 \(unit) ago" : "\(count) \(unit)s ago" }
        switch minutes {
        case ..<1: return "just now"
        case ..<60: return ago(minutes, "minute")
        case ..<(24 * 60): return ago(minutes / 60, "hour")
        case ..<(48 * 60): return "yesterday"
        case ..<(14 * 24 * 60): return ago(minutes / (24 * 60), "day")
        case ..<(61 * 24 * 60): return ago(minutes / (7 * 24 * 60), "week")
        case ..<(365 * 24 * 60): return ago(minutes / (30 * 24 * 60), "month")
        default: return ago(minutes / (365 * 24 * 60), "year")
        }
    }

    /// The visitor's widget moved to another page while the chat is with the agents.
    static func visitorPage(_ page: VisitedPage, visitor: String) -> String {
        ":globe_with_meridians: **\(MattermostText.inertName(visitor))** is now on \(MattermostText.link(to: page))"
    }

    /// The visitor's rating of a chat that ended.
    static func rated(_ rating: ChatRating, visitor: String) -> String {
        "\(rating == .good ? ":+1:" : ":-1:") **\(MattermostText.inertName(visitor))** rated the chat: **\(rating.rawValue)**."
    }

    /// To an agent who wrote in a closed chat's room (only they see it).
    static func chatIsClosed(visitor: String) -> String {
        ":lock: This chat is closed: **\(MattermostText.inertName(visitor))** does not see what is written here any more. "
            + "If they write again, a new chat starts."
    }

    /// The visitor ended the chat from the widget.
    static func endedByVisitor(_ visitor: String) -> String {
        ":wave: **\(MattermostText.inertName(visitor))** ended the chat in the website's widget: replies here no longer reach them."
    }

    static func closed(by name: String?) -> String {
        ":white_check_mark: The chat was closed\(name.map { " by \(MattermostText.inertName($0))" } ?? ""). The visitor was told."
    }

    /// A valid, unique channel name: `chat-` and the conversation id (lowercase base32).
    static func channelName(for conversation: ConversationID) -> String {
        "chat-" + conversation.rawValue.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// The channel's display name: the visitor's name and topic, at most 64 characters.
    static func channelDisplayName(visitor: String, topic: String?) -> String {
        var name = visitor.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingWhitespace()
        if name.isEmpty { name = "Visitor" }
        if let topic, !topic.isEmpty { name += " · " + topic.split(whereSeparator: \.isNewline).joined(separator: " ") }
        // Mattermost counts runes (Unicode scalars), not characters.
        let filtered = name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        return String(String.UnicodeScalarView(filtered.prefix(64))).trimmingWhitespace()
    }
}
