import Foundation
import Logging
import SQLKit
import Synchronization
import VaporCSQLite

/// The SQLite connections of a store: one writer (all writes are serialised through it
/// by group commit) and a few readers, which WAL mode lets run beside the writer.
///
/// Statements run on the calling thread (`InlineSQLite`): a read is a few microseconds,
/// less than a trip to another thread. A write batch runs on `writerThread`, as one job.
/// Checkpoints (copying the WAL back into the database file) run on a thread and a
/// connection of their own, so that the writer's commits never wait for them.
///
/// Under steady writes that alone would let the WAL grow without end: it starts over only
/// when a write begins with every page of it copied, and the background checkpoint never
/// catches up with a writer that never pauses. SQLite's remedy, the writer checkpointing
/// by itself inside a `COMMIT` once the WAL is long, made that commit copy everything the
/// background had not and sync the database file: 5–10 ms a few times a second, which
/// every message arriving meanwhile waited for. So the work is split: the background
/// copies and syncs the bulk, and when the WAL has grown long it asks the writer for a
/// checkpoint between two batches (`checkpointBetweenBatches`), which then has only the
/// last few pages to copy; the next write starts the WAL over.
final class SQLiteConnections: Sendable {
    let path: String
    let writer: InlineSQLite
    let reader: InlineSQLite
    let writerThread: WriterThread
    private let checkpointer: InlineSQLite
    private let checkpointThread: WriterThread
    /// The database file, synced after each background checkpoint.
    private let databaseFile: DatabaseFileSync
    /// The background asked for a checkpoint on the writer's connection.
    private let writerCheckpointWanted = Atomic<Bool>(false)
    /// WAL pages from which the background asks for it (`writerCheckpointPages`; tests
    /// lower it).
    let writerCheckpointThreshold = Atomic<Int>(SQLiteConnections.writerCheckpointPages)
    /// Checkpoints the writer attempted between batches (a busy one copies what it can).
    let writerCheckpoints = Atomic<Int>(0)

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
        databaseFile = DatabaseFileSync(path: path)
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
            // Refused now, not at the first visitor's message with the server up and
            // healthy by every other sign.
            try writer.checkWritable()
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
            throw fail(advice(for: error, path: path))
        }
        return SQLiteConnections(path: path, writer: InlineSQLite(handles: [handles[0]], logger: logger),
                                 reader: InlineSQLite(handles: Array(handles.dropFirst().dropLast()), logger: logger),
                                 checkpointer: InlineSQLite(handles: [handles[handles.count - 1]], logger: logger))
    }

    /// Why a SQLite file could not be opened, with what to do about it (SQLite's own words
    /// say little: "attempt to write a readonly database").
    static func advice(for error: any Error, path: String) -> String {
        guard let failure = error as? SQLiteFailure else { return "\(error)" }
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let advice = switch failure.code & 0xff {
        case SQLITE_READONLY:
            "this user may not write it, or its folder: Baton writes the database and the files beside it (-wal, -shm), "
                + "also for commands that only read; check the owner and permissions, or run Baton as the user that owns them"
                + readOnlyFiles(beside: path)
        case SQLITE_CANTOPEN where isFolder.boolValue: "it is a folder: give the path of the database file (such as \(path)/baton.sqlite)"
        case SQLITE_CANTOPEN where !exists:
            "it cannot be made there: check that the folder exists and this user may write in it"
        case SQLITE_CANTOPEN: "check that this user may read and write it and its folder"
        case SQLITE_NOTADB: "the file is not a SQLite database: check the path (--database, BATON_DATABASE)"
        case SQLITE_CORRUPT: "the file is damaged: put the last backup in its place (`baton backup` makes them; docs/configuration.md, Backups)"
        default: ""
        }
        return advice.isEmpty ? "\(failure)" : "\(advice) (\(failure))"
    }

    /// The database's files this user may not write, named (SQLite makes `-wal` and
    /// `-shm` with the database's permissions, so a database made writable again can
    /// still have them read-only).
    private static func readOnlyFiles(beside path: String) -> String {
        let files = FileManager.default
        let named = [path, path + "-wal", path + "-shm"].filter { files.fileExists(atPath: $0) && !files.isWritableFile(atPath: $0) }
        return named.isEmpty ? "" : " (not writable: \(named.joined(separator: ", ")))"
    }

    /// WAL pages after which the writer checkpoints by itself, inside a commit (about
    /// 64 MiB): only when the background and the writer's checkpoints between batches have
    /// not kept the WAL shorter (a store used without its service, readers in the way).
    static let autoCheckpointPages = 16_000
    /// WAL pages after which the background asks the writer for a checkpoint between
    /// batches, so that the WAL can start over (about 16 MiB).
    static let writerCheckpointPages = 4_000

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
    ///
    /// SQLite syncs the database file after a checkpoint only when it copied the whole WAL,
    /// which under steady writes it seldom does; the sync here keeps the next complete
    /// checkpoint (the writer's) from having to flush everything copied before it.
    @discardableResult
    func checkpoint() async -> (walPages: Int, checkpointed: Int)? {
        await withTaskExecutorPreference(checkpointThread) { () async -> (Int, Int)? in
            let result = try? checkpointer.withHandle { try Self.checkpoint($0, mode: "PASSIVE") }
            if let result, result.checkpointed > 0 { databaseFile.sync() }
            if let result, result.walPages >= writerCheckpointThreshold.load(ordering: .relaxed) {
                writerCheckpointWanted.store(true, ordering: .relaxed)
            }
            return result
        }
    }

    /// On the writer's thread, between two batches: the checkpoint the background asked
    /// for, if it did. With nothing else writing, it copies the WAL to its end, and waits
    /// a moment (not the usual 5 s) for readers still on the WAL's pages to finish, so
    /// that the next write starts the WAL over.
    func checkpointBetweenBatches() {
        guard writerCheckpointWanted.exchange(false, ordering: .relaxed) else { return }
        _ = try? writer.withHandle { handle in
            try handle.withBusyTimeout(milliseconds: 5) { try Self.checkpoint(handle, mode: "RESTART") }
        }
        writerCheckpoints.add(1, ordering: .relaxed)
    }

    private static func checkpoint(_ handle: SQLiteHandle, mode: String) throws -> (walPages: Int, checkpointed: Int)? {
        var result: (Int, Int)?
        try handle.run("PRAGMA wal_checkpoint(\(mode))", []) { row in
            if case .integer(let log)? = row.values.dropFirst().first, case .integer(let done)? = row.values.last {
                result = (log, done)
            }
        }
        return result
    }

    func close() async {
        reader.close()
        checkpointer.close()
        await checkpointThread.stop()
        // A checkpoint folds the WAL back into the database file on a clean shutdown.
        try? writer.run(SQLRaw("PRAGMA wal_checkpoint(TRUNCATE)")) { _ in }
        writer.close()
        await writerThread.stop()
        databaseFile.close()
    }
}
