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

/// The durable `ChatStore` on SQL. Queries are written with SQLKit so they run on SQLite
/// and PostgreSQL alike; what differs is in `SQLFlavor`. All writes go through group
/// commit: one transaction, one sync for everything written at the same moment.
///
/// It is a `Service`: run it in the application's service group after the HTTP server,
/// so that on shutdown it closes (and checkpoints) only once nothing writes any more.
public final class SQLStore: ChatStore, Service {
    let connections: SQLiteConnections
    let flavor: SQLFlavor = .sqlite
    let logger: Logger
    private let writes: GroupCommit<WriteOp, [Message]>

    enum WriteOp: Sendable {
        case change(ChangeSet)
        case saveWidget(Widget)
        case deleteWidget(String)
    }

    private init(connections: SQLiteConnections, logger: Logger) {
        self.connections = connections
        self.logger = logger
        let writer = connections.writer.sql()
        writes = GroupCommit { ops in await Self.apply(ops, on: writer, logger: logger) }
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    public static func open(_ location: DatabaseLocation, durable: Bool = true, logger: Logger) async throws -> SQLStore {
        switch location {
        case .sqlite(let path):
            let connections = try await SQLiteConnections.open(path: path, synchronous: durable ? .full : .normal, logger: logger)
            do {
                let applied = try await Migrations.run(on: connections.writer.sql(), flavor: .sqlite)
                if !applied.isEmpty { logger.info("Database schema migrated", metadata: ["versions": "\(applied)", "database": "\(location)"]) }
            } catch {
                await connections.close()
                throw error
            }
            return SQLStore(connections: connections, logger: logger)
        }
    }

    public func run() async throws {
        // Nothing to do while running; close after everything before us has stopped.
        try? await gracefulShutdown()
        await close()
    }

    public func close() async { await connections.close() }

    var reader: any SQLDatabase { connections.reader }

    // MARK: Widgets

    public func widget(key: String) async throws -> Widget? {
        try await reader.select().column("*").from("widgets").where("key", .equal, key).first().map(Rows.widget)
    }

    public func widgets() async throws -> [Widget] {
        try await reader.select().column("*").from("widgets").orderBy("created_at").all().map(Rows.widget)
    }

    public func saveWidget(_ widget: Widget) async throws { _ = try await writes.submit(.saveWidget(widget)) }
    public func deleteWidget(key: String) async throws { _ = try await writes.submit(.deleteWidget(key)) }

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

    public func commit(_ change: ChangeSet) async throws -> [Message] {
        try await writes.submit(.change(change))
    }

    // MARK: Writing

    /// Applies a batch in one transaction. If any operation fails, the transaction is
    /// rolled back and the batch is applied again with a savepoint around each operation,
    /// so one failure (a duplicate client id) fails only its own operation.
    static func apply(_ ops: [WriteOp], on db: any SQLDatabase, logger: Logger) async -> [Result<[Message], any Error>] {
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            var results: [Result<[Message], any Error>] = []
            for op in ops { results.append(.success(try await apply(op, on: db))) }
            try await db.raw("COMMIT").run()
            return results
        } catch {
            try? await db.raw("ROLLBACK").run()
            if ops.count == 1 { return [.failure(await domainError(error, op: ops[0], on: db))] }
        }
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            var results: [Result<[Message], any Error>] = []
            for op in ops {
                try await db.raw("SAVEPOINT op").run()
                do {
                    results.append(.success(try await apply(op, on: db)))
                    try await db.raw("RELEASE op").run()
                } catch {
                    try await db.raw("ROLLBACK TO op").run()
                    try await db.raw("RELEASE op").run()
                    results.append(.failure(await domainError(error, op: op, on: db)))
                }
            }
            try await db.raw("COMMIT").run()
            return results
        } catch {
            try? await db.raw("ROLLBACK").run()
            logger.error("Database write failed", metadata: ["error": "\(error)"])
            return ops.map { _ in .failure(StoreError.failure("\(error)")) }
        }
    }

    /// Turns a unique-constraint failure on a client id into `duplicateClientMessage`.
    static func domainError(_ error: any Error, op: WriteOp, on db: any SQLDatabase) async -> any Error {
        guard case .change(let change) = op, let sqlite = error as? SQLiteError, sqlite.message.contains("client_id") else {
            return StoreError.failure("\(error)")
        }
        for message in change.messages where message.role == .visitor {
            if let clientID = message.clientID,
               let earlier = try? await Self.message(from: change.conversation.visitorID, clientID: clientID, on: db) {
                return StoreError.duplicateClientMessage(existing: earlier.id)
            }
        }
        return StoreError.failure("\(error)")
    }

    static func apply(_ op: WriteOp, on db: any SQLDatabase) async throws -> [Message] {
        switch op {
        case .saveWidget(let widget):
            try await db.insert(into: "widgets")
                .columns("key", "name", "bot_source", "settings", "created_at", "updated_at")
                .values(widget.key, widget.name, widget.botSource, try Rows.json(widget.settings), widget.createdAt, widget.updatedAt)
                .onConflict(with: "key") { $0.set(excludedValueOf: "name").set(excludedValueOf: "bot_source")
                    .set(excludedValueOf: "settings").set(excludedValueOf: "updated_at") }
                .run()
            return []
        case .deleteWidget(let key):
            try await db.delete(from: "widgets").where("key", .equal, key).run()
            return []
        case .change(let change):
            return try await apply(change, on: db)
        }
    }

    static func apply(_ change: ChangeSet, on db: any SQLDatabase) async throws -> [Message] {
        if let visitor = change.visitor {
            try await db.insert(into: "visitors")
                .columns("id", "widget_key", "token_hash", "name", "email", "created_at", "last_seen_at")
                .values(visitor.id.rawValue, visitor.widgetKey, visitor.tokenHash, visitor.name, visitor.email,
                        visitor.createdAt, visitor.lastSeenAt)
                .onConflict(with: "id") { $0.set(excludedValueOf: "name").set(excludedValueOf: "email").set(excludedValueOf: "last_seen_at") }
                .run()
        }
        let c = change.conversation
        try await db.insert(into: "conversations")
            .columns("id", "widget_key", "visitor_id", "state", "progress", "variables", "created_at", "updated_at", "closed_at")
            .values(c.id.rawValue, c.widgetKey, c.visitorID.rawValue, c.state.rawValue, try Rows.json(c.progress),
                    try Rows.json(c.variables), c.createdAt, c.updatedAt, c.closedAt)
            .onConflict(with: "id") { $0.set(excludedValueOf: "state").set(excludedValueOf: "progress")
                .set(excludedValueOf: "variables").set(excludedValueOf: "updated_at").set(excludedValueOf: "closed_at") }
            .run()
        var stored: [Message] = []
        stored.reserveCapacity(change.messages.count)
        for message in change.messages {
            let row = try await db.insert(into: "messages")
                .columns("conversation_id", "visitor_id", "role", "author_name", "text", "buttons", "client_id", "created_at")
                .values(c.id.rawValue, message.role == .visitor ? c.visitorID.rawValue : nil, message.role.rawValue,
                        message.authorName, message.text, message.buttons.isEmpty ? nil : try Rows.json(message.buttons),
                        message.clientID, message.createdAt)
                .returning("id").first()
            guard let id = try row?.decode(column: "id", as: Int64.self) else { throw StoreError.failure("no id returned for a new message") }
            stored.append(message.stored(id: id, in: c.id))
        }
        return stored
    }
}
