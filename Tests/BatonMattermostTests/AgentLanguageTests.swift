@testable import BatonMattermost
import BatonCore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// What Baton writes to the agents, in the connection's language.
@Suite struct AgentLanguageTests {
    /// The placeholders, Markdown marks and emoji of a text: what a translation must keep.
    static func shape(_ text: String) -> [String] {
        let placeholders = text.matches(of: /\{[a-z]+\}/).map { String($0.output) }.sorted()
        let emoji = text.matches(of: /:[a-z_+\-]+:/).map { String($0.output) }
        return placeholders + emoji + ["** \(text.components(separatedBy: "**").count)", "` \(text.components(separatedBy: "`").count)",
                                       "~~ \(text.components(separatedBy: "~~").count)", "]( \(text.components(separatedBy: "](").count)"]
    }

    @Test func everyLanguageHasEveryTextInTheSameShape() throws {
        #expect(Set(AgentWords.tables.keys) == Set(WidgetSettings.languages))
        let english = try #require(AgentWords.tables["en"])
        #expect(Set(english.keys) == Set(AgentWords.Key.allCases))
        for (language, table) in AgentWords.tables {
            #expect(Set(table.keys) == Set(AgentWords.Key.allCases), "\(language)")
            for key in AgentWords.Key.allCases {
                let text = table[key] ?? ""
                #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(language) \(key)")
                #expect(Self.shape(text) == Self.shape(english[key] ?? ""), "\(language) \(key): \(text)")
            }
        }
    }

    @Test func reasonsAndTimesInTheAgentsLanguage() {
        let german = AgentWords(language: "de")
        #expect(german.reason(HandoverReason(.notUnderstood, "3")) == "der Bot den Besucher 3-mal hintereinander nicht verstanden hat")
        var outside = HandoverReason(.question, "Ihre E-Mail?")
        outside.outsideWorkingHours = true
        #expect(german.reason(outside) == "der Besucher „Ihre E-Mail?“ nicht beantworten konnte (außerhalb der Geschäftszeiten)")
        #expect(outside.english == "the visitor could not answer \"Ihre E-Mail?\" (outside working hours)")
        // English words are the bot's as they always were.
        for kind in HandoverReason.Kind.allCases {
            let why = HandoverReason(kind, "x")
            #expect(AgentWords.english.reason(why) == why.english, "\(kind)")
        }
        #expect(AgentWords(language: "xx").language == "en" && AgentWords(language: nil).language == "en")
        let times: [(Int64, String)] = [(0, "gerade eben"), (5, "vor 5 Minuten"), (60, "vor 1 Stunde"), (30 * 60, "gestern"),
                                         (3 * 24 * 60, "vor 3 Tagen"), (20 * 24 * 60, "vor 2 Wochen"), (400 * 24 * 60, "vor 1 Jahr")]
        for (minutes, text) in times { #expect(german.timeAgo(minutes: minutes) == text) }
        #expect(AgentWords(language: "fr").timeAgo(minutes: 90 * 24 * 60) == "il y a 3 mois")
        #expect(german.languageName("de-DE") == "Deutsch (Deutschland)")
        #expect(AgentWords.english.languageName("de-DE") == "German (Germany)")
    }

    @Test func postsFollowTheWords() {
        let german = AgentWords(language: "de")
        var conversation = Conversation(id: .init("c1"), widgetKey: "demo", visitorID: .init("v1"), createdAt: 0, updatedAt: 0)
        conversation.progress.handoverReason = "the visitor asked for a person"
        conversation.progress.handoverWhy = HandoverReason(.asked)
        let announcement = MattermostPosts.announcement(visitor: "Grete", email: "grete@example.com", conversation: conversation,
                                                        firstMessage: "Hallo", link: "https://mm/support/channels/chat-c1",
                                                        language: "de-DE", words: german)
        #expect(announcement == """
            :speech_balloon: **Neuer Chat** von **Grete** (grete@example.com)
            **Sprache:** Deutsch (Deutschland)
            > Hallo
            [Dem Chat beitreten](https://mm/support/channels/chat-c1)
            """)
        let transcript = MattermostPosts.transcript(conversation: conversation, visitor: "Grete", messages: [], botName: "Sam",
                                                    closeCommand: "!fertig", internalPrefix: "##", words: german)
        #expect(transcript.hasPrefix("#### Chat mit Grete\nÜbergeben, weil der Besucher nach einer Person gefragt hat.\n"), "\(transcript)")
        #expect(transcript.hasSuffix("_Antworte hier, um dem Besucher zu antworten. Nachrichten, die mit `##` beginnen, bleiben intern; `!fertig` beendet den Chat._"))
        // The bot's words with a visitor's answer in them (its Markdown escaped for the
        // widget) read as the visitor typed it, and stay inert.
        let botSaid = Message(id: 1, conversationID: conversation.id, role: .bot, text: #"Thanks \[Verify\](https://evil.example) \*\*now\*\*!"#, createdAt: 1)
        #expect(MattermostPosts.transcript(conversation: conversation, visitor: "Grete", messages: [botSaid], botName: "Sam")
            .contains(#"> **Sam** (bot): Thanks \[Verify\]\(`https://evil.example`\) \*\*now\*\*\!"#))
        // The connection's own close command and prefix, in English too (it said `!close` whatever they were).
        #expect(MattermostPosts.transcript(conversation: conversation, visitor: "Grete", messages: [], botName: nil, closeCommand: "!done")
            .hasSuffix("Messages starting with `//` stay internal; `!done` ends the chat._"))
        // A reason kept before reasons had parts: the bot's English words.
        conversation.progress.handoverWhy = nil
        #expect(MattermostPosts.transcript(conversation: conversation, visitor: "Grete", messages: [], botName: nil, words: german)
            .contains("Übergeben, weil the visitor asked for a person."))
        #expect(MattermostPosts.waitingReminder(visitor: "Grete", minutes: 0, link: "L", words: german)
            == ":hourglass_flowing_sand: **Grete** wartet seit weniger als einer Minute und noch ist niemand beigetreten. [Dem Chat beitreten](L)")
        #expect(MattermostPosts.closed(by: "Alice", words: german) == ":white_check_mark: Der Chat wurde von Alice geschlossen. Der Besucher wurde benachrichtigt.")
    }

