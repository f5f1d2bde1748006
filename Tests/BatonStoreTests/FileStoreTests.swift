import BatonCore
@testable import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// Files sent with messages: kept whole, made a message's own by the step that sends
/// them, forgotten when never sent or when an agent deletes the message.
@Suite struct FileStoreTests {
    /// Every byte value, so nothing on the way treats a file as text.
    static let bytes: [UInt8] = (0..<1024).map { UInt8($0 % 256) }

    @Test(arguments: StoreKind.available) func aFileIsKeptWholeAndBecomesItsMessagesOwn(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            let conversation = Conversation.new(visitor.id)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            let plan = Attachment(id: .newFile(), name: "plan €.pdf", contentType: "application/pdf", size: Int64(Self.bytes.count))
            let photo = Attachment(id: .newFile(), name: "photo.png", contentType: "image/png", size: 3)
            try await store.saveFile(StoredFile(attachment: plan, visitorID: visitor.id, createdAt: 1000, data: Self.bytes))
            try await store.saveFile(StoredFile(attachment: photo, visitorID: visitor.id, data: [1, 2, 3]))
            #expect(try await store.unsentFileCount(of: visitor.id) == 2)

            let record = try #require(try await store.fileRecord(id: plan.id))
            #expect(record.attachment == plan && record.visitorID == visitor.id && record.messageID == nil && record.data.isEmpty)
            #expect(try await store.file(id: plan.id)?.data == Self.bytes)
            #expect(try await store.file(id: .newFile()) == nil)

            // A step sends both with the visitor's message (and the bot answers, with none).
            let stored = try await store.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .visitor, text: "", clientID: "c1", files: [plan, photo]),
                NewMessage(role: .bot, authorName: "Ada", text: "Thanks"),
            ], tasks: [.relay], basis: conversation))
            #expect(stored[0].files == [plan, photo])
            #expect(try await store.fileRecord(id: plan.id)?.messageID == stored[0].id)
            #expect(try await store.fileRecord(id: photo.id)?.messageID == stored[0].id)
            #expect(try await store.unsentFileCount(of: visitor.id) == 0)
            let read = try await store.messages(in: conversation.id, after: 0, limit: 10)
            #expect(read.map(\.files) == [[plan, photo], []])
            // The outbox reads a relayed message's files with its text.
            let task = try #require(try await store.tasks(of: conversation.id, widgetKey: conversation.widgetKey, limit: 10).first)
            #expect(task.messageID == stored[1].id)

            // Mattermost's id of the upload is remembered (a retry does not upload again).
            try await store.setMattermostID("mm-file-1", of: plan.id)
            #expect(try await store.fileRecord(id: plan.id)?.mattermostID == "mm-file-1")
            // Changing the record leaves the content as it was.
            #expect(try await store.file(id: plan.id)?.data == Self.bytes)

            // A correction shows the files but does not take them; deleting the message's
            // files removes them.
            let fix = try await store.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .agent, authorName: "Alice", text: "x", externalID: "p:edit", replaces: stored[0].id, files: [plan]),
            ]))
            #expect(fix[0].files == [plan])
            #expect(try await store.fileRecord(id: plan.id)?.messageID == stored[0].id)
            try await store.deleteFiles(of: stored[0].id)
            #expect(try await store.fileRecord(id: plan.id) == nil)
            #expect(try await store.fileRecord(id: photo.id) == nil)
            // The content goes with its record (in a table of its own in a database).
            #expect(try await store.reader.raw("SELECT COUNT(*) AS n FROM file_parts").first()?.decode(column: "n", as: Int.self) == 0)
        }
    }

    /// A database stores a large file in parts, each written on its own (so that others'
    /// writes go between them); it reads back whole, and not at all while a part is missing.
    @Test(arguments: StoreKind.available) func aLargeFileIsStoredInPartsAndReadWhole(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation.new(visitor.id)))
            // Two whole parts and a bit, every byte value at every offset of a part.
            let count = 2 * SQLStore.filePartBytes + 1001
            let bytes: [UInt8] = (0..<count).map { (i: Int) -> UInt8 in UInt8(truncatingIfNeeded: i * 7 + i / 256) }
            let large = Attachment(id: .newFile(), name: "video.mp4", contentType: "video/mp4", size: Int64(bytes.count))
            let empty = Attachment(id: .newFile(), name: "empty.txt", contentType: "text/plain", size: 0)
            try await store.saveFile(StoredFile(attachment: large, visitorID: visitor.id, data: bytes))
            try await store.saveFile(StoredFile(attachment: empty, visitorID: visitor.id, data: []))
            #expect(try await store.file(id: large.id)?.data == bytes)
            #expect(try await store.file(id: empty.id)?.data == [])
            let sql = store
            // Read out part by part, in order, never more than a part at a time.
            var handed: [[UInt8]] = []
            let record = try await store.readFile(id: large.id, parts: { handed.append($0) })
            #expect(record?.attachment == large && record?.data == [])
            #expect(handed.map(\.count) == [SQLStore.filePartBytes, SQLStore.filePartBytes, 1001])
            #expect(Array(handed.joined()) == bytes)
            func parts(_ file: BatonCore.Attachment) async throws -> [Int] {
                try await sql.reader.raw("SELECT part FROM file_parts WHERE file_id = \(bind: file.id.rawValue) ORDER BY part").all()
                    .map { try $0.decode(column: "part", as: Int.self) }
            }
            #expect(try await parts(large) == [0, 1, 2])
            #expect(try await parts(empty) == [0])
            // A part missing (a file still being stored, or cut short): the file does not read.
            try await sql.write { db in
                try await db.raw("DELETE FROM file_parts WHERE file_id = \(bind: large.id.rawValue) AND part = 2").run()
            }
            #expect(try await store.file(id: large.id) == nil)
            handed = []
            #expect(try await store.readFile(id: large.id, parts: { handed.append($0) }) == nil)
            #expect(handed.isEmpty)
            #expect(try await store.fileRecord(id: large.id) != nil)
        }
    }

    @Test(arguments: StoreKind.available) func uploadsNeverSentAreForgotten(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: Conversation.new(visitor.id)))
            let old = Attachment(id: .newFile(), name: "old.txt", contentType: "text/plain", size: 1)
            let new = Attachment(id: .newFile(), name: "new.txt", contentType: "text/plain", size: 1)
            try await store.saveFile(StoredFile(attachment: old, visitorID: visitor.id, createdAt: 1000, data: [1]))
            try await store.saveFile(StoredFile(attachment: new, visitorID: visitor.id, createdAt: 5000, data: [2]))
            #expect(try await store.deleteUnsentFiles(before: 2000) == 1)
            #expect(try await store.deleteUnsentFiles(before: 2000) == 0)
            #expect(try await store.fileRecord(id: old.id) == nil)
            #expect(try await store.fileRecord(id: new.id) != nil)
        }
    }

    @Test(arguments: StoreKind.available) func theOutboxReadsAMessagesFilesWithIt(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let visitor = Visitor.new()
            var conversation = Conversation.new(visitor.id)
            try conversation.move(to: .waitingForAgent)
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
            let file = Attachment(id: .newFile(), name: "a.bin", contentType: "application/octet-stream", size: 2)
            try await store.saveFile(StoredFile(attachment: file, visitorID: visitor.id, data: [0, 255]))
            _ = try await store.commit(ChangeSet(conversation: conversation, messages: [
                NewMessage(role: .visitor, text: "see", clientID: "c1", files: [file]),
            ], tasks: [.relay], basis: conversation))
            let tasks = try await store.tasks(of: conversation.id, widgetKey: conversation.widgetKey, limit: 10)
            #expect(tasks.map(\.messageText) == ["see"])
            #expect(tasks.map(\.messageFiles) == [[file]])
            let due = try await store.dueTasks(widgetKey: conversation.widgetKey, now: .now() + 1000, limit: 10)
            #expect(due.map(\.messageFiles) == [[file]])
        }
    }
}
