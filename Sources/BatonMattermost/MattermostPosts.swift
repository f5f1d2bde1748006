import BatonCore
import Foundation

/// The posts Baton writes in Mattermost, in the connection's language (`words`).
/// Everything that came from a visitor goes through `MattermostText.inert`.
enum MattermostPosts {
    /// A visitor message in the room: `**Grace:** text`.
    static func visitorMessage(_ text: String, visitor: String) -> String {
        // Files alone: the name heads the files Mattermost shows under the post.
        text.isEmpty ? "**\(MattermostText.inertName(visitor)):**" : "**\(MattermostText.inertName(visitor)):** \(MattermostText.inert(text))"
    }

    /// The post that carries the files a visitor sent the bot, after the transcript.
    static func filesBeforeHandover(visitor: String, words: AgentWords = .english) -> String {
        words(.filesBeforeHandover, ["visitor": MattermostText.inertName(visitor)])
    }

    /// A post's text with a line for the visitor's files Mattermost would not take.
    static func withRefusedFiles(_ text: String, _ names: [String], words: AgentWords = .english) -> String {
        guard !names.isEmpty else { return text }
        let list = names.map { MattermostText.inertName($0) }.joined(separator: ", ")
        return text + "\n" + words(.filesRefused, ["files": list])
    }

    /// Files of an agent's post that the visitor did not get.
    static func filesNotPassedOn(_ names: [String], limit: Int?, words: AgentWords = .english) -> String {
        let list = names.map { MattermostText.inertName($0) }.joined(separator: ", ")
        guard let limit else { return words(.filesNotSentNoFiles, ["files": list]) }
        return words(.filesNotSentTooLarge, ["files": list, "size": ByteCount.text(Int64(limit))])
    }

    /// Why the chat was handed over, in the agents' words: from its parts when the bot kept
    /// them, else the bot's English words as kept.
    static func handoverReason(_ progress: BotProgress, words: AgentWords) -> String? {
        if let why = progress.handoverWhy { return words.reason(why) }
        return progress.handoverReason.map { MattermostText.inert($0) }
    }

    /// The first post of a room: why the chat came, the answers, the transcript.
    static func transcript(conversation: Conversation, visitor: String, messages: [Message], botName: String?,
                           signedInAs userID: String? = nil, page: VisitedPage? = nil, pageLinked: Bool = false, language: String? = nil,
                           earlier: String? = nil, closeCommand: String = "!close", internalPrefix: String = "//",
                           words: AgentWords = .english) -> String {
        var lines = [words(.chatWith, ["visitor": MattermostText.inertName(visitor)])]
        if let userID {
            lines.append(words(.signedIn, ["user": MattermostText.inertName(userID, limit: 256)]))
        }
        if let earlier {
            lines.append(words(.earlierChats, ["chats": earlier]))
        }
        if let page {
            lines.append(words(.onPage, ["page": MattermostText.page(page, linked: pageLinked)]))
        }
        if let language {
            lines.append(words(.browserLanguage, ["language": words.languageName(language)]))
        }
        if let reason = handoverReason(conversation.progress, words: words) {
            lines.append(words(.handedOverBecause, ["reason": reason]))
        }
        if !conversation.variables.isEmpty {
            lines.append("")
            lines.append(words(.answers))
            for variable in conversation.variables {
                lines.append("- \(MattermostText.inertName(variable.name)): \(MattermostText.inert(variable.value).replacingOccurrences(of: "\n", with: " "))")
            }
        }
        lines.append("")
        lines.append(words(.transcript))
        for message in messages {
            let who: String = switch message.role {
            case .visitor: "**\(MattermostText.inertName(visitor))**"
            case .bot: "**\(MattermostText.inertName(message.authorName ?? botName ?? words(.bot)))** \(words(.botSuffix))"
            case .agent: "**\(MattermostText.inertName(message.authorName ?? words(.agent)))**"
            case .system: "_Baton_"
            }
            // Each message is one quoted paragraph so a multi-line message stays together.
            var text = MattermostText.inert(message.role == .bot ? BotMarkdown.unescaped(message.text) : message.text)
            for file in message.files {
                text += (text.isEmpty ? "" : "\n") + ":paperclip: \(MattermostText.inertName(file.name)) (\(ByteCount.text(file.size)))"
            }
            let body = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n> ")
            lines.append("> \(who): \(body)")
        }
        lines.append("")
        lines.append(words(.replyHere, ["prefix": inCode(internalPrefix), "close": inCode(closeCommand)]))
        return lines.joined(separator: "\n")
    }

