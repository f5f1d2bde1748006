@testable import BatonMattermost
import BatonCore
import Foundation
import MattermostSandbox
import Testing

@Suite struct MattermostTextTests {
    let zwsp = "\u{200B}"

    @Test(arguments: ["@all", "@channel", "@here", "@alice", "hi @all!", "x.@all", "a-@channel", "_@here", "e\u{301}@all", "(@alice)"])
    func noMentionSurvives(_ text: String) {
        let inert = MattermostText.inert(text)
        // After an @ that could start a mention comes the invisible zero-width space.
        #expect(!inert.contains("@a") && !inert.contains("@c") && !inert.contains("@h"))
        #expect(MentionParser.mentions(in: inert, keywords: ["@alice"]).isEmpty, "\(inert)")
    }

    /// An email address stays whole (agents copy it, Mattermost links it): no mention can
    /// start inside a word.
    @Test func emailAddressesStayWhole() {
        #expect(MattermostText.inert("mail me@example.com") == "mail me@example.com")
        #expect(MattermostText.inert("grace.hopper+chat@navy.example, 2@all") == "grace.hopper+chat@navy.example, 2@all")
        #expect(MattermostText.inert("Zoë@all and 名@alice") == "Zoë@all and 名@alice")
        #expect(MentionParser.mentions(in: MattermostText.inert("Zoë@all, me@alice.example"), keywords: ["@alice"]).isEmpty)
    }

