@testable import BatonBot
import BatonCore
import Foundation
import Testing

@Suite struct AnswerPatternTests {
    private func matches(_ pattern: String, _ answer: String) throws -> Bool {
        try AnswerPattern(pattern).matches(answer)
    }

    @Test func theWholeAnswerMatches() throws {
        #expect(try matches("^PC-[0-9]{6}$", "PC-123456"))
        #expect(try matches("PC-[0-9]{6}", "PC-123456"))
        #expect(try !matches("PC-[0-9]{6}", "PC-12345"))
        #expect(try !matches("PC-[0-9]{6}", "PC-1234567"))
        #expect(try !matches("PC-[0-9]{6}", "my order is PC-123456"))
        #expect(try !matches("PC-\\d{6}", "pc-123456"))
        #expect(try matches("(?i)PC-\\d{6}", "pc-123456"))
        #expect(try matches("(?i)[A-Z]{2}\\d+", "ab12"))
        #expect(try matches("\\d{3}", "٠١٢"))  // digits of any script
    }

    @Test func groupsAlternativesAndQuantifiers() throws {
        #expect(try matches("(EU|US)-\\d+", "EU-1"))
        #expect(try matches("(EU|US)-\\d+", "US-42"))
        #expect(try !matches("(EU|US)-\\d+", "UK-42"))
        #expect(try matches("a(bc)*d", "ad"))
        #expect(try matches("a(bc)*d", "abcbcd"))
        #expect(try !matches("a(bc)*d", "abd"))
        #expect(try matches("colou?r", "color"))
        #expect(try matches("x{2,}", "xxxxx"))
        #expect(try !matches("x{2,3}", "xxxx"))
        #expect(try matches("[^ ]+@[^ ]+", "a@b"))
        #expect(try matches(".+ .+", "Ann Lee"))
        #expect(try matches("\\w+\\s\\w+", "Zoë Müller"))
        #expect(try matches("[a\\-z]+", "a-z"))
        #expect(try matches("(?:ab|c)+", "abcab"))
        #expect(try matches("1\\.5\\$", "1.5$"))
    }

    /// Case is mapped on strings: "ß" in upper case is "SS" (it crashed the server, making
    /// a Character of two); counts are digits (`{-1}` crashed it too); a long answer
    /// matches no pattern, so the largest pattern costs little on the longest answer taken.
    @Test func whatCrashedOrStalled() throws {
        #expect(try matches("(?i)[a-z]+", "straße") == false)
        #expect(try matches("(?i)[a-zß]+", "Straße"))
        #expect(try matches("(?i)[^0-9]+", "Straße"))
        #expect(try matches("(?i)STRASSE", "strasse"))
        #expect(try matches("(?i)ﬁ", "ﬁ"))
        for bad in ["a{-1}", "a{-2,-1}", "a{1,-1}", "a{+1}"] {
            #expect(throws: AnswerPattern.Problem.self, "\(bad)") { try AnswerPattern(bad) }
        }
        #expect(throws: AnswerPattern.Problem.self) { try AnswerPattern("(.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?){100}") }
        let widest = try AnswerPattern("(.?.?.?.?.?.?.?.?.?.?.?.?){10}x")
        #expect(!widest.matches(String(repeating: "a", count: 500)))
        #expect(!widest.matches(String(repeating: "a", count: 4_000)))
        #expect(try matches(".+", String(repeating: "a", count: 500)))
        #expect(try !matches(".+", String(repeating: "a", count: 501)))
        // `\$` last is the sign; `\\$`, a backslash and then the end.
        #expect(try matches("1\\$", "1$"))
        #expect(try matches("a\\\\$", "a\\"))
    }

