import BatonBot
import BatonCore
@testable import BatonServer
@testable import BatonStore
import Foundation
import Logging
import SQLKit
import Synchronization
import BatonTestSupport
import Testing

@Suite struct ProcessTests {
    @Test func versionAndHelp() async throws {
        let version = try BatonProcess(["--version"])
        #expect(try await version.exit() == 0)
        #expect(version.log.trimmingCharacters(in: .whitespacesAndNewlines) == BatonVersion.current)
        let help = try BatonProcess(["serve", "--help"])
        #expect(try await help.exit() == 0)
        for flag in ["--port", "--database", "BATON_PORT", "BATON_DATABASE", "--max-message-length"] {
            #expect(help.log.contains(flag), "\(flag) missing from the help")
        }
        // Every variable Baton reads is listed, those without a flag too.
        for (variable, _) in BatonConfiguration.environmentVariables {
            #expect(help.log.contains(variable), "\(variable) missing from the help")
        }
        // And the list is whole: every BATON_ name the settings' code reads is in it.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/BatonServer").standardized
        let listed = Set(BatonConfiguration.environmentVariables.map(\.name))
        for file in ["BatonConfiguration.swift", "MailSettings.swift"] {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: #/value\("(BATON_[A-Z_]+)"\)/#) {
                #expect(listed.contains(String(match.output.1)), "\(match.output.1) is read but not listed")
            }
        }
        // A mistyped command is said to be one, with the commands there are (it was an
        // unexpected argument of `serve`, the default).
        let typo = try BatonProcess(["mattermots", "status"])
        #expect(try await typo.exit() == 64)
        #expect(typo.log.contains("Unknown command 'mattermots'") && typo.log.contains("serve, mattermost, bot, admin, backup, mail"), "\(typo.log)")
        #expect(try await BatonProcess(["help", "admin"]).exit() == 0)
        #expect(try await BatonProcess(["help", "bot"]).exit() == 0)
    }

    /// `--log-format json`: every line Baton writes is one JSON object, from the first
    /// (the database migrated) to the last (stopped by SIGTERM).
    @Test func theLogCanBeJSONLines() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let baton = try BatonProcess(["serve", "--port", "0", "--database", folder.database], environment: ["BATON_LOG_FORMAT": "json"])
        _ = try await baton.wait(for: #""message":"Baton [^"]+ is ready at http://127\.0\.0\.1:(\d+)/""#)
        baton.signal(SIGTERM)
        #expect(try await baton.exit() == 0)
        let lines = baton.log.split(separator: "\n").map(String.init)
        #expect(lines.count >= 4, "\(baton.log)")
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String && object?["level"] is String && object?["message"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""level":"notice","label":"baton","source":"baton""#) })
        #expect(lines.contains { $0.contains(#""message":"Created the demo widget","metadata":{"widget":"demo"}"#) }, "\(baton.log)")
    }

    /// A password file may be a pipe (`<(…)`, a FIFO) or a device (`/dev/stdin`), as
    /// secrets are often passed: it was refused as "may not read".
    @Test func aPasswordFileMayBeAPipe() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let fifo = folder.url.appendingPathComponent("password").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data("correct horse battery\n".utf8))
            try? handle.close()
        }
        writer.start()
        let create = try BatonProcess(["admin", "create", "--email", "pipe@example.com", "--password-file", fifo, "--database", folder.database])
        #expect(try await create.exit() == 0, "\(create.log)")
        let list = try BatonProcess(["admin", "list", "--database", folder.database])
        #expect(try await list.exit() == 0)
        #expect(list.log.contains("pipe@example.com"), "\(list.log)")
    }

    @Test func aBadSettingIsExplainedAndNothingStarts() async throws {
        let bad = try BatonProcess(["serve", "--port", "99999"])
        #expect(try await bad.exit() != 0)
        #expect(bad.log.contains("--port=\"99999\" is not valid: expected a whole number from 0 to 65535"))
        #expect(bad.log.contains("See 'baton serve --help'"), "\(bad.log)")
        // A negative number is a value to refuse, not a flag.
        let negative = try BatonProcess(["serve", "--port", "-1"])
        #expect(try await negative.exit() != 0)
        #expect(negative.log.contains("--port=\"-1\" is not valid: expected a whole number from 0 to 65535"), "\(negative.log)")
        // Baton's address is a host's root: under a path its dashboard would not load.
        let underPath = try BatonProcess(["serve", "--port", "0", "--public-url", "https://example.com/chat"])
        #expect(try await underPath.exit() == 64)
        #expect(underPath.log.contains("without a path"), "\(underPath.log)")
        #expect(try BatonConfiguration.publicURL("https://chat.example.com/", from: "x") == "https://chat.example.com")
        // A certificate file that is not there is a setting to mend, as any other (64).
        let noAuthority = try BatonProcess(["serve", "--port", "0", "--mattermost-ca-file", "/nonexistent.pem"])
        #expect(try await noAuthority.exit() == 64)
        #expect(noAuthority.log.contains("cannot use /nonexistent.pem as the certificate authority of Mattermost"), "\(noAuthority.log)")
        // A problem found while running is said alone, not with the root command's usage.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = try BatonProcess(["admin", "create", "--email", "a@example.com", "--password-file", "/nonexistent", "--database", folder.database])
        #expect(try await missing.exit() == 1)
        #expect(missing.log.contains("Error: There is no password file /nonexistent.") && !missing.log.contains("Usage: baton <subcommand>"), "\(missing.log)")
        // A key file that cannot be read is said in words, before the database is made
        // (it was "Error Domain=NSCocoaErrorDomain Code=256", after the migrations).
        let keyFile = folder.url.appendingPathComponent("baton.key").path
        try FileManager.default.createDirectory(atPath: keyFile, withIntermediateDirectories: false)
        let folderKey = try BatonProcess(["serve", "--port", "0", "--database", folder.database, "--secret-key-file", keyFile])
        #expect(try await folderKey.exit() != 0)
        #expect(folderKey.log.contains("Cannot read the key file \(keyFile): it is a folder."), "\(folderKey.log)")
        #expect(!folderKey.log.contains("NSCocoaErrorDomain"), "\(folderKey.log)")
        #expect(!FileManager.default.fileExists(atPath: folder.database))
        #expect(!FileManager.default.fileExists(atPath: folder.database + ".lock"))
        // A flag wins over its variable, even one that holds no valid value; the other
        // commands read only their own variables (a backup in cron with the service's env
        // file stopped at a rate limit mistyped there).
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_RATE_LIMIT"] = "abc"
        let list = try BatonProcess(["admin", "list", "--database", folder.database], environment: environment)
        #expect(try await list.exit() == 1)
        #expect(list.log.contains("There is no database") && !list.log.contains("BATON_RATE_LIMIT"), "\(list.log)")
        environment["BATON_RATE_LIMIT"] = "0x10"
        let hexadecimal = try BatonProcess(["serve", "--port", "0", "--database", folder.database], environment: environment)
        #expect(try await hexadecimal.exit() == 64)
        #expect(hexadecimal.log.contains(#"BATON_RATE_LIMIT="0x10" is not valid"#), "\(hexadecimal.log)")
        // SQLite's in-memory database is refused before anything is made, saying why.
        let memory = try BatonProcess(["serve", "--port", "0", "--database", ":memory:"])
        #expect(try await memory.exit() == 64)
        #expect(memory.log.contains("one per connection"), "\(memory.log)")
        environment["BATON_PORT"] = "abc"
        let other = try TemporaryFolder()
        defer { other.remove() }
        let flagWins = try BatonProcess(["serve", "--port", "0", "--rate-limit", "5", "--database", other.database], environment: environment)
        _ = try await flagWins.wait(for: "is ready at")
        flagWins.signal(SIGTERM)
        #expect(try await flagWins.exit() == 0)
        // A database that cannot be opened leaves no key made for it behind.
        let keyFor = other.url.appendingPathComponent("unreached.key").path
        let unreached = try BatonProcess(["serve", "--port", "0", "--database", "postgres://baton:secret@127.0.0.1:1/baton", "--secret-key-file", keyFor])
        #expect(try await unreached.exit() != 0)
        #expect(unreached.log.contains("nothing answers at that host and port"), "\(unreached.log)")
        #expect(!FileManager.default.fileExists(atPath: keyFor))
        // No password in Baton's public address: it goes into embed snippets and the log.
        #expect(throws: ConfigurationError.self) { try BatonConfiguration.publicURL("https://user:secret@chat.example.com", from: "x") }
    }

    /// One `baton serve` per SQLite database: a second one on the same file stops at
    /// start and says why (two would each deliver half of every chat). The files Baton
    /// makes are its owner's alone, whatever the umask; a clean stop says so.
    @Test func oneServerPerSQLiteDatabaseAndFilesOfItsOwner() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let first = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        _ = try await first.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        let second = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        #expect(try await second.exit() != 0)
        #expect(second.log.contains("Another Baton serves \(folder.database)"), "\(second.log)")
        // The commands work beside it.
        let backup = folder.url.appendingPathComponent("copy.sqlite").path
        let copied = try BatonProcess(["backup", backup, "--database", folder.database])
        #expect(try await copied.exit() == 0, "\(copied.log)")
        for name in ["baton.sqlite", "baton.sqlite-wal", "baton.key", "copy.sqlite"] {
            let mode = try FileManager.default.attributesOfItem(atPath: folder.url.appendingPathComponent(name).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name): \(String(mode ?? 0, radix: 8))")
        }
        first.signal(SIGTERM)
        #expect(try await first.exit() == 0)
        #expect(first.log.contains("Baton stopped"), "\(first.log)")
        // Once it has stopped, another may serve.
        let third = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        _ = try await third.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        third.signal(SIGTERM)
        #expect(try await third.exit() == 0)
    }

    /// On IPv6 the addresses Baton prints are URLs: the address in brackets.
    @Test func theSetupLinkOnIPv6IsAnAddress() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let baton = try BatonProcess(["serve", "--port", "0", "--host", "::1", "--database", folder.database])
        let port = try await baton.wait(for: #"ready at http://\[::1\]:(\d+)/"#)
        #expect(baton.log.contains("Create the first one at http://[::1]:\(port)/dashboard/#setup="), "\(baton.log)")
        baton.signal(SIGTERM)
        #expect(try await baton.exit() == 0)
    }

    @Test func sigtermClosesSocketsAndLeavesAConsistentDatabase() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let baton = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        let port = try await baton.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        let token = Collected<String>()
        let close = try await WidgetClient.connect("ws://127.0.0.1:\(port)/widget/v1/socket") { client in
            token.append(try await client.hello().string("token")!)
            _ = try await client.say("thank you", clientID: "before-stop")
            _ = try await client.expect("message")
            baton.signal(SIGTERM)
            while try await client.next() != nil {}
        }
        // 1001, going away: the server is shutting down.
        #expect(close?.closeCode == .goingAway)
        #expect(try await baton.exit() == 0)

        // Everything acknowledged is there, and the database is intact and checkpointed.
        let store = try await SQLStore.open(.sqlite(path: folder.database), logger: Logger(label: "test"))
        let integrity = try await store.reader.raw("PRAGMA integrity_check").first()?.decode(column: "integrity_check", as: String.self)
        #expect(integrity == "ok")
        let visitor = try await store.visitor(tokenHash: TokenHash.sha256(token.last!))
        let visitorID = try #require(visitor).id
        let conversation = try #require(try await store.latestConversation(of: visitorID))
        let texts = try await store.messages(in: conversation.id, after: 0, limit: 10).map(\.text)
        #expect(texts.dropFirst() == ["thank you", "You're welcome!"])
        await store.close()
    }

    /// A port another program holds, or an address that is not this machine's: Baton says
    /// so in words (not "bind(descriptor:ptr:bytes:): Address already in use") and exits 1.
    @Test func aTakenPortOrAForeignAddressIsExplained() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let first = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        let port = try await first.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        let second = try BatonProcess(["serve", "--port", port, "--database", folder.url.appendingPathComponent("second.sqlite").path])
        #expect(try await second.exit() == 1)
        #expect(second.log.contains("Error: Port \(port) on 127.0.0.1 is in use by another program"), "\(second.log)")
        first.signal(SIGTERM)
        #expect(try await first.exit() == 0)
        // 192.0.2.1 is documentation's own address (RFC 5737): no machine has it. Refused
        // as a setting (64), before the database and the key are made (it was found when
        // listening, after them).
        let third = folder.url.appendingPathComponent("third.sqlite").path
        let foreign = try BatonProcess(["serve", "--port", "0", "--host", "192.0.2.1", "--database", third])
        #expect(try await foreign.exit() == 64)
        #expect(foreign.log.contains(#"--host="192.0.2.1" is not valid: expected an address of this machine"#), "\(foreign.log)")
        // Not an address at all, and no name (an address's numbers past 255).
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_HOST"] = "999.1.1.1"
        let nonsense = try BatonProcess(["serve", "--port", "0", "--database", third], environment: environment)
        #expect(try await nonsense.exit() == 64)
        #expect(nonsense.log.contains(#"BATON_HOST="999.1.1.1" is not valid"#) && nonsense.log.contains("or a name it can look up"), "\(nonsense.log)")
        #expect(!FileManager.default.fileExists(atPath: third))
        // A certificate authority file that is not there stops Baton before it starts.
        let authority = try BatonProcess(["serve", "--port", "0", "--mattermost-ca-file", "/nonexistent/ca.pem",
                                          "--database", folder.url.appendingPathComponent("fourth.sqlite").path])
        #expect(try await authority.exit() != 0)
        #expect(authority.log.contains("cannot use /nonexistent/ca.pem as the certificate authority of Mattermost"), "\(authority.log)")
    }

    /// A connection that never sent a request (browsers open some ahead of need), one kept
    /// alive after its request, and one stopped halfway through a request do not keep
    /// Baton from stopping: the first held it for ever before.
    @Test func sigtermDoesNotWaitForConnectionsWithNothingToAnswer() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let baton = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        let port = Int(try await baton.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#))!
        let silent = try await RawConnection.open(port: port)
        let kept = try await RawConnection.open(port: port)
        try await kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try await withTimeout(30) { while !kept.text.contains("\r\n\r\n") { try await Task.sleep(for: .milliseconds(20)) } }
        #expect(kept.text.hasPrefix("HTTP/1.1 200"))
        let half = try await RawConnection.open(port: port)
        try await half.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        baton.signal(SIGTERM)
        #expect(await silent.closedByServer(within: 5))
        #expect(await kept.closedByServer(within: 5))
        #expect(await half.closedByServer(within: 5))
        #expect(try await baton.exit() == 0)
    }

    @Test func aBackupTakenWhileBatonRunsHoldsTheChatAndOpens() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let baton = try BatonProcess(["serve", "--port", "0", "--database", folder.database])
        let port = try await baton.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        let token = Collected<String>()
        try await WidgetClient.connect("ws://127.0.0.1:\(port)/widget/v1/socket") { client in
            token.append(try await client.hello().string("token")!)
            _ = try await client.say("thank you", clientID: "before-backup")
            _ = try await client.expect("message")
        }
        let copy = folder.url.appendingPathComponent("backup.sqlite").path
        let backup = try BatonProcess(["backup", copy, "--database", folder.database])
        #expect(try await backup.exit() == 0)
        #expect(backup.log.contains("Backed up \(folder.database) to \(copy)"))
        #expect(backup.log.contains("baton.key"))
        // Not over an existing file; not on PostgreSQL.
        let again = try BatonProcess(["backup", copy, "--database", folder.database])
        #expect(try await again.exit() != 0)
        #expect(again.log.contains("exists already"))
        let postgres = try BatonProcess(["backup", copy + "2", "--database", "postgres://u:p@127.0.0.1:1/db"])
        #expect(try await postgres.exit() != 0)
        #expect(postgres.log.contains("pg_dump"))
        baton.signal(SIGTERM)
        #expect(try await baton.exit() == 0)

        // The copy is a database Baton starts on: the chat resumes from it.
        let restored = try BatonProcess(["serve", "--port", "0", "--database", copy])
        let restoredPort = try await restored.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
        try await WidgetClient.connect("ws://127.0.0.1:\(restoredPort)/widget/v1/socket") { client in
            let welcome = try await client.hello(token: token.last!)
            #expect(welcome.messages.compactMap { $0["text"] as? String }.contains("thank you"))
        }
        restored.signal(SIGTERM)
        #expect(try await restored.exit() == 0)
    }

    /// `baton serve` on PostgreSQL, as a user runs it, twice on one database: a chat
    /// started on one server resumes on the other, and after both restarted.
    /// Batons started at once on a new database seed one demo widget, and only the one
    /// that created it says so (each said "Created the demo widget").
    @Test func batonsStartedTogetherSayTheyCreatedTheDemoOnce() async throws {
        let store = InMemoryChatStore()
        let lines = LoggedLines()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(logged: lines) }
        // Both found no widget; the second creates after the first.
        for _ in 0..<2 { try await DemoSeed.create(BotLibrary(store: store), logger: logger) }
        try await DemoSeed.ensure(BotLibrary(store: store), logger: logger)
        #expect(try await store.widgets().map(\.key) == ["demo"])
        #expect(lines.lines.withLock { $0.filter { $0.contains("Created the demo widget") }.count } == 1)
    }

    @Test(.enabled(if: TestPostgres.isAvailable)) func twoServersShareOnePostgreSQLDatabase() async throws {
        try await TestPostgres.withDatabase { location in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            var environment = ProcessInfo.processInfo.environment
            // The test server trusts every login: the password is only there to be kept out of the logs.
            environment["BATON_DATABASE"] = "postgres://\(location.username):hunter2@\(location.host):\(location.port)/\(location.database)?sslmode=disable"
            environment["BATON_SECRET_KEY"] = "one key for every server on the database"
            environment["BATON_LOG_LEVEL"] = "debug"
            let first = try BatonProcess(["serve", "--port", "0"], environment: environment)
            let firstPort = try await first.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            let second = try BatonProcess(["serve", "--port", "0"], environment: environment)
            let secondPort = try await second.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            let token = Collected<String>()
            try await WidgetClient.connect("ws://127.0.0.1:\(firstPort)/widget/v1/socket") { client in
                token.append(try await client.hello().string("token")!)
                _ = try await client.say("thank you", clientID: "pg-1")
                _ = try await client.expect("message")
            }
            try await WidgetClient.connect("ws://127.0.0.1:\(secondPort)/widget/v1/socket") { client in
                let welcome = try await client.hello(token: token.last!)
                #expect(welcome.messages.compactMap { $0["text"] as? String }.dropFirst() == ["thank you", "You're welcome!"])
            }
            for baton in [first, second] {
                baton.signal(SIGTERM)
                #expect(try await baton.exit() == 0)
                #expect(!baton.log.contains("hunter2"))
            }

            // Started again, it knows the visitor and the chat.
            let again = try BatonProcess(["serve", "--port", "0"], environment: environment)
            let portAgain = try await again.wait(for: #"ready at http://127\.0\.0\.1:(\d+)/"#)
            try await WidgetClient.connect("ws://127.0.0.1:\(portAgain)/widget/v1/socket") { client in
                let welcome = try await client.hello(token: token.last!)
                let texts = welcome.messages.compactMap { $0["text"] as? String }
                #expect(texts.dropFirst() == ["thank you", "You're welcome!"], "\(texts)")
            }
            again.signal(SIGTERM)
            #expect(try await again.exit() == 0)
        }
    }
}
