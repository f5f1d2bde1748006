import BatonCore
import Foundation
import SQLKit

/// Files sent with messages (`FileStore`), in the database so that every Baton sharing it
/// serves every file: the record in `files`, the content in `file_parts` (deleted with its
/// record), so that changing the record (the message that sent the file, its id in
/// Mattermost) does not write the content again.
extension SQLStore: FileStore {
    /// The most of a file's content one part holds. Each part is written by a transaction
    /// of its own, so that a large file holds up other writes (SQLite has one writer) for
    /// one part's write at a time, not the whole file's.
    static let filePartBytes = 256 * 1024

    /// Stores the record with the first part, then the other parts in order; only the last
    /// write waits for the disk, which makes the earlier ones durable too (both databases
    /// write their log in order). Until then the record is there with part of its content:
    /// nobody holds its id yet, `file(id:)` would not read it, and if Baton stops midway
    /// the upload is forgotten like any other never sent.
    public func saveFile(_ file: StoredFile) async throws {
        let a = file.attachment
        let data = file.data
        let parts = data.isEmpty ? [0..<0] : stride(from: 0, to: data.count, by: Self.filePartBytes).map { $0..<min($0 + Self.filePartBytes, data.count) }
        @Sendable func insert(_ part: Int, into db: any SQLDatabase) async throws {
            try await db.raw("""
                INSERT INTO file_parts (file_id, part, data) VALUES (\(bind: a.id.rawValue), \(bind: part), \(bind: Data(data[parts[part]])))
                """).run()
        }
        try await write(durable: parts.count == 1) { db in
            try await db.raw("""
                INSERT INTO files (id, visitor_id, message_id, name, content_type, size, mattermost_id, created_at)
                VALUES (\(bind: a.id.rawValue), \(bind: file.visitorID.rawValue), \(bind: file.messageID), \(bind: a.name),
                        \(bind: a.contentType), \(bind: a.size), \(bind: file.mattermostID), \(bind: file.createdAt))
                """).run()
            try await insert(0, into: db)
        }
        do {
            for part in parts.indices.dropFirst() {
                try await write(durable: part == parts.count - 1) { db in try await insert(part, into: db) }
            }
        } catch {
            try? await write(durable: false) { db in try await db.raw("DELETE FROM files WHERE id = \(bind: a.id.rawValue)").run() }
            throw error
        }
    }

    public func fileRecord(id: FileID) async throws -> StoredFile? {
        try await reader.raw("""
            SELECT id, visitor_id, message_id, name, content_type, size, mattermost_id, created_at FROM files WHERE id = \(bind: id.rawValue)
            """).first().map(Rows.file)
    }

    /// The parts one query each: at most one part in memory at a time. The content is all
    /// there when its parts add up to the record's size (`length` of a blob or `bytea` is
    /// read from its header, not its content).
    public func readContent(of file: StoredFile, parts consume: ([UInt8]) async throws -> Void) async throws -> Bool {
        let id = file.id
        guard let layout = try await reader.raw("""
            SELECT COUNT(*) AS parts, COALESCE(SUM(length(data)), 0) AS bytes FROM file_parts WHERE file_id = \(bind: id.rawValue)
            """).first() else { return false }
        let parts = try layout.decode(column: "parts", as: Int.self)
        guard parts > 0, try layout.decode(column: "bytes", as: Int64.self) == file.attachment.size else { return false }
        for part in 0..<parts {
            guard let row = try await reader.raw("""
                SELECT data FROM file_parts WHERE file_id = \(bind: id.rawValue) AND part = \(bind: part)
                """).first() else {
                throw StoreError.failure("the file \(id) was deleted while it was read")
            }
            try await consume([UInt8](try row.decode(column: "data", as: Data.self)))
        }
        return true
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