    /// The second fuzzing round: repeated empty groups took minutes to compile; a class of
    /// 185 characters repeated 100 times took seconds an answer; a range took a digit with
    /// a joiner or a mark after it; a letter written decomposed was another letter.
    @Test func whatTheFuzzerFound() throws {
        for slow in ["((((){100}){100}){100}){100}", "(((((x{0}){100}){100}){100}){100}){100}",
                     "(?i)(.*[" + (0..<184).map { String(UnicodeScalar(0x100 + $0)!) }.joined() + "é]){100}"] {
            // Refused by counting, not by running out of time.
            let problem = #expect(throws: AnswerPattern.Problem.self) { try AnswerPattern(slow) }
            #expect(problem?.reason.contains("too large") == true, "\(String(describing: problem))")
        }
        #expect(try !matches("[0-9]{6}", "1\u{200D}23456"))
        #expect(try !matches("[0-9]{6}", String(repeating: "0\u{301}", count: 6)))
        #expect(try !matches("PC-[0-9]{6}", "PC-12345\u{1F3FB}6"))
        #expect(try !matches("[a-z]+", "q\u{301}"))
        #expect(try matches("[a-zé]+", "e\u{301}t\u{E9}"))
        #expect(try matches("(?i)CAF\u{E9}", "cafe\u{301}"))
        #expect(try matches("caf\u{65}\u{301}", "caf\u{E9}"))
        do { _ = try AnswerPattern("a*?") } catch { #expect(error.reason.hasPrefix("lazy and possessive quantifiers")) }
        // Still fine: a class of a hundred characters, repeated.
        #expect(try matches("[" + (0..<100).map { String(UnicodeScalar(0x100 + $0)!) }.joined() + "]{1,10}", "\u{100}\u{101}"))
    }

    /// A pattern that stalls a backtracking engine is matched in linear time.
    @Test func noCatastrophicBacktracking() throws {
        let pattern = try AnswerPattern("(a+)+b")
        #expect(!pattern.matches(String(repeating: "a", count: 5_000)))
        #expect(try !AnswerPattern("(a|a)*(a|a)*c").matches(String(repeating: "a", count: 5_000)))
    }

    @Test func mistakesAreSaid() throws {
        for (pattern, reason) in [("[abc", "a \"[\" is not closed"), ("(ab", "a \"(\" is not closed"), ("ab)", "a \")\" closes no group"),
                                  ("*a", "\"*\" repeats nothing"), ("a{5,2}", "must count up"), ("a{1000}", "to 100 at most"),
                                  ("\\p{L}", "\"\\p\" is not supported"), ("a^b", "allowed only at the start"), ("[z-a]", "goes backwards"),
                                  ("(?=a)", "\"(?\" is supported only"), ("^$", "matches nothing but an empty answer"),
                                  ("(a{100}){100}", "too large")] {
            #expect(throws: AnswerPattern.Problem.self, "\(pattern)") { try AnswerPattern(pattern) }
            do { _ = try AnswerPattern(pattern) } catch { #expect(error.reason.contains(reason), "\(pattern): \(error.reason)") }
        }
    }

    @Test func aTextQuestionWithAPatternAsksAgain() throws {
        var h = try BotHarness("""
        name: Penny
        greeting: Hi
        intents:
          - name: order
            examples: [where is my order]
            then: lookup
        flows:
          lookup:
            - ask: Your order number (PC- and six digits)?
              save: order
              pattern: '(?i)PC-\\d{6}'
              retry: Order numbers look like PC-123456.
            - say: Looking up {{order}}.
        """)
        #expect(h.say("where is my order") == ["Your order number (PC- and six digits)?"])
        #expect(h.say("actually never mind") == ["Order numbers look like PC-123456.", "Your order number (PC- and six digits)?"])
        #expect(h.say(" pc-123456 ") == ["Looking up pc-123456."])
    }

    /// The example support bot asks for an order number, or "none".
    @Test func theExampleSupportBotChecksItsOrderNumbers() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/support.yaml")
        var h = try BotHarness(try String(contentsOf: file, encoding: .utf8))
        _ = h.say("talk to a person")
        var answers = ["Ann", "ann@example.com"]
        while let reply = h.say(answers.isEmpty ? "x" : answers.removeFirst()).last, !reply.contains("order number") {
            try #require(h.conversation.variables.count < 5, "no order question: \(reply)")
        }
        #expect(h.say("the one from last week").first?.hasPrefix("Order numbers are on your confirmation email") == true)
        #expect(h.say("#ES-10234").last?.contains("order, a return") == true)
        #expect(h.conversation.variable("order") == "#ES-10234")
    }

    @Test func aPatternIsCheckedWithTheDocument() throws {
        func issues(_ step: String) -> [String] {
            do {
                _ = try BotDocument.parse("""
                name: P
                greeting: Hi
                intents: [{name: a, examples: [a], then: f}]
                flows:
                  f:
                \(step)
                """)
                return []
            } catch {
                return error.issues.map(\.description)
            }
        }
        #expect(issues("    - {ask: 'Number?', save: n, pattern: '[0-9'}")
                == ["line 6, flows.f[0].pattern: this pattern cannot be used: a \"[\" is not closed"])
        #expect(issues("    - {ask: 'Email?', save: e, type: email, pattern: '.+'}")
                == ["line 6, flows.f[0].pattern: a pattern only goes with type: text (the other types check their answers themselves)"])
        #expect(issues("    - {ask: 'Number?', save: n, pattern: '[0-9]+', retry: 'Digits only, please.'}") == [])
        // The default retry ("I need an answer to go on") is wrong for an answer given.
        #expect(issues("    - {ask: 'Number?', save: n, pattern: '[0-9]+'}")
                == ["line 6, flows.f[0].pattern: a question with a pattern needs a retry text that says what an answer looks like (\"Order numbers look like PC-123456.\")"])
    }
}

