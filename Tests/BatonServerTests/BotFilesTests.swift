import BatonServer
import BatonTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// `baton bot check|import|export|list` (BotFiles): bot definitions kept as files go into
/// a database a Baton serves, and the running Baton uses them within seconds.
@Suite struct BotFilesTests {
    static let broken = "name: Sales\ngreeting: Hi\nintents:\n  - name: a\n    examples: [hello]\n    anwser: oops\n"
    static let sales = "name: Sam\ngreeting: Hello from the sales desk!\nintents:\n  - name: prices\n    examples: [what does it cost]\n    answer: It depends.\n"

    @Test(arguments: TestDatabase.available)
    func definitionsAreCheckedImportedAndExported(_ database: TestDatabase) async throws {
        // Each problem as compilers write them, for editors and CI.
        let problems = BotFiles.problems(of: Self.broken, file: "bad.yaml")
        #expect(problems.count == 1 && problems[0].hasPrefix("bad.yaml:6:"), "\(problems)")
        #expect(problems.first?.hasSuffix(#"intents[0].anwser: unknown field "anwser" (expected one of: name, examples, keywords, answer, buttons, then, handover)"#) == true)
        #expect(BotFiles.problems(of: Self.sales, file: "sales.yaml").isEmpty)
        try await database.withLocation { location in try await LiveBaton.run(configure: { $0.database = location }) { baton in
            var config = BatonConfiguration()
            config.database = location
            let files = BotFiles(config: config, logger: Logger(label: "test"))
            let demo = try await files.export(key: "demo")
            #expect(demo.contains("name: Ada"))
            // A definition with a problem saves nothing, and says every problem.
            do {
                _ = try await files.importing(Self.broken, file: "bad.yaml", key: "demo", name: nil)
                Issue.record("saved a definition with a problem")
            } catch {
                #expect("\(error)".hasPrefix("Not saved: the bot definition has 1 problem.\nbad.yaml:6:") && "\(error)".contains("intents[0].anwser"), "\(error)")
            }
            #expect(try await files.export(key: "demo") == demo)
            // The running Baton greets new visitors with the new definition within seconds.
            let changed = demo.replacingOccurrences(of: "Hi, I'm Ada", with: "Hello, I'm Ada")
            #expect(try await files.importing(changed, file: "demo.yaml", key: "demo", name: nil).hasPrefix("Saved the definition of the bot demo."))
            #expect(try await files.importing(changed, file: "demo.yaml", key: "demo", name: nil) == "The bot demo has this definition already.")
            // (A file that only ends with more line ends, as `export` writes it, is the same.)
            #expect(try await files.importing(changed + "\n\n", file: "demo.yaml", key: "demo", name: " Demo ") == "The bot demo has this definition already.")
            try await Self.eventuallyGreets(baton, widget: "demo", with: "Hello, I'm Ada")
            // A new key makes a new bot, named as its definition says unless told.
            #expect(try await files.importing(Self.sales, file: "sales.yaml", key: "sales", name: "Sales desk").hasPrefix("Made the bot sales (Sales desk)."))
            try await Self.eventuallyGreets(baton, widget: "sales", with: "Hello from the sales desk!")
            // Mistakes are told plainly, and save nothing.
            for (source, key, name, said) in [
                (Self.sales, "SALES", nil, #"There is a bot "sales", and keys must differ in more than case: to change that bot, use --key sales."#),
                (Self.sales, "no spaces", nil, #""no spaces" cannot be a bot's key: use 1 to 64 letters, digits, - and _."#),
                // A name the dashboard would refuse, from the file or the command.
                (Self.sales.replacingOccurrences(of: "name: Sam", with: #"name: "Ev\u0007il""#), "evil", nil,
                 "The name contains a line break or a control character (U+0007): write it on one line, without it."),
                (Self.sales, "long", String(repeating: "x", count: 101), "The name is 101 characters long: at most 100, please."),
            ] as [(String, String, String?, String)] {
                do {
                    _ = try await files.importing(source, file: "f.yaml", key: key, name: name)
                    Issue.record("imported \(key)")
                } catch {
                    #expect("\(error)" == said)
                }
            }
            do {
                _ = try await files.export(key: "nobody")
                Issue.record("exported a bot that is not there")
            } catch {
                #expect("\(error)" == #"There is no bot with the key "nobody". `baton bot list` shows the bots there are."#)
            }
            let listed = try await files.list().split(separator: "\n")
            #expect(listed.count == 2 && listed[0].hasPrefix("demo  Demo  changed 20") && listed[1].hasPrefix("sales  Sales desk  changed 20"), "\(listed)")
        } }
    }

    /// The command itself: `check` needs no database, says each problem (on standard
    /// error) and fails when there is one; a file it cannot read does not stop the others.
    @Test func theCheckCommandFailsOnAProblem() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad = folder.url.appendingPathComponent("bad.yaml").path, good = folder.url.appendingPathComponent("sales.yaml").path
        try Data(Self.broken.utf8).write(to: URL(fileURLWithPath: bad))
        try Data(Self.sales.utf8).write(to: URL(fileURLWithPath: good))
        let passed = try BatonProcess(["bot", "check", good])
        #expect(try await passed.exit() == 0)
        #expect(passed.log.contains("\(good): OK"))
        let missing = folder.url.appendingPathComponent("nothere.yaml").path
        let failed = try BatonProcess(["bot", "check", bad, missing, good])
        #expect(try await failed.exit() == 1)
        #expect(failed.log.contains("\(bad):6:") && failed.log.contains("intents[0].anwser: unknown field"), "\(failed.log)")
        #expect(failed.log.contains("\(missing): there is no file \(missing)") && failed.log.contains("\(good): OK"), "\(failed.log)")
        #expect(!failed.log.contains("\(bad): OK"))
        // Standard input is read once.
        #expect(try await BatonProcess(["bot", "check", "-", "-"]).exit() == 64)

    }

    /// Waits until a new visitor of `widget` is greeted with `text` (the running Baton reads
    /// a changed bot again after a few seconds).
    static func eventuallyGreets(_ baton: LiveBaton, widget: String, with text: String) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        let greeting = Mutex<String?>(nil)
        while ContinuousClock.now < deadline {
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello(widget: widget)
                greeting.withLock { $0 = welcome.messages.first?["text"] as? String }
            }
            if greeting.withLock({ $0 })?.hasPrefix(text) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("waited 15 s for \(widget)'s greeting \"\(text)\"; the last was \"\(greeting.withLock { $0 } ?? "none")\"")
    }
}
