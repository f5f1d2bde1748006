import BatonCore
import Foundation
import Logging
import SQLKit
import SQLiteKit
import Synchronization
import ServiceLifecycle

/// The durable `ChatStore`, on SQLite (embedded, one process) or PostgreSQL. Most queries
/// are written with SQLKit and run on either. On SQLite the hot write path
/// (`applyTogether`) runs kept statements through SQLite's C interface on the writer's
/// thread, and all writes go through group commit: one transaction, one sync for
/// everything written at the same moment. On PostgreSQL each write is a transaction of
/// its own on a pooled connection (`SQLStore+Postgres`).
///
/// It is a `Service`: run it in the application's service group after the HTTP server,
/// so that on shutdown it closes (and checkpoints) only once nothing writes any more.
public final class SQLStore: ChatStore, Service {
    let engine: Engine
    let logger: Logger

    /// The database behind the store, with what only it needs.
    enum Engine: Sendable {
        case sqlite(SQLiteConnections, GroupCommit<WriteOp, [Message]>)
        case postgres(PostgresConnections)
    }

    var flavor: SQLFlavor {
        switch engine {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// The SQLite connections; only for code (and tests) that run on SQLite alone.
    var connections: SQLiteConnections {
        guard case .sqlite(let connections, _) = engine else { preconditionFailure("not a SQLite store") }
        return connections
    }

    enum WriteOp: Sendable {
        /// A conversation step: its failure on a duplicate client id is reported as such.
        case change(ChangeSet)
        /// Any other write; `durable: false` when losing it to a power cut is harmless.
        case statements(@Sendable (InlineSQLite) async throws -> Void, durable: Bool)

        /// Whether the commit that holds it must reach the disk before it returns.
        var durable: Bool {
            switch self {
            case .change: true
            case .statements(_, let durable): durable
            }
        }
    }

    private init(sqlite connections: SQLiteConnections, durable: Bool, logger: Logger) {
        self.logger = logger
        let botStates = BotStates()
        let writes = GroupCommit<WriteOp, [Message]> { ops in
            // A batch of writes that need not be durable commits without a disk sync; the
            // next durable commit syncs them too (the WAL is written in order).
            let relaxed = durable && !ops.contains(where: \.durable)
            return await connections.onWriterThread {
                if relaxed { try? connections.writer.execute("PRAGMA synchronous=NORMAL") }
                defer { if relaxed { try? connections.writer.execute("PRAGMA synchronous=FULL") } }
                let results = await Self.apply(ops, on: connections.writer, botStates: botStates, logger: logger)
                connections.checkpointBetweenBatches()
                return results
            }
        }
        engine = .sqlite(connections, writes)
    }

    private init(postgres connections: PostgresConnections, logger: Logger) {
        self.logger = logger
        engine = .postgres(connections)
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    public static func open(_ location: DatabaseLocation, durable: Bool = true, logger: Logger) async throws -> SQLStore {
        switch location {
        case .sqlite(let path):
            let connections = try SQLiteConnections.open(path: path, synchronous: durable ? .full : .normal, logger: logger)
            do {
                let applied = try await Migrations.run(on: connections.writer, flavor: .sqlite)
                if !applied.isEmpty { logger.info("Database schema migrated", metadata: ["versions": "\(applied)", "database": "\(location)"]) }
            } catch {
                await connections.close()
                throw error
            }
            return SQLStore(sqlite: connections, durable: durable, logger: logger)
        case .postgres(let postgres):
            let connections = try await PostgresConnections.open(postgres, durable: durable, logger: logger)
            do {
                let applied = try await connections.withConnection { db in
                    // Instances starting together migrate one after the other.
                    try await db.raw("SELECT pg_advisory_lock(\(unsafeRaw: String(AdvisoryLock.migrations)))").run()
                    do {
                        let applied = try await Migrations.run(on: db, flavor: .postgres)
                        try await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(AdvisoryLock.migrations)))").run()
                        return applied
                    } catch {
                        try? await db.raw("SELECT pg_advisory_unlock(\(unsafeRaw: String(AdvisoryLock.migrations)))").run()
                        throw error
                    }
                }
                if !applied.isEmpty { logger.info("Database schema migrated", metadata: ["versions": "\(applied)", "database": "\(location)"]) }
            } catch let error as StoreOpenError {
                await connections.close()
                throw error
            } catch {
                await connections.close()
                throw StoreOpenError.cannotOpen(location.description, reason: PostgresConnections.describe(error))
            }
            return SQLStore(postgres: connections, logger: logger)
        }
    }

    /// On SQLite, checkpoints the WAL now and then until shutdown; then closes after
    /// everything before it in the service group has stopped.
    public func run() async throws {
        guard case .sqlite(let connections, _) = engine else {
            try? await gracefulShutdown()
            await close()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.checkpointInterval)
                    await connections.checkpoint()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await close()
    }

    /// How often the WAL is copied back into the database file.
    static let checkpointInterval: Duration = .milliseconds(250)

    public func close() async {
        switch engine {
        case .sqlite(let connections, _): await connections.close()
        case .postgres(let connections): await connections.close()
        }
    }

    var reader: any SQLDatabase {
        switch engine {
        case .sqlite(let connections, _): connections.reader
        case .postgres(let connections): connections.database
        }
    }

    // MARK: Widgets

    public func widget(key: String) async throws -> Widget? {
        try await reader.select().column("*").from("widgets").where("key", .equal, key).first().map(Rows.widget)
    }

    public func widgets() async throws -> [Widget] {
        try await reader.select().column("*").from("widgets").orderBy("created_at").all().map(Rows.widget)
    }

    public func saveWidget(_ widget: Widget) async throws {
        try await write { db in
            try await db.insert(into: "widgets")
                .columns("key", "name", "bot_source", "settings", "created_at", "updated_at")
                .values(widget.key, widget.name, widget.botSource, try Rows.json(widget.settings), widget.createdAt, widget.updatedAt)
                .onConflict(with: "key") { $0.set(excludedValueOf: "name").set(excludedValueOf: "bot_source")
                    .set(excludedValueOf: "settings").set(excludedValueOf: "updated_at") }
                .run()
        }
    }

    public func createWidget(_ widget: Widget) async throws -> Bool {
        let created = Mutex(false)
        let settings = try Rows.json(widget.settings)
        try await write { db in
            let rows = try await db.raw("""
                INSERT INTO widgets (key, name, bot_source, settings, created_at, updated_at)
                VALUES (\(bind: widget.key), \(bind: widget.name), \(bind: widget.botSource), \(bind: settings), \(bind: widget.createdAt), \(bind: widget.updatedAt))
                ON CONFLICT (key) DO NOTHING
                RETURNING key
                """).all()
            created.withLock { $0 = !rows.isEmpty }
        }
        return created.withLock { $0 }
    }

    public func saveWidget(_ widget: Widget, ifUpdatedAt basis: Millis) async throws -> Bool {
        let saved = Mutex(false)
        let settings = try Rows.json(widget.settings)
        try await write { db in
            let rows = try await db.raw("""
                UPDATE widgets SET name = \(bind: widget.name), bot_source = \(bind: widget.botSource), settings = \(bind: settings),
                    updated_at = \(bind: widget.updatedAt)
                WHERE key = \(bind: widget.key) AND updated_at = \(bind: basis)
                RETURNING key
                """).all()
            saved.withLock { $0 = !rows.isEmpty }
        }
        return saved.withLock { $0 }
    }

    public func deleteWidget(key: String) async throws {
        try await write { db in try await db.delete(from: "widgets").where("key", .equal, key).run() }
    }

    /// Runs statements in a transaction: on SQLite through group commit, with other
    /// writes. `durable: false` lets the commit return before it is on disk: for writes
    /// that, lost to a power cut, are simply done again.
    func write(durable: Bool = true, _ statements: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        switch engine {
        case .sqlite(_, let writes):
            _ = try await writes.submit(.statements({ db in try await statements(db) }, durable: durable))
        case .postgres(let connections):
            do {
                try await connections.transaction(durable: durable) { db in try await statements(db) }
            } catch {
                throw StoreError.failure(PostgresConnections.describe(error))
            }
        }
    }

    // MARK: Visitors and conversations

    public func visitor(tokenHash: String) async throws -> Visitor? {
        if let visitor = try await reader.select().column("*").from("visitors").where("token_hash", .equal, tokenHash).first().map(Rows.visitor) {
            return visitor
        }
        // Another browser of the visitor's, that opened a link emailed to them.
        return try await reader.raw("""
            SELECT v.* FROM visitor_keys k JOIN visitors v ON v.id = k.visitor_id
            WHERE k.token_hash = \(bind: tokenHash) AND k.expires_at IS NULL
            """).first().map(Rows.visitor)
    }

    public func addVisitorKey(tokenHash: String, visitor: VisitorID, expiresAt: Millis?, now: Millis) async throws {
        try await write { db in
            try await db.raw("DELETE FROM visitor_keys WHERE expires_at IS NOT NULL AND expires_at <= \(bind: now)").run()
            try await db.raw("""
                INSERT INTO visitor_keys (token_hash, visitor_id, expires_at, created_at)
                VALUES (\(bind: tokenHash), \(bind: visitor.rawValue), \(bind: expiresAt), \(bind: now))
                """).run()
            guard expiresAt == nil else { return }
            // The newest browser tokens only (`VisitorKeys.browsersKept`).
            try await db.raw("""
                DELETE FROM visitor_keys WHERE visitor_id = \(bind: visitor.rawValue) AND expires_at IS NULL AND token_hash NOT IN (
                    SELECT token_hash FROM visitor_keys WHERE visitor_id = \(bind: visitor.rawValue) AND expires_at IS NULL
                    ORDER BY created_at DESC, token_hash LIMIT \(unsafeRaw: String(VisitorKeys.browsersKept)))
                """).run()
        }
    }

    public func visitor(linkHash: String, now: Millis) async throws -> Visitor? {
        try await reader.raw("""
            SELECT v.* FROM visitor_keys k JOIN visitors v ON v.id = k.visitor_id
            WHERE k.token_hash = \(bind: linkHash) AND k.expires_at > \(bind: now)
            """).first().map(Rows.visitor)
    }

    public func visitor(id: VisitorID) async throws -> Visitor? {
        try await reader.select().column("*").from("visitors").where("id", .equal, id.rawValue).first().map(Rows.visitor)
    }

    /// Not synced on its own: a page lost in a crash is told again by the next page load.
    public func setPage(_ page: VisitedPage, of visitor: VisitorID) async throws {
        try await write(durable: false) { db in
            try await db.raw("UPDATE visitors SET page_url = \(bind: page.url), page_title = \(bind: page.title) WHERE id = \(bind: visitor.rawValue)").run()
        }
    }

    /// Not synced on its own: the next hello says it again.
    public func setLanguage(_ language: String, of visitor: VisitorID) async throws {
        try await write(durable: false) { db in
            try await db.raw("UPDATE visitors SET language = \(bind: language) WHERE id = \(bind: visitor.rawValue)").run()
        }
    }

    /// Not synced on its own: the next hello says it again.
    public func setWidgetLanguage(_ language: String, of visitor: VisitorID) async throws {
        try await write(durable: false) { db in
            try await db.raw("UPDATE visitors SET widget_language = \(bind: language) WHERE id = \(bind: visitor.rawValue)").run()
        }
    }

    public func markTried(_ conversation: ConversationID, by admin: String) async throws {
        try await write(durable: false) { db in
            try await db.raw("""
                INSERT INTO tried_conversations (conversation_id, admin_email, created_at)
                VALUES (\(bind: conversation.rawValue), \(bind: admin), \(bind: Millis.now()))
                ON CONFLICT (conversation_id) DO NOTHING
                """).run()
        }
    }

    public func visitor(widgetKey: String, externalID: String) async throws -> Visitor? {
        try await reader.select().column("*").from("visitors").where("widget_key", .equal, widgetKey)
            .where("external_id", .equal, externalID).first().map(Rows.visitor)
    }

    public func conversation(id: ConversationID) async throws -> Conversation? {
        try await reader.select().column("*").from("conversations").where("id", .equal, id.rawValue).first().map(Rows.conversation)
    }

    public func latestConversation(of visitor: VisitorID) async throws -> Conversation? {
        try await reader.select().column("*").from("conversations").where("visitor_id", .equal, visitor.rawValue)
            .orderBy("created_at", .descending).orderBy("id", .descending).limit(1).first().map(Rows.conversation)
    }

    public func messages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message] {
        try await reader.select().column("*").from("messages")
            .where("conversation_id", .equal, conversation.rawValue).where("id", .greaterThan, after)
            .orderBy("id").limit(limit).all().map(Rows.message)
    }

    public func latestMessages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message] {
        try await reader.select().column("*").from("messages")
            .where("conversation_id", .equal, conversation.rawValue).where("id", .greaterThan, after)
            .orderBy("id", .descending).limit(limit).all().map(Rows.message).reversed()
    }

    public func message(from visitor: VisitorID, clientID: String) async throws -> Message? {
        try await Self.message(from: visitor, clientID: clientID, on: reader)
    }

    static func message(from visitor: VisitorID, clientID: String, on db: any SQLDatabase) async throws -> Message? {
        try await db.select().column("*").from("messages")
            .where("visitor_id", .equal, visitor.rawValue).where("client_id", .equal, clientID).first().map(Rows.message)
    }

    public func message(externalID: String) async throws -> Message? {
        try await reader.select().column("*").from("messages").where("external_id", .equal, externalID).first().map(Rows.message)
    }

    public func message(id: MessageID) async throws -> Message? {
        try await reader.select().column("*").from("messages").where("id", .equal, id).first().map(Rows.message)
    }

    public func commit(_ change: ChangeSet) async throws -> [Message] {
        switch engine {
        case .sqlite(_, let writes): try await writes.submit(.change(change))
        case .postgres(let connections): try await Self.commit(change, on: connections)
        }
    }
}
