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
        #expect(h.say("never mind").first?.hasPrefix("Order numbers are on your confirmation email") == true)
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
        #expect(issues("    - {ask: 'Number?', save: n, pattern: '[0-9]+'}") == [])
    }
}
