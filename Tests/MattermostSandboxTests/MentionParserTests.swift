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

/// A member's `mention_count` counts the posts that mentioned them, as the server's does.
@Suite struct MentionCountTests {
    @Test func aMentionCountsAndAWordWithAnAtDoesNot() async throws {
        try await Seeded.run { s async throws in
            let bob = s.api(as: s.bob)
            func count() async throws -> Int64? {
                try await bob.get("/api/v4/channels/\(s.townSquare)/members/\(s.alice.id)").int("mention_count")
            }
            #expect(try await count() == 0)
            for message in ["hello @alice!", "mail alice at x@alice.example", "e@alice", "`@alice`", "all of you: @all"] {
                #expect(try await bob.post("/api/v4/posts", ["channel_id": s.townSquare, "message": message]).status == 201)
            }
            #expect(try await count() == 2)
        }
    }
}
