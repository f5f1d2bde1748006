import Logging
import SQLKit

/// The SQLite connections of a store: one writer (all writes are serialised through it
/// by group commit) and a few readers, which WAL mode lets run beside the writer.
///
/// Statements run on the calling thread (`InlineSQLite`): a read is a few microseconds,
/// less than a trip to another thread. A write batch runs on `writerThread`, as one job.
final class SQLiteConnections: Sendable {
    let path: String
    let writer: InlineSQLite
    let reader: InlineSQLite
    let writerThread: WriterThread

    /// How SQLite syncs to disk: `full` survives power loss (a sync per commit, which
    /// group commit amortises), `normal` survives a crash of Baton but not of the machine.
    enum Synchronous: String, Sendable { case full = "FULL", normal = "NORMAL" }

    private init(path: String, writer: InlineSQLite, reader: InlineSQLite) {
        self.path = path
        self.writer = writer
        self.reader = reader
        writerThread = WriterThread(name: "baton-db-writer")
    }

    /// Opens the writer and `readers` reader connections; the file is created if needed.
    static func open(path: String, readers count: Int = 4, synchronous: Synchronous, logger: Logger) throws -> SQLiteConnections {
        var handles: [SQLiteHandle] = []
        func fail(_ reason: String) -> StoreOpenError {
            for handle in handles { handle.close() }
            return StoreOpenError.cannotOpen(path, reason: reason)
        }
        do {
            let writer = try SQLiteHandle(path: path)
            handles.append(writer)
            // WAL: readers never block the writer; the journal mode is persistent.
            var mode: String?
            try writer.run("PRAGMA journal_mode=WAL", []) { row in mode = row.values.first?.string }
            guard mode?.lowercased() == "wal" else { throw fail("the file system does not support SQLite's WAL mode") }
            try configure(writer, synchronous: synchronous)
            try writer.run("PRAGMA foreign_keys=ON", []) { _ in }
            for _ in 0..<max(1, count) {
                let reader = try SQLiteHandle(path: path)
                handles.append(reader)
                try configure(reader, synchronous: synchronous)
            }
        } catch let error as StoreOpenError {
            throw error
        } catch {
            throw fail("\(error)")
        }
        return SQLiteConnections(path: path, writer: InlineSQLite(handles: [handles[0]], logger: logger),
                                 reader: InlineSQLite(handles: Array(handles.dropFirst()), logger: logger))
    }

    private static func configure(_ handle: SQLiteHandle, synchronous: Synchronous) throws {
        try handle.run("PRAGMA synchronous=\(synchronous.rawValue)", []) { _ in }
        // A multi-row upsert keeps a statement journal, to undo itself alone if it fails;
        // in memory it costs no file writes.
        try handle.run("PRAGMA temp_store=MEMORY", []) { _ in }
        // Pages kept between statements (up to 8 MiB a connection, only as they are used):
        // the default 2 MiB made the writer read the indexes it updates from the file
        // again and again.
        try handle.run("PRAGMA cache_size=-8192", []) { _ in }
    }

    /// Runs `body` on the writer's thread (a whole group-commit batch, disk sync included).
    func onWriterThread<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        await withTaskExecutorPreference(writerThread) { await body() }
    }

    func close() async {
        reader.close()
        // A checkpoint folds the WAL back into the database file on a clean shutdown.
        try? writer.run(SQLRaw("PRAGMA wal_checkpoint(TRUNCATE)")) { _ in }
        writer.close()
        writerThread.stop()
    }
}
