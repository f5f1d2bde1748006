@testable import BatonBot
import Foundation
import Testing

@Suite struct BotDocumentTests {
    func issues(_ source: String) -> [BotIssue] {
        do {
            _ = try BotDocument.parse(source)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func theDemoBotIsExamplesDemoYaml() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/demo.yaml")
        #expect(try String(contentsOf: file, encoding: .utf8) == DemoBot.source)
    }

    /// The bot format's own example, copied from docs/bot-format.md as a reader would,
    /// loads and does what it says (its "…" in a list once made it refuse to load).
    @Test func theDocumentedExampleLoadsAndWorks() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/bot-format.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().compactMap { $0.components(separatedBy: "\n```").first }
        #expect(!blocks.isEmpty)
        for block in blocks { #expect(issues(block).isEmpty, "\(issues(block))") }
        var ada = try BotHarness(try #require(blocks.first))
        #expect(ada.say("What is Baton?") == ["Baton is a chatbot that hands chats to people in Mattermost."])
        #expect(ada.say("how much does it cost") == ["Plans start at 10 € a month.", "Which plan interests you?"])
        // Asking for a person there: the handover flow's questions, then the handover.
        #expect(ada.say("Talk to a person", action: "handover") == ["Before I hand you over, a few questions.", "What's your name?"])
        #expect(ada.say("Grace") == ["Your email?"])
        #expect(ada.say("grace@example.com") == ["What is it about?"])
        #expect(ada.say("Sales") == ["Thanks Grace, a person will join shortly."])
        #expect(ada.handover != nil)
    }

    @Test func everyExampleParses() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
        #expect(files.count >= 3)
        for file in files {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(issues(source).isEmpty, "\(file): \(issues(source))")
        }
    }

    @Test func jsonIsAcceptedToo() throws {
        let bot = try ScriptedBot(source: """
        {
        \t"name": "Jay",
        \t"greeting": {"text": "Hi", "buttons": ["A", {"title": "Person", "action": "handover"}]},
        \t"intents": [{"name": "a", "examples": ["say a"], "answer": "A!"}]
        }
        """)
        #expect(bot.name == "Jay")
        #expect(bot.definition.greeting.buttons == [Button(title: "A"), Button(title: "Person", action: "handover")])
    }

    @Test func aSyntaxErrorGivesItsLine() {
        let found = issues("name: X\ngreeting: Hi\nintents:\n  - name: a\n    examples: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 5, "\(found)")
        #expect(found.first?.message.hasPrefix("syntax error") == true)
        // Never a line past the document's (a one-line document was told "line 2").
        for source in ["name: [unclosed", "bad: [", "name: [unclosed\n"] {
            let oneLine = issues(source)
            #expect(oneLine.first?.line == 1, "\(source): \(oneLine)")
        }
    }

    /// A key written twice is found where it is; a keyword of single letters is refused.
    @Test func aKeyTwiceAndSingleLetterKeywords() {
        let twice = issues("name: X\ngreeting: Hi\nname: Y\nintents: [{name: a, examples: [a], answer: A}]\n")
        #expect(twice.first?.message == "a key is written twice: name" && twice.first?.line != nil, "\(twice)")
        let letters = issues("name: X\ngreeting: Hi\nintents: [{name: a, keywords: [c++, swift], answer: A}]\n")
        #expect(letters.map(\.path) == ["intents[0].keywords[0]"], "\(letters)")
    }

    /// A name of YAML's null (`~`) is no name; a NUL byte is found where it is.
    @Test func aNullNameAndANulByte() {
        #expect(issues("name: ~\ngreeting: Hi\nintents: [{name: a, examples: [a], answer: A}]\n").first?.path == "name")
        let nul = issues("name: X\ngreeting: Hi\u{0}there\nintents: [{name: a, examples: [a], answer: A}]\n")
        #expect(nul.first?.line == 2, "\(nul)")
    }

    /// A byte-order mark before the document (some editors write one) is no part of it.
    @Test func aByteOrderMarkIsNoProblem() {
        #expect(issues("\u{FEFF}name: X\ngreeting: Hi\nintents: [{name: a, examples: [a], answer: A}]\n").isEmpty)
    }

    /// A quote left open is found at the end of the file: the issue points at the quote.
    @Test func anUnclosedQuoteIsFoundWhereItOpens() {
        let found = issues("name: X\ngreeting: \"Hi there\nintents:\n  - name: a\n    examples: [hello]\n    answer: ok\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 2 && found.first?.column == 11, "\(found)")
        #expect(found.first?.message == "syntax error: found unexpected end of stream while scanning a quoted scalar that begins at line 2, column 11",
                "\(found)")
        // A bracket left open: where the parser stopped, with where the list began.
        let bracket = issues("name: X\ngreeting: Hi\nintents:\n  - name: a\n    examples: [hello\n    answer: ok\n")
        #expect(bracket.first?.line == 6 && bracket.first?.message.contains("begins at line 5, column 15") == true, "\(bracket)")
    }

    @Test func anUnknownFieldIsNamedWithItsLine() {
        let found = issues("name: X\ngreeting: Hi\nintents:\n  - name: a\n    examples: [x]\n    anwser: oops\n")
        let unknown = found.first { $0.path == "intents[0].anwser" }
        #expect(unknown?.line == 6)
        #expect(unknown?.message.contains("unknown field \"anwser\"") == true)
        // Read without it, the intent has no answer: the typo's doing, not said.
        #expect(found.count == 1, "\(found)")
    }

    /// Unknown fields and values do not hide the document's other problems: every one
    /// comes in one round, in the document's order (the editor showed one kind at a time).
    @Test func unknownFieldsAndValuesComeWithTheOtherProblems() {
        let source = """
        name: X
        greeting: Hi
        settings:
          threshold: 6
          handoverFlow: contacts
        intents:
          - name: a
            examples: [hello]
            answer: ok
            colour: blue
        flows:
          contact:
            - ask: Mail?
              save: email
              type: emial
            - ask: Code?
              save: code
              pattern: "(["
        """
        let found = issues(source)
        let paths = found.map(\.path)
        #expect(paths.contains("settings.threshold") && paths.contains("settings.handoverFlow"), "\(found)")
        #expect(found.contains { $0.path == "intents[0].colour" && $0.line == 10 && $0.message.contains("unknown field") }, "\(found)")
        #expect(found.contains { $0.path == "flows.contact[0].type" && $0.line == 15 && $0.message.hasPrefix("unknown type \"emial\"") }, "\(found)")
        #expect(found.contains { $0.path == "flows.contact[1].pattern" && $0.message.hasPrefix("this pattern cannot be used") }, "\(found)")
        #expect(found.map { $0.line ?? 0 } == found.map { $0.line ?? 0 }.sorted(), "\(found)")
        // A problem that stops the reading (a wrong kind of value) still comes with the
        // unknown ones found before it.
        let stopped = issues("name: X\ngreeting: Hi\nfrobnicate: 1\nsettings:\n  threshold: high\n")
        #expect(stopped.map(\.path) == ["frobnicate", "settings.threshold"], "\(stopped)")
    }

    @Test func aMissingFieldIsNamed() {
        let found = issues("greeting: Hi\n")
        #expect(found.first?.message == "the required field \"name\" is missing")
    }

    @Test func aWrongTypeIsExplained() {
        let found = issues("name: X\ngreeting: Hi\nsettings:\n  threshold: high\n")
        #expect(found.first?.path == "settings.threshold")
        #expect(found.first?.line == 4)
        #expect(found.first?.message == "expected a number here")
    }

    @Test func everyMeaningProblemIsReportedWithItsPlace() {
        let source = """
        name: X
        greeting:
          text: Hi
          buttons:
            - title: Go
              action: flow:contcat
        settings:
          threshold: 2
          handoverFlow: nope
        intents:
          - name: a
            examples: [hello]
          - name: a
            keywords: [refund]
            answer: A
            then: contact
        flows:
          contact:
            - ask: Name?
              save: Full Name
            - ask: Pick
              save: pick
              type: choice
              choices: [one]
            - goto: elsewhere
        """
        let found = issues(source)
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["greeting.buttons[0].action"]?.message == "there is no flow named \"contcat\" (did you mean \"contact\"?)")
        #expect(byPath["greeting.buttons[0].action"]?.line == 6)
        #expect(byPath["settings.threshold"]?.line == 8)
        #expect(byPath["settings.handoverFlow"] != nil)
        #expect(byPath["intents[0]"]?.message.contains("needs an answer") == true)
        #expect(byPath["intents[1].name"]?.message == "another intent is also named \"a\"")
        #expect(byPath["flows.contact[0].save"]?.line == 20)
        #expect(byPath["flows.contact[1].choices"] != nil)
        #expect(byPath["flows.contact[2].goto"]?.line == 25)
        #expect(found.count == 8)
    }

    @Test func anUnknownAnswerTypeNamesTheValidOnes() {
        let found = issues("name: X\ngreeting: Hi\nflows:\n  f:\n    - ask: Mail?\n      save: email\n      type: emial\n")
        #expect(found.first?.message == "unknown type \"emial\" (expected one of: text, email, phone, choice)")
        #expect(found.first?.line == 7)
    }

    @Test func hugeDocumentsAreRefused() {
        let found = issues("name: X\n" + String(repeating: "# padding\n", count: 60_000))
        #expect(found.first?.message.contains("larger than") == true)
    }

    @Test func emptyDocumentsAreRefused() {
        #expect(issues("").first?.message == "the document is empty")
        #expect(issues("# only a comment\n").first?.message == "the document is empty")
    }

    /// Problems come in the order of the document, as the editor lists them; a tab in the
    /// indentation is named as the cause.
    @Test func problemsInLineOrderAndTabsNamed() throws {
        let found = issues("""
        name: T
        greeting: Hi
        flows:
          f:
            - say: ""
        intents:
          - name: a
            examples: [a]
            then: missing
        settings:
          handoverFlow: nowhere
        """)
        #expect(found.compactMap(\.line) == found.compactMap(\.line).sorted(), "\(found)")
        #expect(found.count == 3)
        let tab = issues("name: T\ngreeting: Hi\nintents:\n\t- name: a\n")
        #expect(tab.first?.message.hasSuffix("(the line is indented with a tab: YAML indents with spaces only)") == true, "\(tab)")
        #expect(tab.first?.line == 4)
    }
}
