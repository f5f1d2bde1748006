import BatonCore
@testable import BatonStore
import Foundation
import Logging
import Testing

/// `SQLiteBackup`: a copy taken while the database is written is complete up to a moment,
/// intact, and opens as a Baton database; it never overwrites, and copies only Baton's.
@Suite struct SQLiteBackupTests {
    @Test func aCopyTakenDuringWritesIsConsistentAndOpens() async throws {
        try await withStore { store, db in
            let visitor = Visitor.new()
            let conversation = Conversation.new(visitor.id)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, messages: [NewMessage(role: .bot, text: "Hello")]))
            let copy = db.folder.appendingPathComponent("copy.sqlite").path
            // Writes go on while the copy is taken.
            let writes = Task {
                for i in 0..<200 {
                    _ = try await store.commit(ChangeSet(conversation: conversation, messages: [NewMessage(role: .visitor, text: "m\(i)", clientID: "c\(i)")],
                                                         basis: conversation))
                }
            }
            try await Task.sleep(for: .milliseconds(5))
            let size = try SQLiteBackup.copy(db.path, to: copy)
            try await writes.value
            #expect(size > 0)

            let restored = try await SQLStore.open(.sqlite(path: copy), logger: Logger(label: "test"))
            let messages = try await restored.messages(in: conversation.id, after: 0, limit: 1000)
            // A prefix of what was written: the greeting, then m0, m1, … in order, none missing.
            #expect(messages.first?.text == "Hello")
            #expect(messages.dropFirst().map(\.text) == (0..<(messages.count - 1)).map { "m\($0)" })
            #expect(try await restored.visitor(id: visitor.id) == visitor)
            await restored.close()

            // Not to a name SQLite reads as a URI: it wrote the file without the `file:`,
            // and the checks looked at another name.
            let uriTarget = db.folder.appendingPathComponent("uri.sqlite").path
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(db.path, to: "file:" + uriTarget) }
            #expect(!FileManager.default.fileExists(atPath: uriTarget))
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(db.path, to: ":memory:") }
            // Never over an existing file; only a Baton database.
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(db.path, to: copy) }
            let missing = db.folder.appendingPathComponent("none.sqlite").path
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(missing, to: db.folder.appendingPathComponent("x.sqlite").path) }
            #expect(!FileManager.default.fileExists(atPath: missing))
            let other = db.folder.appendingPathComponent("other.sqlite").path
            let handle = try SQLiteHandle(path: other)
            try handle.run("CREATE TABLE t (x)", [])
            handle.close()
            #expect(throws: SQLiteBackup.Failure.self) { try SQLiteBackup.copy(other, to: db.folder.appendingPathComponent("y.sqlite").path) }
            // No name: SQLite would write into a temporary database and report success.
            #expect { try SQLiteBackup.copy(db.path, to: " ") } throws: { "\($0)" == "Name the new file to write the backup into." }
        }
    }
}
