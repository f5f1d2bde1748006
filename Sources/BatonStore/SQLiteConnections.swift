import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// The SQLite connections of a store: one writer (all writes are serialised through it
/// by group commit) and a few readers, which WAL mode lets run beside the writer.
///
/// SQLite calls block, so each connection's statements run on a thread pool. The writer
/// has a thread of its own: on a shared pool, every statement of a write would queue
/// behind the reads of all the visitors waiting for that very write.
final class SQLiteConnections: Sendable {
    let path: String
    let writer: SQLiteConnection
    let readers: [SQLiteConnection]
    private let pools: [NIOThreadPool]
    private let nextReader = Atomic<Int>(0)

    /// How SQLite syncs to disk: `full` survives power loss (a sync per commit, which
    /// group commit amortises), `normal` survives a crash of Baton but not of the machine.
    enum Synchronous: String, Sendable { case full = "FULL", normal = "NORMAL" }

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], pools: [NIOThreadPool]) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.pools = pools
    }

    static func open(path: String, readers count: Int = 2, synchronous: Synchronous, logger: Logger) async throws -> SQLiteConnections {
        let writerPool = NIOThreadPool(numberOfThreads: 1)
        let readerPool = NIOThreadPool(numberOfThreads: max(1, count))
        writerPool.start()
        readerPool.start()
        let pools = [writerPool, readerPool]
        let writer: SQLiteConnection
        do {
            writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: writerPool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            await shutDown(pools)
            throw StoreOpenError.cannotOpen(path, reason: "\(error)")
        }
        let db = writer.sql()
        do {
            // WAL: readers never block the writer; the journal mode is persistent.
            let mode = try await db.raw("PRAGMA journal_mode=WAL").first()?.decode(column: "journal_mode", as: String.self)
            guard mode?.lowercased() == "wal" else {
                throw StoreOpenError.cannotOpen(path, reason: "the file system does not support SQLite's WAL mode")
            }
            try await configure(db, synchronous: synchronous)
            try await db.raw("PRAGMA foreign_keys=ON").run()
        } catch {
            try? await writer.close()
            await shutDown(pools)
            throw error as? StoreOpenError ?? StoreOpenError.cannotOpen(path, reason: "\(error)")
        }
        var readers: [SQLiteConnection] = []
        do {
            for _ in 0..<max(1, count) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: readerPool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
                readers.append(reader)
                try await configure(reader.sql(), synchronous: synchronous)
            }
        } catch {
            for reader in readers { try? await reader.close() }
            try? await writer.close()
            await shutDown(pools)
            throw StoreOpenError.cannotOpen(path, reason: "\(error)")
        }
        return SQLiteConnections(path: path, writer: writer, readers: readers, pools: pools)
    }

    private static func shutDown(_ pools: [NIOThreadPool]) async {
        for pool in pools { try? await pool.shutdownGracefully() }
    }

    private static func configure(_ db: any SQLDatabase, synchronous: Synchronous) async throws {
        try await db.raw(SQLQueryString("PRAGMA synchronous=\(unsafeRaw: synchronous.rawValue)")).run()
        // Wait for a lock held by another process (the CLI) instead of failing at once.
        try await db.raw("PRAGMA busy_timeout=5000").run()
    }

    /// A reader, round robin.
    var reader: any SQLDatabase {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return readers[index % readers.count].sql()
    }

    func close() async {
        for reader in readers { try? await reader.close() }
        // A checkpoint folds the WAL back into the database file on a clean shutdown.
        _ = try? await writer.sql().raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
        try? await writer.close()
        await Self.shutDown(pools)
    }
}