    /// Random texts of the characters that matter to mentions and to Markdown: once inert,
    /// Mattermost's parser finds no mention in any of them.
    @Test func noRandomTextMentionsAnyone() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["@", "all", "channel", "here", "alice", "a", "é", "e\u{301}", "名", "2", ".", "-", ":", "_", "\\", "`", "*",
                      " ", "\n", "(", "!", "\u{200B}", "\u{85}", "[", "](", "://", "www", "#", "~"]
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let inert = MattermostText.inert(text)
            #expect(MentionParser.mentions(in: inert, keywords: ["@alice"]).isEmpty, "\(text.debugDescription) → \(inert.debugDescription)")
        }
    }

    @Test func emojiShortcodesBecomeEmojiOutsideCode() {
        #expect(MattermostEmoji.replacingShortcodes(in: ":tada: Done :white_check_mark:") == "🎉 Done ✅")
        #expect(MattermostEmoji.replacingShortcodes(in: "at 10:30: :thumbsup::-1:") == "at 10:30: 👍👎")
        #expect(MattermostEmoji.replacingShortcodes(in: ":our_logo: :not an emoji: ::") == ":our_logo: :not an emoji: ::")
        // Flags by their country's code, skin tones after the hand, cats.
        #expect(MattermostEmoji.replacingShortcodes(in: ":flag-de: :flag-br: :us: :wave::skin-tone-3: :smiley_cat:") == "🇩🇪 🇧🇷 🇺🇸 👋🏼 😺")
        #expect(MattermostEmoji.replacingShortcodes(in: ":flag-d: :flag-deu: :flag-D1: :skin-tone-1: :skin-tone-7: :skin-tone-22:")
            == ":flag-d: :flag-deu: :flag-D1: :skin-tone-1: :skin-tone-7: :skin-tone-22:")
        #expect(MattermostEmoji.replacingShortcodes(in: "`:x:` :x:\n```\n:x:\n```\n:x:") == "`:x:` ❌\n```\n:x:\n```\n❌")
        #expect(MattermostEmoji.replacingShortcodes(in: "no colon here") == "no colon here")
        #expect(MattermostEmoji.replacingShortcodes(in: ":") == ":")
    }

    @Test func markdownIsEscaped() {
        #expect(MattermostText.inert("**bold** _it_ `code` ~~x~~") == "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~x\\~\\~")
        #expect(MattermostText.inert("![img](http://x/y.png)") == "\\!\\[img\\]\\(`http://x/y.png`\\)")
        #expect(MattermostText.inert("[click](https://evil.example)") == "\\[click\\]\\(`https://evil.example`\\)")
        #expect(MattermostText.inert("| a | b |") == "\\| a \\| b \\|")
        #expect(MattermostText.inert("<script>") == "\\<script\\>")
        #expect(MattermostText.inert("~town-square #tag $x$") == "\\~town-square \\#tag \\$x\\$")
        #expect(MattermostText.inert("a\\b") == "a\\\\b")
    }

    @Test func blockConstructsAtLineStartsAreEscaped() {
        #expect(MattermostText.inert("# Title") == "\\# Title")
        #expect(MattermostText.inert("> quote") == "\\> quote")
        #expect(MattermostText.inert("- item\n+ item\n* item") == "\\- item\n\\+ item\n\\* item")
        #expect(MattermostText.inert("1. first\n2) second") == "1\\. first\n2\\) second")
        #expect(MattermostText.inert("---") == "\\---")
        #expect(MattermostText.inert("===") == "\\===")
        #expect(MattermostText.inert("```\ncode\n```") == "\\`\\`\\`\ncode\n\\`\\`\\`")
        // Indentation would make a code block.
        #expect(MattermostText.inert("    indented") == "indented")
        // Not at the start of a line, these are ordinary.
        #expect(MattermostText.inert("a - b + c = d 1.5") == "a - b + c = d 1.5")
    }

    /// An address is shown whole, to copy, in a code span that Mattermost does not link;
    /// anything else that could become a link is broken.
    @Test func addressesAreShownWholeButNotLinked() {
        #expect(MattermostText.inert("see https://example.com/a_b*c*?q=1#x.") == "see `https://example.com/a_b*c*?q=1#x`.")
        #expect(MattermostText.inert("www.example.com and WWW.x.org!") == "`www.example.com` and `WWW.x.org`\\!")
        #expect(MattermostText.inert("(https://shop.example/o/42)") == "\\(`https://shop.example/o/42`\\)")
        // Parentheses in pairs are the address's; one that closes the sentence's is not.
        #expect(MattermostText.inert("https://en.wikipedia.org/wiki/Swift_(programming_language)")
                == "`https://en.wikipedia.org/wiki/Swift_(programming_language)`")
        #expect(MattermostText.inert("(see https://w.example/C_(lang))") == "\\(see `https://w.example/C_(lang)`\\)")
        #expect(MattermostText.inert("https://w.example/a)b)") == "`https://w.example/a)b`\\)")
        #expect(MattermostText.inert("https://user@host.example/@all") == "`https://user@host.example/@all`")
        // What a code span could not hold, or what is no address, is broken as before.
        #expect(MattermostText.inert("https://x.example/`y`") == "https:\(zwsp)//x.example/\\`y\\`")
        #expect(MattermostText.inert("ftp://files.example") == "ftp:\(zwsp)//files.example")
        #expect(MattermostText.inert("xhttps://a.example") == "xhttps:\(zwsp)//a.example")
        #expect(MattermostText.inert("www.") == "www\(zwsp).")
        #expect(MentionParser.mentions(in: MattermostText.inert("https://a.example/@all"), keywords: []).isEmpty)
    }

    @Test func controlAndInvisibleCharactersAreDropped() {
        #expect(MattermostText.inert("a\u{0}b\u{7}c\u{1B}d") == "abcd")
        #expect(MattermostText.inert("@\u{200B}all") == "@\(zwsp)all")
        #expect(MattermostText.inert("tab\there\nnext") == "tab\there\nnext")
    }

    @Test func namesAreOneInertLine() {
        #expect(MattermostText.inertName("**Eve**\n@all") == "\\*\\*Eve\\*\\* @\(zwsp)all")
        #expect(MattermostText.inertName(String(repeating: "a", count: 100)).count == 64)
    }

    @Test func longPostsAreSplitAtTheLimitOnWordBoundaries() {
        let word = "lorem "
        let text = String(repeating: word, count: 5000)  // 30,000 runes
        let parts = MattermostText.split(text, limit: 16_383)
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.unicodeScalars.count <= 16_383 })
        #expect(parts.joined() == text)
        #expect(parts[0].hasSuffix(" "))
        // Emoji are one rune here, as in Mattermost.
        let emoji = String(repeating: "😀", count: 20_000)
        let emojiParts = MattermostText.split(emoji, limit: 16_383)
        #expect(emojiParts.map { $0.unicodeScalars.count } == [16_383, 3_617])
        // With no space or line break, the cut is between characters: a family emoji (7
        // runes) or a letter with its accent is not split between two posts.
        let families = String(repeating: "_👨‍👩‍👧‍👦", count: 2100)  // 8 runes each
        let familyParts = MattermostText.split(families, limit: 16_383)
        #expect(familyParts.joined() == families && familyParts.count == 2)
        #expect(familyParts.allSatisfy { $0.unicodeScalars.count <= 16_383 })
        #expect(Set(familyParts.flatMap { Array($0) }) == ["_", "👨‍👩‍👧‍👦"], "a family cut in two")
    }

    @Test func splitsNeverCutAnEscapeOrAMentionBreak() {
        let text = MattermostText.inert(String(repeating: "*@", count: 10_000))
        for limit in [100, 101, 102, 103] {
            let parts = MattermostText.split(text, limit: limit)
            #expect(parts.joined() == text)
            for part in parts {
                #expect(!part.hasSuffix("\\"), "a part ends inside an escape")
                #expect(!part.hasPrefix(zwsp), "a part starts with a mention break")
                #expect(part.unicodeScalars.count <= limit)
            }
        }
    }
}