/// A visitor can leave a question: "cancel" (or another of `cancelTriggers`) ends its flow,
/// where any text was taken for the answer.
@Suite struct CancelTests {
    static let shop = """
    name: Penny
    greeting: Hi
    settings:
      handoverFlow: contact
    intents:
      - name: order
        examples: [where is my order]
        then: lookup
      - name: shipping
        examples: [how much is shipping]
        answer: Shipping is free.
    flows:
      lookup:
        - ask: Your order number?
          save: order
        - ask: What went wrong?
          save: issue
          type: choice
          choices: [Late, Damaged, Stop the order]
        - say: Thanks.
      contact:
        - ask: Your name?
          save: name
    """

    @Test func cancelLeavesTheQuestionAndItsFlow() throws {
        var h = try BotHarness(Self.shop)
        #expect(h.say("where is my order") == ["Your order number?"])
        #expect(h.say("Never mind!") == ["OK, let's leave that. What else can I help you with?"])
        #expect(h.conversation.state == .bot)
        #expect(h.conversation.variable("order") == nil)
        #expect(h.say("how much is shipping") == ["Shipping is free."])
        // A choice that reads like a cancel phrase is an answer ("stop" is not "Stop the order").
        #expect(h.say("where is my order") == ["Your order number?"])
        #expect(h.say("A-1") == ["What went wrong?"])
        #expect(h.say("CANCEL") == ["OK, let's leave that. What else can I help you with?"])
    }

    @Test func cancelDuringTheHandoverQuestionsStaysWithTheBot() throws {
        var h = try BotHarness(Self.shop)
        #expect(h.say("talk to a person") == ["Your name?"])
        #expect(h.say("stop") == ["OK, let's leave that. What else can I help you with?"])
        #expect(h.handover == nil)
        #expect(h.conversation.progress.handoverPending == false)
        #expect(h.say("how much is shipping") == ["Shipping is free."])
        #expect(h.say("talk to a person") == ["Your name?"])
        #expect(!h.say("Ann").isEmpty)
        #expect(h.handover != nil)
    }

    /// Every language's phrases leave a question, each of them.
    @Test(arguments: BotLanguage.all.keys.sorted()) func everyLanguagesPhrasesCancel(_ code: String) throws {
        let language = try #require(BotLanguage.all[code])
        for phrase in language.texts.cancelTriggers {
            var h = try BotHarness("""
            name: P
            language: \(code)
            greeting: Hi
            intents: [{name: a, examples: [zzqx], then: f}]
            flows:
              f:
                - {ask: 'Q?', save: n}
            """)
            #expect(h.say("zzqx") == ["Q?"])
            #expect(h.say(phrase) == [language.texts.cancelled], "\(code): \(phrase)")
        }
    }

    @Test func theBotsLanguageAndItsOwnPhrases() throws {
        var de = try BotHarness("""
        name: Zahnfee
        language: de
        greeting: Hallo
        intents: [{name: termin, examples: [termin], then: f}]
        flows:
          f:
            - {ask: 'Ihr Name?', save: name}
        """)
        #expect(de.say("Termin") == ["Ihr Name?"])
        #expect(de.say("Vergiss es.") == ["Alles klar, lassen wir das. Wobei kann ich Ihnen sonst helfen?"])
        var own = try BotHarness("""
        name: P
        greeting: Hi
        settings:
          cancelTriggers: [back to start]
          cancelMessage: Back at the start.
        intents: [{name: a, examples: [order], then: f}]
        flows:
          f:
            - {ask: 'Number?', save: n}
        """)
        #expect(own.say("order") == ["Number?"])
        #expect(own.say("cancel") == [])  // not one of its phrases: the answer
        #expect(own.conversation.variable("n") == "cancel")
        #expect(own.say("order") == ["Number?"])
        #expect(own.say("Back to start") == ["Back at the start."])
    }
}
