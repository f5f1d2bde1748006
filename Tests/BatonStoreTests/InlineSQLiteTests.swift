@testable import BatonStore
import BatonCore
import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import Synchronization
import Testing

/// The SQLite connection used through the C interface, and the writer's own thread.
@Suite struct InlineSQLiteTests {
    private func withDatabase(_ body: (InlineSQLite) async throws -> Void) async throws {
        let folder = try TemporaryDatabase()
        defer { folder.remove() }
        let db = InlineSQLite(handles: [try SQLiteHandle(path: folder.path), try SQLiteHandle(path: folder.path)], logger: Logger(label: "test"))
        defer { db.close() }
        try await body(db)
    }

    @Test func everyKindOfValueRoundTrips() async throws {
        try await withDatabase { db in
            try await db.raw("CREATE TABLE t (n INTEGER, f REAL, s TEXT, b BLOB, z TEXT)").run()
            var blob = ByteBufferAllocator().buffer(capacity: 3)
            blob.writeBytes([0, 255, 7])
            try await db.insert(into: "t").columns("n", "f", "s", "b", "z")
                .values(SQLBind(Int64.max), SQLBind(2.5), SQLBind("héllo\0x"), SQLBind(blob), SQLLiteral.null).run()
            // An empty string stays a string: it is not NULL.
            try await db.insert(into: "t").columns("n", "f", "s", "b", "z")
                .values(SQLBind(Int64.min), SQLBind(-0.0), SQLBind(""), SQLLiteral.null, SQLBind("")).run()
            let rows = try await db.select().column("*").from("t").orderBy("n", .descending).all()
            #expect(rows.count == 2)
            #expect(try rows[0].decode(column: "n", as: Int64.self) == .max)
            #expect(try rows[0].decode(column: "f", as: Double.self) == 2.5)
            #expect(try rows[0].decode(column: "s", as: String.self) == "héllo\0x")
            #expect(try rows[0].decode(column: "b", as: ByteBuffer.self) == blob)
            #expect(try rows[0].decodeNil(column: "z"))
            #expect(try rows[1].decode(column: "s", as: String.self) == "")
            #expect(try rows[1].decode(column: "z", as: String?.self) == "")
            #expect(try rows[1].decodeNil(column: "b"))
            #expect(rows[0].allColumns == ["n", "f", "s", "b", "z"])
            #expect(throws: DecodingError.self) { try rows[0].decode(column: "missing", as: Int.self) }
        }
    }