@Suite struct MattermostPostsTests {
    @Test func channelNamesAreValidAndUnique() {
        let id = ConversationID.random()
        let name = MattermostPosts.channelName(for: id)
        #expect(name == "chat-" + id.rawValue)
        #expect(name.count <= 64 && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
    }

    @Test func displayNamesAreAtMost64Runes() {
        #expect(MattermostPosts.channelDisplayName(visitor: "Grace", topic: "Sales") == "Grace · Sales")
        #expect(MattermostPosts.channelDisplayName(visitor: "  ", topic: nil) == "Visitor")
        let long = MattermostPosts.channelDisplayName(visitor: String(repeating: "👩‍💻", count: 40), topic: "x")
        #expect(long.unicodeScalars.count <= 64)
        // Cut between characters: no man left with a dangling joiner, no half a flag.
        let family = MattermostPosts.channelDisplayName(visitor: String(repeating: "A", count: 62) + "👨‍👩‍👧‍👦", topic: nil)
        #expect(family == String(repeating: "A", count: 62))
        let flags = MattermostPosts.channelDisplayName(visitor: String(repeating: "🇩🇪", count: 40), topic: nil)
        #expect(flags == String(repeating: "🇩🇪", count: 32))
        #expect(MattermostPosts.channelDisplayName(visitor: "a\nb\u{0}c", topic: nil) == "a bc")
    }

    @Test func theVisitorsWordsAreInertEverywhere() {
        var conversation = Conversation(id: .init("c"), widgetKey: "w", visitorID: .init("v"), createdAt: 0, updatedAt: 0)
        conversation.set("name", to: "@all")
        conversation.set("topic", to: "[x](http://evil)")
        let messages = [
            Message(id: 1, conversationID: .init("c"), role: .bot, authorName: "Ada", text: "Hi", createdAt: 0),
            Message(id: 2, conversationID: .init("c"), role: .visitor, text: "@channel look ![](http://x/y.png)", createdAt: 0),
        ]
        let transcript = MattermostPosts.transcript(conversation: conversation, visitor: "@here", messages: messages, botName: "Ada")
        let announcement = MattermostPosts.announcement(visitor: "@here", email: "e@x.io", conversation: conversation,
                                                        firstMessage: messages[1].text, link: "https://mm/t/channels/chat-c", signedInAs: "@channel [x](http://y)")
        #expect(announcement.contains("**Signed in on the website as:** "))
        // Baton's own link is the only one allowed.
        let ownLink = "[Join the conversation](https://mm/t/channels/chat-c)"
        for post in [transcript, announcement.replacingOccurrences(of: ownLink, with: ""), MattermostPosts.visitorMessage("@all **hi**", visitor: "@here")] {
            for mention in ["@all", "@channel", "@here"] { #expect(!post.contains(mention), "\(mention) in \(post)") }
            #expect(!post.contains("](http"), "a link in \(post)")
            // Addresses only in code spans, which Mattermost does not link.
            #expect(!post.replacingOccurrences(of: "`http://", with: "").contains("http://"), "a link in \(post)")
        }
        #expect(announcement.hasSuffix("[Join the conversation](https://mm/t/channels/chat-c)"))
    }
}

@Suite struct CredentialBoxTests {
    @Test func sealedSecretsOpenOnlyWithTheKeyAndContext() throws {
        let box = CredentialBox(key: SecretCipher.randomKey())
        let sealed = try box.seal("hunter2", context: "demo")
        #expect(!sealed.isEmpty && !String(decoding: sealed, as: UTF8.self).contains("hunter2"))
        #expect(try box.open(sealed, context: "demo") == "hunter2")
        #expect(throws: CredentialError.self) { try box.open(sealed, context: "other") }
        #expect(throws: CredentialError.self) { try CredentialBox(key: SecretCipher.randomKey()).open(sealed, context: "demo") }
        // Each seal uses a new nonce.
        #expect(try box.seal("hunter2", context: "demo") != sealed)
    }