    /// A connection set to German: the room's first post, the announcement and the close
    /// are written in German; the visitor's and the bot's words stay as they were.
    @Test func aGermanConnectionWritesToItsAgentsInGerman() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect(language: "de")
            let index = try #require(rig.indexChannel)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                #expect(room.displayName == "Grace · Sales")
                let first = try #require(rig.messages(in: room.id, by: "relay").first)
                #expect(first.hasPrefix("#### Chat mit Grace\nÜbergeben, weil der Bot den Besucher 2-mal hintereinander nicht verstanden hat.\n"), "\(first)")
                #expect(first.contains("**Antworten**") && first.contains("**Verlauf**") && first.contains("> **Grace**: qwerty uiop"))
                #expect(first.contains("(Bot): Sorry, I didn't get that"), "\(first)")  // the bot's own words
                #expect(first.hasSuffix("`!close` beendet den Chat._"))
                try await eventually("the announcement") {
                    rig.messages(in: index.id).last?.hasPrefix(":speech_balloon: **Neuer Chat** von **Grace** (grace@example.com)") == true
                }
                #expect(rig.messages(in: index.id).last?.contains("[Dem Chat beitreten](\(rig.sandbox.url)/support/channels/chat-") == true)
                try rig.sandbox.post(as: "alice", in: room.id, "!close")
                #expect(try await client.until("state").last?.string("state") == "closed")
                try await eventually("the room told, in German") {
                    rig.messages(in: room.id, by: "relay").last?.hasPrefix(":white_check_mark: Der Chat wurde von ") == true
                }
                try await eventually("the announcement edited") {
                    rig.messages(in: index.id).last?.hasPrefix(":white_check_mark: ~~Neuer Chat~~ **Geschlossen von ") == true
                }
            }
            #expect(try rig.contractViolations() == [])
        }
    }
}
