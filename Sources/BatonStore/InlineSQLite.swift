import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// SQLKit on SQLite connections whose statements run on the calling thread.
///
/// A statement on an indexed table takes microseconds, less than handing it to another
/// thread and back; so queries run where they are asked for and the `async` calls return
/// without suspending. Writes are the exception to where they run: group commit runs each
/// whole batch on the writer's own thread (`WriterThread`), so a slow disk sync never
/// holds a thread that serves visitors.
///
/// Several connections make a pool: a caller takes one that is free (a reader per
/// concurrent caller), or waits for its turn on one if all are busy.
final class InlineSQLite: SQLDatabase, Sendable {
    private let handles: [Slot]
    private let next = Atomic<Int>(0)
    let logger: Logger
    let eventLoop: any EventLoop
    private let encoder = SQLiteDataEncoder()
    private let decoder = SQLiteDataDecoder()

    init(handles: [SQLiteHandle], logger: Logger) {
        precondition(!handles.isEmpty)
        self.handles = handles.map(Slot.init)
        self.logger = logger
        eventLoop = MultiThreadedEventLoopGroup.singleton.any()
    }

    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .debug }

    /// Runs `body` with a connection nobody else is using.
    func withHandle<T>(_ body: (SQLiteHandle) throws -> T) throws -> T {
        guard handles.count > 1 else { return try handles[0].lock.withLock { handle in try body(handle) } }
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        for offset in 0..<handles.count {
            if let result = try handles[(start &+ offset) % handles.count].lock.withLockIfAvailable({ handle in try body(handle) }) {
                return result
            }
        }
        return try handles[start % handles.count].lock.withLock { handle in try body(handle) }
    }

    /// A connection and the lock that lets one caller at a time use it.
    private final class Slot: Sendable {
        let lock: Mutex<SQLiteHandle>
        init(_ handle: SQLiteHandle) { lock = Mutex(handle) }
    }

    /// Runs a serialised query now.
    func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        // Its values are visitors' messages and addresses: only at `trace`, which is
        // said to log them (docs/configuration.md).
        if logger.logLevel <= .trace {
            logger.trace("Executing query", metadata: ["sql": .string(sql), "binds": .array(binds.map { .string("\($0)") })])
        }
        let values = try binds.map { try encoder.encode($0) }
        let decoder = decoder
        try withHandle { handle in
            try handle.run(sql, values) { row in onRow(SQLiteSQLRow(row: row, decoder: decoder)) }
        }
    }

    /// Runs a statement without parameters or rows (`BEGIN`, `COMMIT`…), kept prepared.
    func execute(_ sql: String) throws {
        try withHandle { handle in try handle.run(sql, []) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// Closes every connection of the pool (after the callers have finished).
    func close() {
        for slot in handles { slot.lock.withLock { $0.close() } }
    }
}

/// One result row: the statement's column names (shared by all its rows) and the values.
struct SQLiteResultRow {
    final class Columns: Sendable {
        let names: [String]
        init(names: [String]) { self.names = names }
    }

    let columns: Columns
    let values: [SQLiteData]

    func value(_ column: String) -> SQLiteData? {
        columns.names.firstIndex(of: column).map { values[$0] }
    }
}

/// A result row as SQLKit reads it.
private struct SQLiteSQLRow: SQLRow {
    let row: SQLiteResultRow
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { row.columns.names }

    func contains(column: String) -> Bool { row.columns.names.contains(column) }

    func decodeNil(column: String) throws -> Bool { (row.value(column) ?? .null) == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let value = row.value(column) else {
            throw DecodingError.keyNotFound(SQLColumnKey(column), .init(codingPath: [], debugDescription: "No column \(column) in the result"))
        }
        return try decoder.decode(D.self, from: value)
    }
}

private struct SQLColumnKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