    @Test func theKeyFileIsCreatedPrivateAndReused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baton-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CredentialBox.load(environment: [:], keyFile: path)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let second = try CredentialBox.load(environment: [:], keyFile: path)
        #expect(first.key == second.key)
        // The environment wins over the file.
        let fromEnvironment = try CredentialBox.load(environment: ["BATON_SECRET_KEY": "a passphrase"], keyFile: path)
        #expect(fromEnvironment.key != first.key && fromEnvironment.key.count == 32)
    }

    @Test func aDamagedKeyFileIsReported() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baton-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "not a key".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: CredentialError.self) { try CredentialBox.load(environment: [:], keyFile: path) }
    }

    @Test func timesAgoAreInTheirLargestWholeUnit() {
        let now: Millis = 100_000_000_000
        let minute: Millis = 60_000, hour = 60 * minute, day = 24 * hour
        let cases: [(Millis, String)] = [
            (0, "just now"), (59_999, "just now"), (minute, "1 minute ago"), (59 * minute, "59 minutes ago"),
            (hour, "1 hour ago"), (23 * hour, "23 hours ago"), (day, "yesterday"), (2 * day, "2 days ago"),
            (13 * day, "13 days ago"), (14 * day, "2 weeks ago"), (60 * day, "8 weeks ago"), (61 * day, "2 months ago"),
            (364 * day, "12 months ago"), (365 * day, "1 year ago"), (800 * day, "2 years ago"), (-5 * minute, "just now"),
        ]
        for (age, text) in cases {
            #expect(MattermostPosts.timeAgo(now - age, now: now) == text, "\(age) ms")
        }
    }

    @Test func earlierChatsLinkTheRoomsOnThisSite() {
        let day: Millis = 24 * 3_600_000, now: Millis = 100 * day
        func room(_ id: String, _ link: String, daysAgo: Millis) -> Room {
            Room(conversationID: ConversationID(id), widgetKey: "w", externalID: id, name: id, link: link, cursor: 0, createdAt: now - daysAgo * day)
        }
        let rooms = [room("a", "https://mm.example/support/channels/chat-a", daysAgo: 2),
                     room("b", "https://mm.example/support/pl/post7", daysAgo: 21),
                     room("c", "https://old.example/support/channels/chat-c", daysAgo: 90)]
        #expect(MattermostPosts.earlierChats(EarlierRooms(rooms: [], count: 0), site: "https://mm.example", now: now) == nil)
        #expect(MattermostPosts.earlierChats(EarlierRooms(rooms: Array(rooms.prefix(1)), count: 1), site: "https://mm.example", now: now)
            == "[2 days ago](https://mm.example/support/channels/chat-a)")
        // A room made on another server is named by its time alone; the rest are counted.
        #expect(MattermostPosts.earlierChats(EarlierRooms(rooms: rooms, count: 7), site: "https://mm.example", now: now)
            == "[2 days ago](https://mm.example/support/channels/chat-a) · [3 weeks ago](https://mm.example/support/pl/post7) · 3 months ago and 4 more")
        // A site is matched whole: https://mm.example.evil is not https://mm.example.
        #expect(MattermostPosts.earlierChats(EarlierRooms(rooms: [room("d", "https://mm.example.evil/x", daysAgo: 1)], count: 1),
                                             site: "https://mm.example", now: now) == "yesterday")
        // The same server, written otherwise (a room made before its address was retyped).
        #expect(MattermostPosts.earlierChats(EarlierRooms(rooms: [room("e", "HTTPS://MM.example:443/support/channels/chat-e", daysAgo: 1)], count: 1),
                                             site: "https://mm.example", now: now) == "[yesterday](HTTPS://MM.example:443/support/channels/chat-e)")
    }

    /// A server's address is kept in one form, whatever its case or default port.
    @Test func aServersAddressHasOneForm() throws {
        #expect(try MattermostClient.normaliseURL("HTTPS://Chat.Example.com:443/") == "https://chat.example.com")
        #expect(try MattermostClient.normaliseURL("Chat.Example.com") == "https://chat.example.com")
        #expect(try MattermostClient.normaliseURL("http://Chat.Example.com:80/Team/Path/") == "http://chat.example.com/Team/Path")
        #expect(try MattermostClient.normaliseURL("http://127.0.0.1:8065") == "http://127.0.0.1:8065")
        #expect(try MattermostClient.normaliseURL("https://[::1]:8443") == "https://[::1]:8443")
        #expect(try MattermostClient.normaliseURL("https://chät.example") == "https://xn--cht-rla.example")
    }
}