    @Test func constraintFailuresAreReportedAsSuch() async throws {
        try await withDatabase { db in
            try await db.raw("CREATE TABLE u (k TEXT PRIMARY KEY)").run()
            try await db.raw("INSERT INTO u (k) VALUES ('a')").run()
            let error = try #require(await #expect(throws: SQLiteFailure.self) {
                try await db.raw("INSERT INTO u (k) VALUES ('a')").run()
            })
            #expect(error.isConstraint)
            #expect(error.message.contains("u.k"))
            // The statement was reset: the connection goes on working.
            try await db.raw("INSERT INTO u (k) VALUES ('b')").run()
            #expect(try await db.raw("SELECT COUNT(*) AS n FROM u").first()?.decode(column: "n", as: Int.self) == 2)
            let syntax = try #require(await #expect(throws: SQLiteFailure.self) { try await db.raw("SELEC 1").run() })
            #expect(!syntax.isConstraint)
        }
    }

    @Test func connectionsOfAPoolAreUsedSideBySide() async throws {
        try await withDatabase { db in
            try await db.raw("CREATE TABLE c (n INTEGER)").run()
            try await db.raw("INSERT INTO c (n) VALUES (1), (2), (3)").run()
            // While one connection is in the middle of a query, another one answers.
            var inners: [Int?] = []
            try db.run(SQLRaw("SELECT n FROM c")) { _ in
                inners.append(try? db.withHandle { handle in
                    var count = 0
                    try handle.run("SELECT n FROM c", []) { _ in count += 1 }
                    return count
                })
            }
            // Once for each of the outer query's 3 rows, each seeing the 3 rows.
            #expect(inners == [3, 3, 3])
        }
    }

    @Test func keptStatementsAreNotCompiledAgainForNewValues() throws {
        let folder = try TemporaryDatabase()
        defer { folder.remove() }
        let handle = try SQLiteHandle(path: folder.path)
        defer { handle.close() }
        try handle.run("CREATE TABLE m (id INTEGER PRIMARY KEY, c TEXT, t TEXT)", []) { _ in }
        try handle.run("CREATE INDEX m_c ON m (c, id)", []) { _ in }
        // An equality on an indexed column with ORDER BY: the planner looks at the bound
        // value, so clearing the bindings after a run would expire the statement.
        let query = "SELECT * FROM m WHERE c = ?1 AND id > ?2 ORDER BY id LIMIT 1"
        var found = 0
        for i in 0..<20 {
            try handle.run("INSERT INTO m (c, t) VALUES (?1, ?2)", [.text("c\(i % 3)"), .text("x\(i)")]) { _ in }
            try handle.run(query, [.text("c\(i % 3)"), .integer(i / 2)]) { _ in found += 1 }
        }
        #expect(found == 20)
        #expect(handle.recompilations(of: query) == 0)
    }

    @Test func theWriterThreadRunsWholeBatchesOnItsOwnThread() async throws {
        let writer = WriterThread(name: "test-writer")
        #expect(!writer.isCurrent)
        for _ in 0..<3 {
            let onWriter = await withTaskExecutorPreference(writer) { () async -> [Bool] in
                let before = writer.isCurrent
                await Task.yield()
                return [before, writer.isCurrent]
            }
            #expect(onWriter == [true, true])
            #expect(!writer.isCurrent)
        }
        await writer.stop()
    }

    /// A store's close stops its threads from async code: the caller is suspended until
    /// the job still running ends, and its own thread stays free meanwhile.
    @Test func stoppingAWriterWaitsForItsJobWithoutHoldingTheCallersThread() async {
        let writer = WriterThread(name: "test-writer")
        let caller = WriterThread(name: "test-caller")
        let release = DispatchSemaphore(value: 0)
        final class Flag: Sendable {
            let value = Atomic<Bool>(false)
            var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
        }
        let stopped = Flag()
        await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
            Task(executorPreference: writer) {
                started.resume()
                release.wait()
            }
        }
        let stopping = Task(executorPreference: caller) {
            await writer.stop()
            stopped.value.store(true, ordering: .sequentiallyConsistent)
        }
        // The caller's only thread runs other work while the stop waits for the job.
        let callerFree = await Task(executorPreference: caller) { caller.isCurrent }.value
        #expect(callerFree)
        #expect(!stopped.isSet)
        release.signal()
        await stopping.value
        #expect(stopped.isSet)
        await writer.stop()  // a second stop returns at once
        await caller.stop()
    }

    /// Commits `count` new visitors, each with a conversation and a message.
    private func commitVisitors(_ count: Int, to store: SQLStore) async throws {
        for i in 0..<count {
            let visitor = Visitor.new()
            _ = try await store.commit(ChangeSet(visitor: visitor, conversation: .new(visitor.id),
                                                 messages: [NewMessage(role: .visitor, text: "message \(i)")]))
        }
    }

    @Test func aCheckpointCopiesTheWholeWALBesideTheWriter() async throws {
        try await withStore { store, _ in
            try await commitVisitors(20, to: store)
            let result = try #require(await store.connections.checkpoint())
            #expect(result.walPages > 0)
            #expect(result.checkpointed == result.walPages)
        }
    }

    @Test func aLongWALIsCheckpointedByTheWriterBetweenBatchesAndStartsOver() async throws {
        try await withStore { store, _ in
            store.connections.writerCheckpointThreshold.store(1, ordering: .relaxed)
            try await commitVisitors(20, to: store)
            #expect(store.connections.writerCheckpoints.load(ordering: .relaxed) == 0)
            let long = try #require(await store.connections.checkpoint())
            // The background found the WAL long: the writer's next batch ends with a checkpoint.
            try await commitVisitors(1, to: store)
            #expect(store.connections.writerCheckpoints.load(ordering: .relaxed) == 1)
            // It copied the WAL to its end, so the next write starts it over.
            try await commitVisitors(1, to: store)
            let short = try #require(await store.connections.checkpoint())
            #expect(short.walPages < long.walPages)
            #expect(short.checkpointed == short.walPages)
        }
    }

    @Test func aShortWALIsLeftToTheBackground() async throws {
        try await withStore { store, _ in
            try await commitVisitors(5, to: store)
            _ = try #require(await store.connections.checkpoint())
            try await commitVisitors(1, to: store)
            #expect(store.connections.writerCheckpoints.load(ordering: .relaxed) == 0)
        }
    }

    @Test func theDatabaseFileIsWrittenBackARangeAtATimeAndSynced() throws {
        let db = try TemporaryDatabase()
        defer { db.remove() }
        // More than the smallest ranges, and a bit, written through a descriptor of its own
        // like SQLite's.
        let bytes = [UInt8](repeating: 7, count: Int(DatabaseFileSync.ranges * DatabaseFileSync.smallestRange) + 100)
        #expect(FileManager.default.createFile(atPath: db.path, contents: Data(bytes)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: db.path))
        try handle.seek(toOffset: 5)
        try handle.write(contentsOf: Data([1, 2, 3]))
        let file = DatabaseFileSync(path: db.path)
        #expect(file.sync())
        #expect(file.sync())
        file.close()
        try handle.close()
        let read = try Data(contentsOf: URL(fileURLWithPath: db.path))
        #expect(read.count == bytes.count && Array(read[4..<9]) == [7, 1, 2, 3, 7])
        // A file that is not there: nothing to sync, and it says so.
        let missing = DatabaseFileSync(path: db.folder.appendingPathComponent("missing").path)
        #expect(!missing.sync())
        missing.close()
    }

    @Test func aStoreWritesOnItsWriterThread() async throws {
        try await withStore { store, _ in
            let onWriter = Mutex<[Bool]>([])
            try await store.write { db in
                onWriter.withLock { $0.append(store.connections.writerThread.isCurrent) }
                try await db.raw("SELECT 1").run()
                onWriter.withLock { $0.append(store.connections.writerThread.isCurrent) }
            }
            #expect(onWriter.withLock { $0 } == [true, true])
            #expect(!store.connections.writerThread.isCurrent)
        }
    }
}
