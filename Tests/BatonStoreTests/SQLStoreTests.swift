import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Logging
import SQLKit
import Synchronization
import Testing

/// A fresh SQLite file in a temporary folder, removed afterwards.
struct TemporaryDatabase {
    let folder: URL
    var path: String { folder.appendingPathComponent("baton.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func open() async throws -> SQLStore {
        try await SQLStore.open(.sqlite(path: path), logger: Logger(label: "test"))
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

func withStore(_ body: (SQLStore, TemporaryDatabase) async throws -> Void) async throws {
    let db = try TemporaryDatabase()
    defer { db.remove() }
    let store = try await db.open()
    do {
        try await body(store, db)
    } catch {
        await store.close()
        throw error
    }
    await store.close()
}

/// Store tests run on each database the tests have (`TestDatabase.available`).
typealias StoreKind = TestDatabase

extension TestDatabase {
    /// Runs `body` with a fresh, empty database of this kind, removed afterwards; `body`
    /// opens stores on it (as many times as it likes) with the function it is given.
    func withDatabase(_ body: @Sendable @escaping (@Sendable () async throws -> SQLStore) async throws -> Void) async throws {
        try await withLocation { location in
            try await body { try await SQLStore.open(location, logger: Logger(label: "test")) }
        }
    }

    /// Runs `body` with a store on a fresh database of this kind.
    func withStore(_ body: @Sendable @escaping (SQLStore) async throws -> Void) async throws {
        try await withDatabase { open in
            let store = try await open()
            do {
                try await body(store)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }
}

extension Conversation {
    static func new(_ visitor: VisitorID, at time: Millis = 1000) -> Conversation {
        Conversation(id: .random(), widgetKey: "w", visitorID: visitor, createdAt: time, updatedAt: time)
    }
}

extension Visitor {
    static func new(token: String = RandomID.secret()) -> Visitor {
        Visitor(id: .random(), widgetKey: "w", tokenHash: "hash-" + token, createdAt: 1, lastSeenAt: 1)
    }
}

@Suite struct SQLStoreTests {
    /// `baton_lower`, the search's lower case by Unicode's rules, on each database.
    /// A SQLite file that cannot be opened is said with what to do (SQLite's own words,
    /// "unable to open database file", said nothing of a folder or a missing one).
    @Test func aFileThatCannotBeOpenedIsExplained() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let notDatabase = folder.url.appendingPathComponent("notes.txt").path
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: notDatabase))
        for (path, words) in [(folder.url.path, "it is a folder: give the path of the database file"),
                              (folder.url.appendingPathComponent("missing/baton.sqlite").path, "it cannot be made there: check that the folder exists"),
                              (notDatabase, "the file is not a SQLite database: check the path")] {
            do {
                _ = try await SQLStore.open(.sqlite(path: path), logger: Logger(label: "test"))
                Issue.record("opened \(path)")
            } catch {
                #expect("\(error)".contains(words), "\(error)")
            }
        }
    }

    /// A database this user may not write is refused when it is opened, with what to do,
    /// not taken read-only in silence (every chat then failed on a server that said it
    /// was ready and healthy). As root, whom permissions do not stop, the file is made
    /// immutable instead (`chattr +i`); where that cannot be done the test has nothing to
    /// check.
    @Test func aDatabaseThisUserMayNotWriteIsRefusedWhenOpened() async throws {
        let db = try TemporaryDatabase()
        defer { db.remove() }
        await (try await db.open()).close()
        let asRoot = getuid() == 0
        func chattr(_ flag: String) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag, db.path]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        if asRoot {
            guard chattr("+i") else { return }
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: db.path)
        }
        defer { if asRoot { _ = chattr("-i") } }
        do {
            let store = try await db.open()
            await store.close()
            Issue.record("a database this user may not write was opened")
        } catch {
            #expect("\(error)".contains("this user may not write it"), "\(error)")
            if !asRoot { #expect("\(error)".contains("not writable: \(db.path)"), "\(error)") }
        }
    }

    @Test(arguments: StoreKind.available) func textIsLoweredByUnicodesRules(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let row = try #require(try await store.reader.raw("""
                SELECT baton_lower('ÖZIL Ærøe ΣΟΦΙΑ ИВАН ABC') AS lowered, baton_lower(NULL) AS absent, baton_lower('') AS empty
                """).first())
            #expect(try row.decode(column: "lowered", as: String.self) == "özil ærøe σοφια иван abc")
            #expect(try row.decode(column: "absent", as: String?.self) == nil)
            #expect(try row.decode(column: "empty", as: String.self) == "")
        }
    }

    @Test(arguments: StoreKind.available) func widgetsRoundTripAndUpdate(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            var widget = Widget(key: "w", name: "Web", botSource: "name: X", settings: WidgetSettings(title: "T", color: "#112233", allowedOrigins: ["https://a.example"]), createdAt: 1, updatedAt: 1)
            try await store.saveWidget(widget)
            #expect(try await store.widget(key: "w") == widget)
            widget.name = "Web 2"
            widget.updatedAt = 2
            try await store.saveWidget(widget)
            #expect(try await store.widgets() == [widget])
            // A change on an older version is not written; of changes made at once on the
            // same version, one is.
            var stale = widget
            stale.name = "Stale"
            stale.updatedAt = 3
            #expect(try await !store.saveWidget(stale, ifUpdatedAt: 1))
            #expect(try await store.widget(key: "w") == widget)
            let saved = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    var change = widget
                    change.name = "Change \(index)"
                    change.updatedAt = 3
                    group.addTask { try await store.saveWidget(change, ifUpdatedAt: 2) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(saved == 1)
            #expect(try await store.widget(key: "w")?.name.hasPrefix("Change ") == true)
            #expect(try await store.widget(key: "w")?.updatedAt == 3)
            #expect(try await !store.saveWidget(stale, ifUpdatedAt: 2))
            try await store.deleteWidget(key: "w")
            #expect(try await !store.saveWidget(stale, ifUpdatedAt: 3))
            // A new widget is made once: of several made at once with one key, one is.
            let made = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    var new = widget
                    new.name = "New \(index)"
                    group.addTask { try await store.createWidget(new) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(made == 1)
            #expect(try await !store.createWidget(widget))
            #expect(try await store.widget(key: "w")?.name.hasPrefix("New ") == true)
            try await store.deleteWidget(key: "w")
            #expect(try await store.widget(key: "w") == nil)
        }
    }

    /// Addresses and words are in the statements' values (a visitor's, an admin's, a
    /// search's): `debug` does not log them (`trace` does, as documented).
    @Test(arguments: StoreKind.available) func debugLogsHoldNoVisitorsWords(_ kind: StoreKind) async throws {
        for level in [Logger.Level.debug, .trace] {
            let lines = LoggedLines()
            var handler = CapturingLogHandler(logged: lines)
            handler.logLevel = level
            let logger = Logger(label: "test") { [handler] _ in handler }
            try await kind.withLocation { location in
                let store = try await SQLStore.open(location, logger: logger)
                var visitor = Visitor.new()
                visitor.email = "secret-address@example.com"
                let conversation = Conversation.new(visitor.id)
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                     messages: [NewMessage(role: .visitor, text: "my secret words")]))
                #expect(try await store.messages(in: conversation.id, after: 0, limit: 10).count == 1)
                #expect(try await store.admin(email: "secret-address@example.com") == nil)
                await store.close()
            }
            let logged = lines.lines.withLock { $0.joined(separator: "\n") }
            let leaked = logged.contains("my secret words") || logged.contains("secret-address")
            #expect(leaked == (level == .trace), "\(level): \(logged.prefix(3000))")
        }
    }

    /// A visitor keeps the newest browser tokens only: a link opened over and over from
    /// browsers without the token added a row each time, for ever. Link codes stay.
    @Test(arguments: StoreKind.available) func aVisitorKeepsItsNewestBrowserTokens(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new(), other = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation.new(visitor.id)))
            _ = try await store.commit(ChangeSet(visitor: other, conversation: Conversation.new(other.id)))
            try await store.addVisitorKey(tokenHash: "link", visitor: visitor.id, expiresAt: 900_000, now: 1000)
            try await store.addVisitorKey(tokenHash: "other-browser", visitor: other.id, expiresAt: nil, now: 1000)
            let kept = VisitorKeys.browsersKept
            for index in 0..<(kept + 5) {
                try await store.addVisitorKey(tokenHash: "browser-\(index)", visitor: visitor.id, expiresAt: nil, now: 2000 + Millis(index))
            }
            for index in 0..<5 { #expect(try await store.visitor(tokenHash: "browser-\(index)") == nil, "\(index)") }
            for index in 5..<(kept + 5) { #expect(try await store.visitor(tokenHash: "browser-\(index)")?.id == visitor.id, "\(index)") }
            #expect(try await store.visitor(linkHash: "link", now: 3000)?.id == visitor.id)
            #expect(try await store.visitor(tokenHash: visitor.tokenHash)?.id == visitor.id)
            #expect(try await store.visitor(tokenHash: "other-browser")?.id == other.id)
        }
    }

    /// Keys to a visitor besides their first browser's token: an emailed link's code until
    /// it expires, and other browsers' tokens; gone with the visitor.
    @Test(arguments: StoreKind.available) func aVisitorHasMoreKeysThanItsFirstToken(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation.new(visitor.id)))
            try await store.addVisitorKey(tokenHash: "link", visitor: visitor.id, expiresAt: 2000, now: 1000)
            try await store.addVisitorKey(tokenHash: "browser", visitor: visitor.id, expiresAt: nil, now: 1000)
            #expect(try await store.visitor(linkHash: "link", now: 1999)?.id == visitor.id)
            #expect(try await store.visitor(linkHash: "link", now: 2000) == nil)
            #expect(try await store.visitor(linkHash: "browser", now: 1000) == nil)
            #expect(try await store.visitor(tokenHash: "browser")?.id == visitor.id)
            #expect(try await store.visitor(tokenHash: "link") == nil)
            #expect(try await store.visitor(tokenHash: visitor.tokenHash)?.id == visitor.id)
            // Expired codes go as others are added.
            try await store.addVisitorKey(tokenHash: "later", visitor: visitor.id, expiresAt: 9000, now: 2500)
            try await store.addVisitorKey(tokenHash: "link", visitor: visitor.id, expiresAt: 9000, now: 2500)
            #expect(try await store.visitor(linkHash: "link", now: 2500)?.id == visitor.id)
            #expect(try await store.eraseVisitor(visitor.id, eraseRooms: false) != .notFound)
            #expect(try await store.visitor(tokenHash: "browser") == nil)
            #expect(try await store.visitor(linkHash: "later", now: 2500) == nil)
        }
    }

    @Test(arguments: StoreKind.available) func aChangeIsStoredWithIncreasingMessageIDs(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            conversation.set("name", to: "Ann")
            conversation.progress.flow = "contact"
            let stored = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [
                NewMessage(role: .bot, authorName: "Ada", text: "Hi", buttons: [QuickReply(title: "A", action: "handover")]),
                NewMessage(role: .visitor, text: "hello <b>", clientID: "c1"),
            ]))
            #expect(stored.count == 2)
            #expect(stored[0].id < stored[1].id)
            #expect(try await store.visitor(tokenHash: visitor.tokenHash) == visitor)
            #expect(try await store.conversation(id: conversation.id) == conversation)
            #expect(try await store.messages(in: conversation.id, after: 0, limit: 10) == stored)
            #expect(try await store.messages(in: conversation.id, after: stored[0].id, limit: 10) == [stored[1]])
            #expect(try await store.latestMessages(in: conversation.id, after: 0, limit: 1) == [stored[1]])
            #expect(try await store.latestMessages(in: conversation.id, after: 0, limit: 10) == stored)
            #expect(try await store.message(from: visitor.id, clientID: "c1") == stored[1])
        }
    }

    @Test(arguments: StoreKind.available) func aCorrectionIsStoredWithTheMessageItReplaces(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            let conversation = Conversation.new(visitor.id)
            let first = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [
                NewMessage(role: .agent, authorName: "Alice", text: "Mondy", externalID: "p1"),
            ]))
            let fix = try await store.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .agent, authorName: "Alice", text: "Monday", externalID: "p1:edit:5", replaces: first[0].id),
            ]))
            #expect(fix[0].replaces == first[0].id)
            #expect(try await store.messages(in: conversation.id, after: 0, limit: 10).map(\.replaces) == [nil, first[0].id])
            #expect(try await store.message(externalID: "p1:edit:5")?.replaces == first[0].id)
        }
    }

    @Test(arguments: StoreKind.available) func aNoticeKeepsItsMeaningAndAWidgetItsLanguage(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            let conversation = Conversation.new(visitor.id)
            let stored = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [
                NewMessage(notice: Notice(.agentJoined, name: "Zoë \"Z\" O'Neil"), externalID: "j1"),
                NewMessage(notice: Notice(.visitorRated, name: nil, rating: "good")),
                NewMessage(role: .bot, authorName: "Ada", text: "Hi"),
            ]))
            #expect(stored.map(\.text) == ["Zoë \"Z\" O'Neil joined the chat.", "The visitor rated the chat: good.", "Hi"])
            let read = try await store.messages(in: conversation.id, after: 0, limit: 10)
            #expect(read == stored)
            #expect(read.map(\.notice) == [Notice(.agentJoined, name: "Zoë \"Z\" O'Neil"), Notice(.visitorRated, rating: "good"), nil])
            #expect(read.map(\.role) == [.system, .system, .bot])

            let widget = Widget(key: "w", name: "Web", botSource: "name: X", settings: WidgetSettings(language: "de"), createdAt: 1, updatedAt: 1)
            try await store.saveWidget(widget)
            #expect(try await store.widget(key: "w")?.settings.language == "de")
        }
    }

    @Test(arguments: StoreKind.available) func aSignedInVisitorIsFoundByItsWebsiteUserIDOncePerWidget(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            // An anonymous visitor, then recorded as website user 42 (with its conversation, as a step writes it).
            var visitor = Visitor.new()
            let conversation = Conversation.new(visitor.id)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            #expect(try await store.visitor(widgetKey: "w", externalID: "42") == nil)
            visitor.externalID = "42"
            visitor.name = "Ada"
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, basis: conversation))
            #expect(try await store.visitor(widgetKey: "w", externalID: "42") == visitor)
            #expect(try await store.visitor(id: visitor.id)?.externalID == "42")
            #expect(try await store.visitor(widgetKey: "other", externalID: "42") == nil)
            // A second visitor of the same widget cannot be user 42; of another widget it can.
            var second = Visitor.new()
            second.externalID = "42"
            await #expect(throws: (any Error).self) {
                try await store.commit(ChangeSet(visitor: second, conversation: .new(second.id)))
            }
            #expect(try await store.visitor(id: second.id) == nil)
            second.widgetKey = "other"
            var elsewhere = Conversation.new(second.id)
            elsewhere.widgetKey = "other"
            _ = try await store.commit(ChangeSet(visitor: second, conversation: elsewhere))
            #expect(try await store.visitor(widgetKey: "other", externalID: "42") == second)
        }
    }

    @Test(arguments: StoreKind.available) func aDuplicateClientIDFailsTheWholeChange(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            let first = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                         messages: [NewMessage(role: .visitor, text: "one", clientID: "same")]))
            try conversation.move(to: .collecting)
            await #expect(throws: StoreError.duplicateClientMessage(existing: first[0].id)) {
                try await store.commit(ChangeSet(conversation: conversation, messages: [
                    NewMessage(role: .bot, text: "reply"), NewMessage(role: .visitor, text: "again", clientID: "same"),
                ]))
            }
            // Nothing of the failed change was written: not the reply, not the state.
            #expect(try await store.messages(in: conversation.id, after: 0, limit: 10).map(\.text) == ["one"])
            #expect(try await store.conversation(id: conversation.id)?.state == .bot)
            // Client ids are per visitor: another visitor may use the same one.
            let other = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: other, conversation: .new(other.id), messages: [NewMessage(role: .visitor, text: "x", clientID: "same")]))
        }
    }

    @Test(arguments: StoreKind.available) func aStepThatKeepsTheBotStateStillStoresTimeAndState(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            conversation.set("name", to: "Ada")
            conversation.progress.step = 2
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            // Same progress and variables: only the state and the time change.
            try conversation.move(to: .collecting, at: 5000)
            _ = try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .visitor, text: "hi")]))
            var stored = try #require(try await store.conversation(id: conversation.id))
            #expect(stored.state == .collecting && stored.updatedAt == 5000)
            #expect(stored.variable("name") == "Ada" && stored.progress.step == 2)
            // Then the bot state changes again, and is stored.
            conversation.set("email", to: "ada@example.com")
            conversation.progress.step = 3
            conversation.updatedAt = 6000
            _ = try await store.commit(ChangeSet(conversation: conversation))
            stored = try #require(try await store.conversation(id: conversation.id))
            #expect(stored.variable("email") == "ada@example.com" && stored.progress.step == 3 && stored.updatedAt == 6000)
        }
    }

    @Test(arguments: StoreKind.available) func aBotStateFromAFailedChangeIsNotTakenAsStored(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: .new(visitor.id),
                                                 messages: [NewMessage(role: .visitor, text: "one", clientID: "same")]))
            // A new conversation whose first change fails: it is not stored...
            var second = Conversation.new(visitor.id, at: 2000)
            second.set("topic", to: "Sales")
            await #expect(throws: StoreError.self) {
                try await store.commit(ChangeSet(conversation: second, messages: [NewMessage(role: .visitor, text: "two", clientID: "same")]))
            }
            #expect(try await store.conversation(id: second.id) == nil)
            // ...and the same state committed again is written whole.
            _ = try await store.commit(ChangeSet(conversation: second, messages: [NewMessage(role: .visitor, text: "two", clientID: "other")]))
            #expect(try await store.conversation(id: second.id)?.variable("topic") == "Sales")
        }
    }

    @Test(arguments: StoreKind.available) func concurrentCommitsAreGroupedAndEachFailsAlone(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitors = (0..<20).map { _ in Visitor.new() }
            let conversations = visitors.map { Conversation.new($0.id) }
            for (visitor, conversation) in zip(visitors, conversations) {
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            }
            // 400 commits at once, some of them resending a client id already used.
            let results = await withTaskGroup(of: (Int, Result<[Message], any Error>).self) { group in
                for i in 0..<400 {
                    group.addTask {
                        let n = i % 20
                        let clientID = i >= 380 ? "m\(i - 20)" : "m\(i)"
                        do {
                            return (i, .success(try await store.commit(ChangeSet(conversation: conversations[n], messages: [
                                NewMessage(role: .visitor, text: "\(i)", clientID: clientID), NewMessage(role: .bot, text: "re \(i)"),
                            ]))))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                var all: [(Int, Result<[Message], any Error>)] = []
                for await result in group { all.append(result) }
                return all
            }
            let failures = results.filter { if case .failure = $0.1 { true } else { false } }
            // Exactly one of each pair sharing a client id failed, with the duplicate error.
            #expect(failures.count == 20)
            for (_, result) in failures {
                guard case .failure(let error) = result, case StoreError.duplicateClientMessage = error else {
                    Issue.record("unexpected failure \(result)")
                    continue
                }
            }
            var total = 0
            for conversation in conversations {
                let messages = try await store.messages(in: conversation.id, after: 0, limit: 1000)
                total += messages.count
                // Each visitor message is directly followed by its reply: changes never interleave.
                for index in stride(from: 0, to: messages.count, by: 2) {
                    #expect(messages[index + 1].text == "re " + messages[index].text)
                }
                #expect(messages.map(\.id) == messages.map(\.id).sorted())
            }
            #expect(total == 760)
        }
    }

    @Test(arguments: StoreKind.available) func stepsWrittenTogetherGetTheirOwnMessagesAndTasksBack(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitors = (0..<50).map { _ in Visitor.new() }
            // 50 new visitors at once: written together, each change gets back its messages.
            let results = try await withThrowingTaskGroup(of: (Int, [Message]).self) { group in
                for (i, visitor) in visitors.enumerated() {
                    group.addTask {
                        var conversation = Conversation.new(visitor.id)
                        if i % 2 == 0 { try conversation.move(to: .waitingForAgent) }
                        let stored = try await store.commit(ChangeSet(
                            visitor: visitor, conversation: conversation,
                            messages: [NewMessage(role: .visitor, text: "hello \(i)", clientID: "c\(i)"),
                                       NewMessage(role: .bot, text: "hi \(i)", buttons: [QuickReply(title: "More")])],
                            tasks: i % 2 == 0 ? [.relay] : []))
                        return (i, stored)
                    }
                }
                var all: [Int: [Message]] = [:]
                for try await (i, stored) in group { all[i] = stored }
                return all
            }
            var ids = Set<MessageID>()
            for (i, visitor) in visitors.enumerated() {
                let stored = try #require(results[i])
                #expect(stored.map(\.text) == ["hello \(i)", "hi \(i)"])
                guard let conversation = try await store.latestConversation(of: visitor.id) else {
                    Issue.record("conversation \(i) was not stored")
                    continue
                }
                #expect(try await store.messages(in: conversation.id, after: 0, limit: 10) == stored)
                #expect(try await store.visitor(id: visitor.id) != nil)
                let tasks = try await store.tasks(of: conversation.id, widgetKey: conversation.widgetKey, limit: 10)
                #expect(tasks.map(\.messageID) == (i % 2 == 0 ? [stored[1].id] : []))
                ids.formUnion(stored.map(\.id))
            }
            #expect(ids.count == 100)
            // Ids are never given twice, even after the newest messages are deleted.
            let highest = try #require(ids.max())
            try await store.write { db in try await db.delete(from: "messages").where("id", .greaterThanOrEqual, highest - 1).run() }
            let later = try await withThrowingTaskGroup(of: [Message].self) { group in
                for visitor in visitors.prefix(3) {
                    group.addTask {
                        let conversation = try #require(try await store.latestConversation(of: visitor.id))
                        return try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .bot, text: "again")]))
                    }
                }
                var all: [Message] = []
                for try await stored in group { all += stored }
                return all
            }
            #expect(later.count == 3 && later.allSatisfy { $0.id > highest })
        }
    }

    @Test(arguments: StoreKind.available) func dataSurvivesClosingAndReopening(_ kind: StoreKind) async throws {
        try await kind.withDatabase { open in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            try conversation.move(to: .waitingForAgent)
            do {
                let store = try await open()
                _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [NewMessage(role: .visitor, text: "kept", clientID: "k")]))
                await store.close()
            }
            let reopened = try await open()
            #expect(try await reopened.conversation(id: conversation.id)?.state == .waitingForAgent)
            #expect(try await reopened.messages(in: conversation.id, after: 0, limit: 10).map(\.text) == ["kept"])
            // Migrations are not applied twice.
            let versions = try await reopened.reader.select().column("version").from("schema_migrations").orderBy("version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
            #expect(versions == Migrations.all.map(\.version))
            await reopened.close()
        }
    }

    /// A database before version 19 kept a file's content in its `files` row: the upgrades
    /// move it to `file_data`, then to `file_parts`, and the file reads as before.
    @Test func filesOfAnOlderDatabaseKeepTheirContent() async throws {
        let db = try TemporaryDatabase()
        defer { db.remove() }
        let visitor = Visitor.new()
        let bytes: [UInt8] = (0..<3000).map { UInt8($0 % 256) }
        let file = Attachment(id: .newFile(), name: "plan.pdf", contentType: "application/pdf", size: Int64(bytes.count))
        do {
            let store = try await db.open()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation.new(visitor.id)))
            try await store.saveFile(StoredFile(attachment: file, visitorID: visitor.id, mattermostID: "mm-1", createdAt: 1000, data: bytes))
            // Back to version 18's table: the content in the row.
            for statement in [
                "ALTER TABLE files ADD COLUMN data BLOB NOT NULL DEFAULT x''",
                "UPDATE files SET data = (SELECT data FROM file_parts WHERE file_id = files.id)",
                "DROP TABLE file_parts",
                "DELETE FROM schema_migrations WHERE version IN (19, 20)",
            ] { try await store.connections.writer.raw(SQLQueryString(statement)).run() }
            await store.close()
        }
        let store = try await db.open()
        let read = try #require(try await store.file(id: file.id))
        #expect(read.data == bytes && read.attachment == file && read.mattermostID == "mm-1" && read.createdAt == 1000)
        let columns = try await store.reader.raw("SELECT name FROM pragma_table_info('files')").all().map { try $0.decode(column: "name", as: String.self) }
        #expect(!columns.isEmpty && !columns.contains("data"))
        await store.close()
    }

    @Test func clientAndExternalIDsAreIndexedOnlyWhereTheyAreSetAndAnOlderDatabaseIsUpgraded() async throws {
        let db = try TemporaryDatabase()
        defer { db.remove() }
        let visitor = Visitor.new()
        let conversation = Conversation.new(visitor.id)
        // A database as version 3 left it: both indexes over every message, NULLs included.
        do {
            let store = try await db.open()
            for statement in [
                "DROP INDEX messages_by_client_id", "CREATE UNIQUE INDEX messages_by_client_id ON messages (visitor_id, client_id)",
                "DROP INDEX messages_by_external_id", "CREATE UNIQUE INDEX messages_by_external_id ON messages (external_id)",
                "DELETE FROM schema_migrations WHERE version = 4",
            ] { try await store.connections.writer.raw(SQLQueryString(statement)).run() }
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [
                NewMessage(role: .visitor, text: "one", clientID: "c1"), NewMessage(role: .bot, text: "reply"),
                NewMessage(role: .agent, authorName: "Alice", text: "hi", externalID: "post1"), NewMessage(role: .bot, text: "again"),
            ]))
            await store.close()
        }
        let store = try await db.open()
        let indexes = try await store.reader.raw("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all()
            .reduce(into: [String: String]()) { $0[try $1.decode(column: "name", as: String.self)] = try $1.decode(column: "sql", as: String?.self) }
        #expect(indexes["messages_by_client_id"]?.hasSuffix("WHERE client_id IS NOT NULL") == true)
        #expect(indexes["messages_by_external_id"]?.hasSuffix("WHERE external_id IS NOT NULL") == true)
        // The lookups by id still use them, and they still refuse a second message with an id.
        for (query, index) in [("SELECT * FROM messages WHERE visitor_id = ?1 AND client_id = ?2", "messages_by_client_id"),
                               ("SELECT * FROM messages WHERE external_id = ?1", "messages_by_external_id")] {
            let plan = try await store.reader.raw(SQLQueryString("EXPLAIN QUERY PLAN " + query)).all()
                .map { try $0.decode(column: "detail", as: String.self) }
            #expect(plan.contains { $0.contains("USING INDEX \(index)") }, "\(plan)")
        }
        #expect(try await store.message(from: visitor.id, clientID: "c1")?.text == "one")
        #expect(try await store.message(externalID: "post1")?.text == "hi")
        await #expect(throws: StoreError.duplicateClientMessage(existing: try #require(try await store.message(from: visitor.id, clientID: "c1")).id)) {
            try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .visitor, text: "two", clientID: "c1")]))
        }
        await #expect(throws: (any Error).self) {
            try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .agent, text: "dup", externalID: "post1")]))
        }
        // Messages without ids are many, as before.
        _ = try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .bot, text: "more"), NewMessage(role: .bot, text: "still")]))
        #expect(try await store.messages(in: conversation.id, after: 0, limit: 10).map(\.text) == ["one", "reply", "hi", "again", "more", "still"])
        await store.close()
    }

    @Test(arguments: StoreKind.available) func aNewerSchemaIsRefusedWithAClearError(_ kind: StoreKind) async throws {
        try await kind.withDatabase { open in
            let store = try await open()
            try await store.write { db in
                try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run()
            }
            await store.close()
            do {
                let store = try await open()
                await store.close()
                Issue.record("a database from the future was opened")
            } catch let error as StoreOpenError {
                #expect(error.description.contains("schema version 99"))
            }
        }
    }

    @Test func anUnopenableLocationIsReported() async throws {
        do {
            _ = try await SQLStore.open(.sqlite(path: "/nonexistent-dir/x/baton.sqlite"), logger: Logger(label: "test"))
            Issue.record("opened a database in a folder that does not exist")
        } catch let error as StoreOpenError {
            #expect(error.description.hasPrefix("cannot open the database /nonexistent-dir/x/baton.sqlite"))
        }
    }

    @Test func locationsParse() throws {
        #expect(try DatabaseLocation(parsing: "baton.sqlite") == .sqlite(path: "baton.sqlite"))
        #expect(try DatabaseLocation(parsing: "sqlite:/var/lib/b.sqlite") == .sqlite(path: "/var/lib/b.sqlite"))
        #expect(try DatabaseLocation(parsing: "sqlite:///var/lib/b.sqlite") == .sqlite(path: "/var/lib/b.sqlite"))
        #expect(throws: StoreOpenError.self) { try DatabaseLocation(parsing: "sqlite:") }
        // Another database's URL is no file name.
        #expect { try DatabaseLocation(parsing: "mysql://baton:pw@db/chat") } throws: { "\($0)".contains("mysql://…") && !"\($0)".contains("pw") }
        #expect(try DatabaseLocation(parsing: "data/baton.sqlite") == .sqlite(path: "data/baton.sqlite"))
        // SQLite's in-memory database is one per connection: refused, saying why.
        for memory in [":memory:", "sqlite::memory:", "file::memory:", "sqlite:file::memory:", "file:x.db?mode=memory"] {
            #expect { try DatabaseLocation(parsing: memory) } throws: { "\($0)".contains("one per connection") }
        }
        #expect(try DatabaseLocation(parsing: "./:memory:") == .sqlite(path: "./:memory:"))
        // SQLite's URIs name another file than the one Baton locks: two Batons ran on one
        // database with `file:foo.db` beside `foo.db`.
        for uri in ["file:foo.db", "FILE:foo.db", "sqlite:file:foo.db?cache=shared"] {
            #expect { try DatabaseLocation(parsing: uri) } throws: { "\($0)".contains("a SQLite URI") }
        }
        #expect(try DatabaseLocation(parsing: "./file:foo.db") == .sqlite(path: "./file:foo.db"))

        #expect(try DatabaseLocation(parsing: "postgres://baton:s%40cret@db.example:6543/chat?sslmode=require")
            == .postgres(PostgresLocation(host: "db.example", port: 6543, username: "baton", password: "s@cret", database: "chat", tls: .require)))
        #expect(try DatabaseLocation(parsing: "postgresql://baton@[::1]/chat")
            == .postgres(PostgresLocation(host: "::1", username: "baton", database: "chat", tls: .prefer)))
        let socket = try PostgresLocation(parsing: "postgres://baton@/chat?host=/run/postgresql&sslmode=disable")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432" && socket.tls == .disable)
        // The password never shows, not in the description and not in errors.
        #expect(try DatabaseLocation(parsing: "postgres://baton:hunter2@db/chat").description == "postgres://baton@db:5432/chat")
        for bad in ["postgres://hunter2@db", "postgres://db/chat", "postgres://u:hunter2@db/chat?sslmode=maybe",
                    "postgres://u:hunter2@db:99999/chat", "postgres://u:hunter2@db/chat?application=x"] {
            do {
                _ = try DatabaseLocation(parsing: bad)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
            }
        }
    }

    /// libpq's parameters without a meaning here are left alone; another is named.
    @Test func libpqParametersAreReadOrNamed() throws {
        let location = try DatabaseLocation(parsing: "postgres://baton:pw@db.example/chat?application_name=shop&connect_timeout=5&sslmode=require")
        #expect(location == .postgres(PostgresLocation(host: "db.example", username: "baton", password: "pw", database: "chat", tls: .require)))
        #expect(throws: StoreOpenError.self) { try DatabaseLocation(parsing: "postgres://baton:pw@db.example/chat?foo=1") }
        do {
            _ = try DatabaseLocation(parsing: "postgres://baton:pw@db.example/chat?foo=1")
        } catch {
            #expect("\(error)".contains("the parameter foo is not one Baton reads") && !"\(error)".contains("pw"), "\(error)")
        }
    }

    @Test func aPostgresServerThatCannotBeReachedIsReported() async throws {
        // A loopback port nothing listens on, held for the test.
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let port = closed.port
        do {
            let store = try await SQLStore.open(.postgres(PostgresLocation(port: port, username: "baton", password: "hunter2", database: "chat", tls: .disable)),
                                                logger: Logger(label: "test"))
            await store.close()
            Issue.record("opened a database on a closed port")
        } catch let error as StoreOpenError {
            #expect(error.description.hasPrefix("cannot open the database postgres://baton@127.0.0.1:\(port)/chat"), "\(error)")
            #expect(error.description.contains("nothing answers at that host and port (connection refused)"), "\(error)")
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// A URL that asks for TLS from a server without it, or gives no password to one that
    /// wants one, is said so in words (they were PostgresNIO's codes).
    @Test(.enabled(if: TestPostgres.isAvailable)) func aPostgresServerWithoutTLSOrAPasswordIsSaidSo() async throws {
        try await TestPostgres.withDatabase { location in
            var location = location
            location.tls = .require
            do {
                let store = try await SQLStore.open(.postgres(location), logger: Logger(label: "test"))
                await store.close()
                Issue.record("opened a database over TLS on a server without it")
            } catch let error as StoreOpenError {
                #expect(error.description.contains("the server does not offer TLS, which the URL's sslmode asks for"), "\(error)")
            }
        }
    }

    @Test func theJournalIsWAL() async throws {
        try await withStore { store, _ in
            let mode = try await store.reader.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            #expect(mode == "wal")
        }
    }

    /// Completions commit without a disk sync of their own; everything else still syncs,
    /// including a batch that mixes both.
    @Test func completionsAloneCommitWithoutASyncOfTheirOwn() async throws {
        try await withStore { store, _ in
            // The writer's setting, as a write in a batch sees it.
            func synchronous(durable: Bool = true) async throws -> Int? {
                let mode = Mutex<Int?>(nil)
                try await store.write(durable: durable) { db in
                    let value = try await db.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                    mode.withLock { $0 = value }
                }
                return mode.withLock { $0 }
            }
            #expect(try await synchronous() == 2)
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            try conversation.move(to: .waitingForAgent)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation,
                                                 messages: [NewMessage(role: .visitor, text: "hi", clientID: "c1")], tasks: [.relay, .relay]))
            let tasks = try await store.tasks(of: conversation.id, widgetKey: conversation.widgetKey, limit: 10)
            #expect(tasks.count == 2)
            // A completion alone, then one beside a durable write.
            #expect(try await synchronous(durable: false) == 1)
            try await store.completeTasks([tasks[0].id])
            async let durable: Int? = synchronous()
            async let completion: Void = store.completeTasks([tasks[1].id])
            _ = try await completion
            #expect(try await durable == 2)
            #expect(try await store.taskCount(widgetKey: conversation.widgetKey) == 0)
            // And back to full syncs after them.
            #expect(try await synchronous() == 2)
        }
    }
}

private final class LossFlag: Sendable {
    let raised = Atomic<Bool>(false)
}

@Suite struct PostgresStoreTests {
    @Test(.enabled(if: TestPostgres.isAvailable)) func oneProcessLeadsAtATimeAndTheLeadPasses() async throws {
        try await StoreKind.postgres.withDatabase { open in
            let first = try await open()
            let second = try await open()
            let firstLead = try #require(first.agentSideLeadership())
            let secondLead = try #require(second.agentSideLeadership())
            #expect(await firstLead.isLeading())
            #expect(await !secondLead.isLeading())
            #expect(await firstLead.isLeading())
            // While the first holds it, the second's polls read the server's lock table
            // through its pool: no connection of its own is started for a try.
            guard case .postgres(let secondConnections) = second.engine else { Issue.record("not PostgreSQL"); return }
            let tries = secondConnections.nextHolder.load(ordering: .relaxed)
            for _ in 0..<3 { #expect(await !secondLead.isLeading()) }
            #expect(secondConnections.nextHolder.load(ordering: .relaxed) == tries)
            // Once the first has gone, the other takes the lead.
            await first.close()
            #expect(await secondLead.isLeading())
            await second.close()
        }
    }

    /// The server drops every connection (a restart, a failover): the pool connects
    /// again, and the lead is held by exactly one process afterwards.
    @Test(.enabled(if: TestPostgres.isAvailable)) func droppedConnectionsAreReplacedAndOneProcessStillLeads() async throws {
        try await TestDatabase.postgres.withLocation { location in
            let first = try await SQLStore.open(location, logger: Logger(label: "test"))
            let second = try await SQLStore.open(location, logger: Logger(label: "test"))
            let firstLead = try #require(first.agentSideLeadership())
            let secondLead = try #require(second.agentSideLeadership())
            #expect(await firstLead.isLeading())
            let lost = LossFlag()
            firstLead.whenLost { lost.raised.store(true, ordering: .relaxed) }
            let gone = try await second.reader.raw("""
                SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                """).all().map { try $0.decode(column: "gone", as: Bool.self) }
            #expect(gone.contains(true), "no connection was cut: \(gone)")
            // The holder notices within 2 s; then either may take the lead, one only.
            try await Task.sleep(for: .seconds(3))
            let leads = [await firstLead.isLeading(), await secondLead.isLeading(), await firstLead.isLeading()]
            #expect(leads[0] != leads[1] && leads[0] == leads[2], "\(leads)")
            // The holder said so as soon as it noticed (the desk stops its links then).
            let noticed = lost.raised.load(ordering: .relaxed)
            #expect(noticed)
            try await first.saveWidget(Widget(key: "w", name: "Web", botSource: "name: X", createdAt: 1, updatedAt: 1))
            #expect(try await second.widget(key: "w")?.name == "Web")
            await first.close()
            await second.close()
        }
    }

    /// A leader that goes silent (its machine gone, the network cut, the process frozen:
    /// here, a holder that never checks its lock) loses the lead to another process once
    /// the server drops its idle session, not hours later when TCP would notice.
    @Test(.enabled(if: TestPostgres.isAvailable)) func aSilentLeaderLosesTheLeadWhenTheServerDropsItsSession() async throws {
        try await StoreKind.postgres.withDatabase { open in
            let first = try await open()
            let second = try await open()
            let version = try await second.reader.raw("SELECT current_setting('server_version_num')::int AS v").first()?.decode(column: "v", as: Int.self) ?? 0
            guard version >= 140000 else { return }  // no idle_session_timeout before PostgreSQL 14
            let frozen = LockLease(checkEvery: .seconds(600), lease: .seconds(600), serverTimeout: .seconds(3))
            let firstLead = try #require(first.agentSideLeadership(lease: frozen))
            let secondLead = try #require(second.agentSideLeadership(lease: LockLease(serverTimeout: .seconds(3))))
            #expect(await firstLead.isLeading())
            // The server drops the silent session after 3 s; the second then takes the lock
            // and leads after its 2 s wait.
            let deadline = ContinuousClock.now + .seconds(20)
            var leads = false
            while !leads, ContinuousClock.now < deadline {
                leads = await secondLead.isLeading()
                if !leads { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(leads, "the second process did not take the lead within 20 s")
            await first.close()
            await second.close()
        }
    }

    /// A holder whose lock was not confirmed within its lease (a process that was frozen,
    /// or starved) stops counting itself the leader and lets the lock go: its connection
    /// is closed, so that its session ends (never handed to the pool with the lock on it).
    /// Nobody else wanted the lead here, so it takes it again, on a new session.
    @Test(.enabled(if: TestPostgres.isAvailable)) func aHolderWhoseLeaseRanOutLetsTheLockGo() async throws {
        try await StoreKind.postgres.withDatabase { open in
            let store = try await open()
            let unchecked = LockLease(checkEvery: .seconds(600), lease: .seconds(6), serverTimeout: nil)
            let lead = try #require(store.agentSideLeadership(lease: unchecked))
            func holders() async throws -> [Int] {
                try await store.reader.raw("""
                    SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
                    """).all().map { try $0.decode(column: "pid", as: Int.self) }
            }
            #expect(await lead.isLeading())
            let before = try await holders()
            #expect(before.count == 1, "\(before)")
            // Still within the lease (2 s of waiting when it took the lock, 0.5 s now).
            try await Task.sleep(for: .milliseconds(500))
            #expect(await lead.isLeading())
            #expect(try await holders() == before)
            try await Task.sleep(for: .seconds(4))
            // Past the lease: let go (the old session ends as its connection closes, which
            // the server takes a moment to finish), and taken again on a new session.
            let stillFirst = await lead.isLeading()
            let holdersNow = try await holders()
            #expect(!stillFirst || holdersNow != before, "\(holdersNow)")
            let deadline = ContinuousClock.now + .seconds(15)
            var leads = false
            while !leads, ContinuousClock.now < deadline {
                leads = await lead.isLeading()
                if !leads { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(leads)
            let after = try await holders()
            #expect(after.count == 1 && after != before, "before \(before), after \(after)")
            await store.close()
        }
    }

    /// The connection listening to the others goes silent (here its server process is
    /// stopped; in life the network is cut or the server's machine gone): its check finds
    /// it, and listening ends with an error within two checks, so that the caller listens
    /// again, instead of waiting for notifications that never come.
    @Test(.enabled(if: TestPostgres.isAvailable)) func aListeningConnectionThatGoesSilentIsGivenUp() async throws {
        try await StoreKind.postgres.withDatabase { open in
            let observer = try await open()
            let listener = try await open()
            guard case .postgres(let connections) = listener.engine else { Issue.record("not PostgreSQL"); return }
            let shared = PostgresShared(connections: connections, checkEvery: .milliseconds(500))
            let listening = Task<String, Never> {
                do { try await shared.listen { _ in }; return "ended without an error" } catch { return "\(error)" }
            }
            let deadline = ContinuousClock.now + .seconds(15)
            var backend: Int?
            while backend == nil {
                backend = try await observer.reader.raw("""
                    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND query ILIKE 'LISTEN%'
                    """).first()?.decode(column: "pid", as: Int.self)
                guard backend == nil else { break }
                try #require(ContinuousClock.now < deadline, "not listening after 15 s")
                try await Task.sleep(for: .milliseconds(20))
            }
            let pid = pid_t(try #require(backend))
            // A server on another machine cannot be stopped from here.
            guard kill(pid, SIGSTOP) == 0 else { listening.cancel(); return }
            let started = ContinuousClock.now
            // Without the check it would wait for ever: given up on after 10 s.
            let timeout = Task {
                try? await Task.sleep(for: .seconds(10))
                listening.cancel()
            }
            let outcome = await listening.value
            let took = ContinuousClock.now - started
            timeout.cancel()
            kill(pid, SIGCONT)
            #expect(outcome != "ended without an error")
            #expect(took < .seconds(3), "\(took): \(outcome)")
            await listener.close()
            await observer.close()
        }
    }

    @Test(.enabled(if: TestPostgres.isAvailable)) func whatOneProcessCommitsTheOthersHear() async throws {
        try await StoreKind.postgres.withDatabase { open in
            let writer = try await open()
            let listener = try await open()
            let heard = AsyncStream.makeStream(of: SharedChange.self)
            let listening = Task {
                try await listener.sharedChanges!.listen { change in heard.continuation.yield(change) }
            }
            defer { listening.cancel() }
            let heardByWriter = Mutex<[SharedChange]>([])
            let writerListening = Task {
                try await writer.sharedChanges!.listen { change in heardByWriter.withLock { $0.append(change) } }
            }
            defer { writerListening.cancel() }
            // Both listen before anything is committed: their connections are seen idle after
            // their LISTEN (done, not only sent), within 15 s.
            let deadline = ContinuousClock.now + .seconds(15)
            var listeners = 0
            while listeners < 2 {
                listeners = try await writer.reader.raw("""
                    SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND query ILIKE 'LISTEN%'
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
                guard listeners < 2 else { break }
                try #require(ContinuousClock.now < deadline, "\(listeners) of the 2 connections listening after 15 s")
                try await Task.sleep(for: .milliseconds(20))
            }
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            let greeting = try await writer.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [NewMessage(role: .bot, text: "Hi")]))
            let basis = conversation
            try conversation.move(to: .waitingForAgent)
            let step = try await writer.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .visitor, text: "a human please", clientID: "h1"), NewMessage(role: .bot, text: "One moment"),
            ], tasks: [.openRoom], basis: basis))
            await writer.sharedChanges!.announce(.typing(visitor: visitor.id, conversation: conversation.id, role: .agent, name: "Alice", active: true))
            // Its own notifications are not handed back to the writer's listener (none runs), and
            // the listener hears all three, in order.
            var iterator = heard.stream.makeAsyncIterator()
            #expect(await iterator.next() == .step(visitor: visitor.id, conversation: conversation.id, widgetKey: "w", firstMessage: greeting[0].id,
                                                   lastMessage: greeting[0].id, newState: .bot, started: true, tasks: false))
            #expect(await iterator.next() == .step(visitor: visitor.id, conversation: conversation.id, widgetKey: "w", firstMessage: step[0].id,
                                                   lastMessage: step[1].id, newState: .waitingForAgent, started: false, tasks: true))
            #expect(await iterator.next() == .typing(visitor: visitor.id, conversation: conversation.id, role: .agent, name: "Alice", active: true))
            // The writer's own listener skips them all.
            try await Task.sleep(for: .milliseconds(200))
            #expect(heardByWriter.withLock { $0 } == [])
            await writer.close()
            await listener.close()
        }
    }

    /// A notification is a `Wire` as older Batons read it, and starts with its sender, by
    /// which a listener skips its own without reading them.
    @Test func aNotificationNamesItsSenderFirst() throws {
        let change = SharedChange.typing(visitor: VisitorID("v1"), conversation: ConversationID("c1"), role: .agent, name: "Al \"Bo\"", active: true)
        let payload = try PostgresShared.payload(change, from: "id\"1")
        #expect(payload.hasPrefix(PostgresShared.ownPrefix("id\"1")))
        #expect(!payload.hasPrefix(PostgresShared.ownPrefix("id")))
        let wire = try JSONDecoder().decode(PostgresShared.Wire.self, from: Data(payload.utf8))
        #expect(wire.from == "id\"1")
        #expect(wire.change == change)
    }

    /// A step computed from a conversation another process has moved since is refused,
    /// whole; the same step from the stored state goes through.
    @Test(.enabled(if: TestPostgres.isAvailable)) func aStepOnAConversationMovedMeanwhileIsRefused() async throws {
        try await StoreKind.postgres.withStore { store in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            try conversation.move(to: .waitingForAgent)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            let read = conversation
            // Another process: an agent closes the chat.
            var closed = read
            try closed.move(to: .closed)
            _ = try await store.commit(ChangeSet(conversation: closed, messages: [NewMessage(role: .system, text: "Alice closed the chat.")], basis: read))
            // This process still thinks it is waiting, and relays a visitor message.
            var stale = read
            stale.updatedAt += 5
            var renamed = visitor
            renamed.name = "Stale Name"
            await #expect(throws: StoreError.conflict) {
                try await store.commit(ChangeSet(visitor: renamed, conversation: stale,
                                                 messages: [NewMessage(role: .visitor, text: "hello?", clientID: "x1")],
                                                 tasks: [.relay], basis: read))
            }
            // Nothing of the refused step was written, the visitor's new name included.
            #expect(try await store.visitor(id: visitor.id)?.name == nil)
            #expect(try await store.conversation(id: conversation.id)?.state == .closed)
            #expect(try await store.messages(in: conversation.id, after: 0, limit: 10).map(\.text) == ["Alice closed the chat."])
            #expect(try await store.taskCount(widgetKey: "w") == 0)
        }
    }

    /// A database error is reported in words (the server's message and SQLSTATE), not as
    /// PostgresNIO's deliberately vague description.
    @Test(.enabled(if: TestPostgres.isAvailable)) func databasesLeftByKilledRunsAreDroppedButNotOnesInUse() async throws {
        let server = try PostgresLocation(parsing: try #require(TestPostgres.url))
        let prefix = "baton_leftover_\(RandomID.make(length: 6).lowercased())_"
        var left = server, used = server
        left.database = prefix + "a"
        used.database = prefix + "b"
        try await PostgresScratch.execute("CREATE DATABASE \(left.database)", on: server)
        try await PostgresScratch.execute("CREATE DATABASE \(used.database)", on: server)
        let store = try await SQLStore.open(.postgres(used), logger: Logger(label: "test"))
        let dropped = try await PostgresScratch.dropLeftovers(prefix: prefix, on: server)
        #expect(dropped == [left.database])
        // The one in use is still there and works.
        #expect(try await store.widgets().isEmpty)
        await store.close()
        #expect(try await PostgresScratch.dropLeftovers(prefix: prefix, on: server) == [used.database])
    }

    @Test(.enabled(if: TestPostgres.isAvailable)) func databaseErrorsSayWhatWentWrong() async throws {
        try await StoreKind.postgres.withStore { store in
            do {
                try await store.write { db in try await db.raw("INSERT INTO no_such_table VALUES (1)").run() }
                Issue.record("a write to a missing table succeeded")
            } catch let error as StoreError {
                #expect("\(error)".contains("no_such_table") && "\(error)".contains("42P01"), "\(error)")
            }
        }
    }
}
