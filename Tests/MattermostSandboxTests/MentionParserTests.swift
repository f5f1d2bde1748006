import MattermostSandbox
import Testing

/// The stand-in finds mentions as the real server's parser does (its own test cases, in
/// kind): the checks of Baton's inert text are only as good as this.
@Suite struct MentionParserTests {
    let keywords: Set<String> = ["@alice", "@bob.smith"]

    @Test func mentionsTheServerWouldFind() {
        let cases: [(String, Set<String>)] = [
            ("hello @alice", ["@alice"]),
            ("@ALICE, look", ["@alice"]),
            ("for @alice.", ["@alice"]),
            ("@alice: hi", ["@alice"]),
            ("@alice-", ["@alice"]),
            ("@bob.smith", ["@bob.smith"]),
            ("hello.@alice", ["@alice"]),
            ("x-@all", ["@all"]),
            ("_@here", ["@here"]),
            (".:@channel", ["@channel"]),
            ("(@all)", ["@all"]),
            ("e\u{301}@all", ["@all"]),  // a combining accent is no letter: the word starts at @
            ("\\@all", ["@all"]),  // an escaped @ still shows as one
            ("\\_@all", ["@all"]),
            ("@alice's", ["@alice"]),
        ]
        for (text, expected) in cases {
            #expect(MentionParser.mentions(in: text, keywords: keywords) == expected, "\(text)")
        }
    }

    @Test func whatIsNoMention() {
        for text in ["me@alice.example", "e@all", "Zoë@here", "2@channel", "@\u{200B}all", "@alicex", "`@all`",
                     "```\n@all\n```", ":@all:", "@ali ce", "email@all"] {
            #expect(MentionParser.mentions(in: text, keywords: keywords).isEmpty, "\(text)")
        }
    }
}
