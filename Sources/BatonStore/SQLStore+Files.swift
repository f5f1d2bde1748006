import BatonCore
import Foundation
import SQLKit

/// Files sent with messages (`FileStore`), in the database so that every Baton sharing it
/// serves every file: the record in `files`, the content in `file_data` (deleted with its
/// record), so that changing the record (the message that sent the file, its id in
/// Mattermost) does not write the content again.
extension SQLStore: FileStore {
    public func saveFile(_ file: StoredFile) async throws {
        let a = file.attachment
        try await write { db in
            try await db.raw("""
                INSERT INTO files (id, visitor_id, message_id, name, content_type, size, mattermost_id, created_at)
                VALUES (\(bind: a.id.rawValue), \(bind: file.visitorID.rawValue), \(bind: file.messageID), \(bind: a.name),
                        \(bind: a.contentType), \(bind: a.size), \(bind: file.mattermostID), \(bind: file.createdAt))
                """).run()
            try await db.raw("INSERT INTO file_data (file_id, data) VALUES (\(bind: a.id.rawValue), \(bind: Data(file.data)))").run()
        }
    }

    public func fileRecord(id: FileID) async throws -> StoredFile? {
        try await reader.raw("""
            SELECT id, visitor_id, message_id, name, content_type, size, mattermost_id, created_at FROM files WHERE id = \(bind: id.rawValue)
            """).first().map(Rows.file)
    }

    public func file(id: FileID) async throws -> StoredFile? {
        try await reader.raw("""
            SELECT files.*, file_data.data FROM files JOIN file_data ON file_data.file_id = files.id WHERE files.id = \(bind: id.rawValue)
            """).first().map(Rows.file)
    }

    public func setMattermostID(_ mattermostID: String, of file: FileID) async throws {
        // Lost to a power cut, the file is uploaded to Mattermost again: nothing worse.
        try await write(durable: false) { db in
            try await db.raw("UPDATE files SET mattermost_id = \(bind: mattermostID) WHERE id = \(bind: file.rawValue)").run()
        }
    }

    public func unsentFileCount(of visitor: VisitorID) async throws -> Int {
        try await reader.raw("""
            SELECT COUNT(*) AS n FROM files WHERE visitor_id = \(bind: visitor.rawValue) AND message_id IS NULL
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    @discardableResult
    public func deleteUnsentFiles(before: Millis) async throws -> Int {
        // Most calls find nothing: look before writing.
        let old = try await reader.raw("""
            SELECT COUNT(*) AS n FROM files WHERE message_id IS NULL AND created_at < \(bind: before)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        guard old > 0 else { return 0 }
        try await write(durable: false) { db in
            try await db.raw("DELETE FROM files WHERE message_id IS NULL AND created_at < \(bind: before)").run()
        }
        return old
    }

    public func deleteFiles(of message: MessageID) async throws {
        try await write { db in try await db.raw("DELETE FROM files WHERE message_id = \(bind: message)").run() }
    }
}
