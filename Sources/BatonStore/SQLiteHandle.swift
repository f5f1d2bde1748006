import NIOCore
import SQLiteNIO
// The SQLite library that SQLiteNIO builds (its symbols carry a `sqlite_nio_` prefix).
// Baton uses that one copy for every connection: two copies of SQLite in one process
// would not see each other's file locks.
import VaporCSQLite

/// One SQLite connection, used through SQLite's C interface on the calling thread.
///
/// Not thread-safe by itself: its owner (`InlineSQLite`) lets one caller at a time in.
/// Prepared statements are kept and reused by their SQL text, so a statement that runs
/// for every message is compiled once.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// More distinct statements than this (multi-row inserts of every size): start again.
    private static let statementCacheLimit = 128

    /// Opens (creating if needed) the database file.
    init(path: String) throws(SQLiteFailure) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = Self.message(of: db) ?? "cannot open"
            sqlite_nio_sqlite3_close(db)
            throw SQLiteFailure(code: status, message: message)
        }
        self.db = db
        // Wait for a lock held by another process (the CLI) instead of failing at once.
        sqlite_nio_sqlite3_busy_timeout(db, Self.busyTimeout)
        sqlite_nio_sqlite3_extended_result_codes(db, 1)
        Self.installUnicodeLower(on: db)
    }

    /// `baton_lower(text)`: the text in lower case by Unicode's rules (SQLite's own `LOWER`
    /// changes only ASCII letters), for searches with other letters ("ÖZIL" finds "Özil").
    /// PostgreSQL has it as a function of migration 18. NULL stays NULL.
    private static func installUnicodeLower(on db: OpaquePointer) {
        sqlite_nio_sqlite3_create_function_v2(db, "baton_lower", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, { context, count, values in
            guard count == 1, let value = values?[0], sqlite_nio_sqlite3_value_type(value) != SQLITE_NULL,
                  let text = sqlite_nio_sqlite3_value_text(value) else {
                sqlite_nio_sqlite3_result_null(context)
                return
            }
            let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite_nio_sqlite3_value_bytes(value)))
            let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
            lowered.withCString { text in
                sqlite_nio_sqlite3_result_text64(context, text, UInt64(lowered.utf8.count), SQLiteHandle.transient, UInt8(SQLITE_UTF8))
            }
        }, nil, nil, nil)
    }

    deinit { close() }

    /// Throws `SQLITE_READONLY` unless this connection can write the database: SQLite
    /// opens a file it may not write read-only without a word (and then refuses every
    /// write), and a `-shm` file it may not write refuses every transaction. A write
    /// transaction is begun and rolled back, which writes nothing.
    func checkWritable() throws(SQLiteFailure) {
        guard let db else { return }
        if sqlite_nio_sqlite3_db_readonly(db, "main") == 1 {
            throw SQLiteFailure(code: SQLITE_READONLY, message: "attempt to write a readonly database")
        }
        do {
            try run("BEGIN IMMEDIATE", [])
        } catch let failure as SQLiteFailure {
            throw failure
        } catch {
            throw SQLiteFailure(code: SQLITE_ERROR, message: "\(error)")
        }
        try? run("ROLLBACK", [])
    }

    /// How long a statement waits for another connection's lock, in milliseconds.
    static let busyTimeout: Int32 = 5000

    /// Waits at most `milliseconds` for another connection's lock while `body` runs,
    /// instead of the usual `busyTimeout`.
    func withBusyTimeout<T>(milliseconds: Int32, _ body: () throws -> T) rethrows -> T {
        if let db { sqlite_nio_sqlite3_busy_timeout(db, milliseconds) }
        defer { if let db { sqlite_nio_sqlite3_busy_timeout(db, Self.busyTimeout) } }
        return try body()
    }

    /// Finalises the kept statements and closes the connection; later calls fail.
    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
        if let db { sqlite_nio_sqlite3_close_v2(db) }
        db = nil
    }

    /// Runs one statement with its bound values, calling `onRow` with each result row.
    func run(_ sql: String, _ binds: [SQLiteData], onRow: (SQLiteResultRow) throws -> Void = { _ in }) throws {
        let statement = try prepared(sql)
        // Not `sqlite3_clear_bindings`: every parameter is bound again on the next run, and
        // clearing marks a statement whose plan looked at a bound value (`x = ?` with
        // `ORDER BY`) as expired, so SQLite would compile it again at every run.
        defer { sqlite_nio_sqlite3_reset(statement) }
        for (index, value) in binds.enumerated() { try bind(value, at: Int32(index + 1), in: statement) }
        var columns: SQLiteResultRow.Columns?
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status) }
            let names = columns ?? Self.columns(of: statement)
            columns = names
            let count = Int32(names.names.count)
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(Self.value(of: statement, at: column)) }
            try onRow(SQLiteResultRow(columns: names, values: values))
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { db.map { Int(sqlite_nio_sqlite3_changes($0)) } ?? 0 }

    /// How many times SQLite compiled the kept statement for `sql` again (nil when it is
    /// not kept): a statement that runs often should never need it.
    func recompilations(of sql: String) -> Int32? {
        statements[sql].map { sqlite_nio_sqlite3_stmt_status($0, SQLITE_STMTSTATUS_REPREPARE, 0) }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the database is closed") }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        if statements.count >= Self.statementCacheLimit {
            for kept in statements.values { sqlite_nio_sqlite3_finalize(kept) }
            statements.removeAll()
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) throws {
        let status: Int32
        switch value {
        case .integer(let number): status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case .float(let number): status = sqlite_nio_sqlite3_bind_double(statement, index, number)
        case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let text):
            var text = text
            status = text.withUTF8 { bytes in
                // An empty string has no base address; a null pointer would bind NULL.
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, Self.transient, UInt8(SQLITE_UTF8))
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    sqlite_nio_sqlite3_bind_text64(statement, index, chars, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let buffer):
            status = buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(bytes.count), Self.transient)
            }
        }
        guard status == SQLITE_OK else { throw failure(status) }
    }

    private static func columns(of statement: OpaquePointer) -> SQLiteResultRow.Columns {
        let count = sqlite_nio_sqlite3_column_count(statement)
        return SQLiteResultRow.Columns(names: (0..<count).map { column in
            sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
        })
    }

    private static func value(of statement: OpaquePointer, at column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(SQLiteInt64(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func failure(_ status: Int32) -> SQLiteFailure {
        SQLiteFailure(code: status, message: Self.message(of: db) ?? "error \(status)")
    }

    private static func message(of db: OpaquePointer?) -> String? {
        guard let db, let text = sqlite_nio_sqlite3_errmsg(db) else { return nil }
        return String(cString: text)
    }

    /// SQLite copies bound text and blobs before the call returns.
    fileprivate static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// An error SQLite reported: its (extended) result code and message.
public struct SQLiteFailure: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    /// A UNIQUE, PRIMARY KEY, NOT NULL, CHECK or FOREIGN KEY constraint failed.
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

    public var description: String { "SQLite error \(code): \(message)" }
}
