import Logging
import SQLKit

/// The SQLite connections of a store: one writer (all writes are serialised through it
/// by group commit) and a few readers, which WAL mode lets run beside the writer.
///
/// Statements run on the calling thread (`InlineSQLite`): a read is a few microseconds,
/// less than a trip to another thread. A write batch runs on `writerThread`, as one job.
/// Checkpoints (copying the WAL back into the database file) run on a thread and a
/// connection of their own, so that the writer's commits never wait for them.
final class SQLiteConnections: Sendable {
    let path: String
    let writer: InlineSQLite
    let reader: InlineSQLite
    let writerThread: WriterThread
    private let checkpointer: InlineSQLite
    private let checkpointThread: WriterThread

    /// How SQLite syncs to disk: `full` survives power loss (a sync per commit, which
    /// group commit amortises), `normal` survives a crash of Baton but not of the machine.
    enum Synchronous: String, Sendable { case full = "FULL", normal = "NORMAL" }

    private init(path: String, writer: InlineSQLite, reader: InlineSQLite, checkpointer: InlineSQLite) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.checkpointer = checkpointer
        writerThread = WriterThread(name: "baton-db-writer")
        checkpointThread = WriterThread(name: "baton-db-checkpoint")
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
            // `checkpoint()` keeps the WAL short; the writer checkpoints by itself only if
            // nobody called it for a long while (a store used without its service).
            try writer.run("PRAGMA wal_autocheckpoint=\(autoCheckpointPages)", []) { _ in }
            for _ in 0..<max(1, count) + 1 {
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
                                 reader: InlineSQLite(handles: Array(handles.dropFirst().dropLast()), logger: logger),
                                 checkpointer: InlineSQLite(handles: [handles[handles.count - 1]], logger: logger))
    }

    /// WAL pages after which the writer checkpoints by itself (about 32 MiB).
    static let autoCheckpointPages = 8000

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

    /// Copies what the WAL holds into the database file, as far as readers allow, without
    /// blocking the writer or the readers. Returns the WAL's size in pages, and how many
    /// of them are in the database file now.
    @discardableResult
    func checkpoint() async -> (walPages: Int, checkpointed: Int)? {
        await withTaskExecutorPreference(checkpointThread) { () async -> (Int, Int)? in
            var result: (Int, Int)?
            try? checkpointer.withHandle { handle in
                try handle.run("PRAGMA wal_checkpoint(PASSIVE)", []) { row in
                    if case .integer(let log)? = row.values.dropFirst().first, case .integer(let done)? = row.values.last {
                        result = (log, done)
                    }
                }
            }
            return result
        }
    }

    func close() async {
        reader.close()
        checkpointer.close()
        checkpointThread.stop()
        // A checkpoint folds the WAL back into the database file on a clean shutdown.
        try? writer.run(SQLRaw("PRAGMA wal_checkpoint(TRUNCATE)")) { _ in }
        writer.close()
        writerThread.stop()
    }
}