    /// The reminder of a visitor nobody joined yet, in the index channel.
    static func waitingReminder(visitor: String, minutes: Int, link: String, words: AgentWords = .english) -> String {
        let waited = minutes < 1 ? words(.underAMinute) : minutes == 1 ? words(.oneMinute) : words(.minutes, ["count": "\(minutes)"])
        return words(.waiting, ["visitor": MattermostText.inertName(visitor), "waited": waited, "link": link])
    }

    /// The reminder once it is out of date: struck through, with who took the chat, or
    /// that it ended with nobody (`takenBy` nil).
    static func answeredReminder(visitor: String, minutes: Int, link: String, takenBy agent: String?, words: AgentWords = .english) -> String {
        let outcome = agent.map { words(.reminderTaken, ["agent": MattermostText.inertName($0)]) } ?? words(.reminderEnded)
        return "~~\(waitingReminder(visitor: visitor, minutes: minutes, link: link, words: words))~~ \(outcome)"
    }

    /// The announcement in the index channel.
    /// - Parameter signedInAs: the website's user id, for a visitor the website vouched for.
    static func announcement(visitor: String, email: String?, conversation: Conversation, firstMessage: String?,
                             link: String?, signedInAs userID: String? = nil, page: VisitedPage? = nil, pageLinked: Bool = false,
                             language: String? = nil,
                             earlier: String? = nil, takenBy: String? = nil,
                             closedBy: String?? = nil, endedByVisitor: Bool = false, words: AgentWords = .english) -> String {
        var lines: [String] = []
        let name = MattermostText.inertName(visitor)
        // The visitor's address stays beside their name whatever became of the chat.
        let address = email.map { " (\(MattermostText.inertName($0, limit: 254)))" } ?? ""
        if endedByVisitor {
            lines.append(words(.newChatEnded, ["visitor": name]) + address)
        } else if let closedBy {
            lines.append((closedBy.map { words(.newChatClosedBy, ["visitor": name, "agent": MattermostText.inertName($0)]) }
                ?? words(.newChatClosed, ["visitor": name])) + address)
        } else if let takenBy {
            // An agent answered: the others see the chat is in hand.
            lines.append(words(.newChatTaken, ["visitor": name, "agent": MattermostText.inertName(takenBy)]) + address)
        } else {
            lines.append(email.map { words(.newChatWithEmail, ["visitor": name, "email": MattermostText.inertName($0, limit: 254)]) }
                ?? words(.newChat, ["visitor": name]))
        }
        if let userID {
            lines.append(words(.signedInField, ["user": MattermostText.inertName(userID, limit: 256)]))
        }
        let open = closedBy == nil && !endedByVisitor
        if let page, open {
            lines.append(words(.pageField, ["page": MattermostText.page(page, linked: pageLinked)]))
        }
        if let language, open {
            lines.append(words(.languageField, ["language": words.languageName(language)]))
        }
        if let earlier, open {
            lines.append(words(.earlierChats, ["chats": earlier]))
        }
        for variable in conversation.variables where variable.name != "name" && variable.name != "email" {
            lines.append("**\(MattermostText.inertName(variable.name.capitalized)):** \(MattermostText.inertName(variable.value, limit: 200))")
        }
        if let firstMessage {
            let short = firstMessage.count > 300 ? String(firstMessage.prefix(300)) + "…" : firstMessage
            lines.append("> " + MattermostText.inert(short).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n> "))
        }
        if let link {
            lines.append("[\(words(.joinLink))](\(link))")
        } else if open {
            lines.append(words(.replyInThread))
        }
        return lines.joined(separator: "\n")
    }

    /// A returning visitor's earlier chats with the agents, newest first, each as when it
    /// was and a link to its room (only a room on this Mattermost site is linked; one made
    /// before the connection moved to another server is named by its time alone):
    /// `[2 days ago](…) · [3 weeks ago](…) and 4 more`.
    static func earlierChats(_ earlier: EarlierRooms, site: String, now: Millis, words: AgentWords = .english) -> String? {
        guard !earlier.rooms.isEmpty else { return nil }
        var text = earlier.rooms.map { room in
            let when = timeAgo(room.createdAt, now: now, words: words)
            return MattermostClient.isOnServer(room.link, base: site) ? "[\(when)](\(room.link))" : when
        }.joined(separator: " · ")
        let more = earlier.count - earlier.rooms.count
        if more > 0 { text = words(.andMore, ["chats": text, "count": "\(more)"]) }
        return text
    }

    /// How long ago a time was, in the largest whole unit: "5 minutes ago", "yesterday",
    /// "3 weeks ago". Mattermost shows a post's text to readers in every time zone alike.
    static func timeAgo(_ time: Millis, now: Millis, words: AgentWords = .english) -> String {
        words.timeAgo(minutes: max(0, now - time) / 60_000)
    }

    /// The visitor's widget moved to another page while the chat is with the agents.
    static func visitorPage(_ page: VisitedPage, linked pageLinked: Bool, visitor: String, words: AgentWords = .english) -> String {
        words(.visitorPage, ["visitor": MattermostText.inertName(visitor), "page": MattermostText.page(page, linked: pageLinked)])
    }

    /// The visitor's rating of a chat that ended.
    static func rated(_ rating: ChatRating, visitor: String, words: AgentWords = .english) -> String {
        words(rating == .good ? .ratedGood : .ratedBad, ["visitor": MattermostText.inertName(visitor)])
    }

    /// The visitor had left: the replies they had not seen went to them by email.
    static func repliesEmailed(visitor: String, words: AgentWords = .english) -> String {
        words(.repliesEmailed, ["visitor": MattermostText.inertName(visitor)])
    }

    /// To an agent who wrote in a closed chat's room (only they see it).
    /// - Parameter newChat: the link to the visitor's chat open now, when they came back.
    static func chatIsClosed(visitor: String, newChat: String? = nil, words: AgentWords = .english) -> String {
        let closed = words(.chatIsClosed, ["visitor": MattermostText.inertName(visitor)])
        return newChat.map { closed + " " + words(.inNewChat, ["link": $0]) } ?? closed
    }

    /// To an agent who replied under the reminder that a visitor waits: the visitor does not
    /// see it; the chat is at `link`.
    static func reminderReply(visitor: String, link: String, words: AgentWords = .english) -> String {
        words(.reminderReply, ["visitor": MattermostText.inertName(visitor), "link": link])
    }

    /// The visitor ended the chat from the widget.
    static func endedByVisitor(_ visitor: String, words: AgentWords = .english) -> String {
        words(.endedByVisitor, ["visitor": MattermostText.inertName(visitor)])
    }

    static func closed(by name: String?, words: AgentWords = .english) -> String {
        name.map { words(.closedBy, ["agent": MattermostText.inertName($0)]) } ?? words(.closed)
    }

    /// An admin's setting (a command, a prefix) as it goes between backticks.
    static func inCode(_ text: String) -> String { text.replacingOccurrences(of: "`", with: "'") }

    /// A valid, unique channel name: `chat-` and the conversation id (lowercase base32).
    static func channelName(for conversation: ConversationID) -> String {
        "chat-" + conversation.rawValue.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// Whether a channel's name is one `channelName(for:)` gives a chat's room.
    static func isChatRoomName(_ name: String) -> Bool {
        guard name.hasPrefix("chat-") else { return false }
        let id = name.dropFirst(5)
        return id.count == 20 && id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }

    /// The channel's display name: the visitor's name and topic, at most 64 characters.
    static func channelDisplayName(visitor: String, topic: String?, words: AgentWords = .english) -> String {
        var name = visitor.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingWhitespace()
        if name.isEmpty { name = words(.visitor) }
        if let topic, !topic.isEmpty { name += " · " + topic.split(whereSeparator: \.isNewline).joined(separator: " ") }
        // Mattermost counts runes (Unicode scalars), not characters; the cut is between
        // characters (no half a flag or family).
        let filtered = name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        return String(String(String.UnicodeScalarView(filtered)).prefix(scalars: 64)).trimmingWhitespace()
    }
}
