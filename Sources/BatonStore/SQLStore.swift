import BatonCore
import Foundation
import Logging
import SQLKit
import SQLiteKit
import ServiceLifecycle

/// Where the data lives: a SQLite file (the default, `./baton.sqlite`).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)

    /// Reads `baton.sqlite`, `sqlite:baton.sqlite` or `sqlite:///var/lib/baton.sqlite`.
    public init(parsing text: String) throws(StoreOpenError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            throw StoreOpenError.invalidLocation("\(text.prefix(11))… (PostgreSQL is not supported by this build yet)")
        }
        var path = text
        if path.hasPrefix("sqlite://") { path.removeFirst("sqlite://".count) } else if path.hasPrefix("sqlite:") { path.removeFirst("sqlite:".count) }
        guard !path.isEmpty, !path.contains("\0") else { throw StoreOpenError.invalidLocation(text) }
        self = .sqlite(path: path)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }
}

/// The durable `ChatStore` on SQLite. Most queries are written with SQLKit; the hot write
/// path (`applyTogether`) runs kept statements through SQLite's C interface on the
/// writer's thread. All writes go through group commit: one transaction, one sync for
/// everything written at the same moment.
///
/// It is a `Service`: run it in the application's service group after the HTTP server,
/// so that on shutdown it closes (and checkpoints) only once nothing writes any more.
public final class SQLStore: ChatStore, Service {
    let connections: SQLiteConnections
    let flavor: SQLFlavor = .sqlite
    let logger: Logger
    private let writes: GroupCommit<WriteOp, [Message]>

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

    private init(connections: SQLiteConnections, durable: Bool, logger: Logger) {
        self.connections = connections
        self.logger = logger
        let botStates = BotStates()
        writes = GroupCommit { ops in
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
            return SQLStore(connections: connections, durable: durable, logger: logger)
        }
    }

    /// Checkpoints the WAL now and then until shutdown, then closes after everything
    /// before it in the service group has stopped.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.checkpointInterval)
                    await self.connections.checkpoint()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await close()
    }

    /// How often the WAL is copied back into the database file.
    static let checkpointInterval: Duration = .milliseconds(250)

    public func close() async { await connections.close() }

    var reader: any SQLDatabase { connections.reader }

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

    public func deleteWidget(key: String) async throws {
        try await write { db in try await db.delete(from: "widgets").where("key", .equal, key).run() }
    }

    /// Runs statements through group commit, in a transaction with other writes.
    /// `durable: false` lets a batch of only such writes commit without a disk sync: for
    /// writes that, lost to a power cut, are simply done again.
    func write(durable: Bool = true, _ statements: @escaping @Sendable (InlineSQLite) async throws -> Void) async throws {
        _ = try await writes.submit(.statements(statements, durable: durable))
    }

    // MARK: Visitors and conversations

    public func visitor(tokenHash: String) async throws -> Visitor? {
        try await reader.select().column("*").from("visitors").where("token_hash", .equal, tokenHash).first().map(Rows.visitor)
    }

    public func visitor(id: VisitorID) async throws -> Visitor? {
        try await reader.select().column("*").from("visitors").where("id", .equal, id.rawValue).first().map(Rows.visitor)
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
        try await writes.submit(.change(change))
    }
}
