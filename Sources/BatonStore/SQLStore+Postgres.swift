import BatonCore
import Logging
import PostgresNIO
import SQLKit

/// The write path on PostgreSQL: a conversation step is one statement (its own
/// transaction), so that it costs one round trip to the server: the visitor, the
/// conversation, the messages and the tasks are sub-statements of it (`WITH … INSERT /
/// UPDATE`), and the messages and tasks are written only if the conversation was (its
/// conditional `UPDATE` matched); a prepared statement (`PostgresStep`), planned once per
/// connection. Steps of one visitor never overlap (`ChatService` runs
/// them under the visitor's lock), so a conversation's messages get increasing ids in the
/// order they were written, which is what widgets resume by.
extension SQLStore {
    static func commit(_ change: ChangeSet, on connections: PostgresConnections) async throws -> [Message] {
        do {
            let stored: [Message]
            let step = try PostgresStep.Bindings(change)
            let logger = connections.logger
            if connections.durable {
                stored = try await connections.onConnection { connection in try await write(change, step, on: connection, logger: logger) }
            } else {
                // `SET LOCAL` needs a transaction block.
                stored = try await connections.connectionTransaction(durable: false) { connection in
                    try await write(change, step, on: connection, logger: logger)
                }
            }
            // The other processes hear of it once it is committed, in a statement of its
            // own: a NOTIFY in the step's transaction would hold PostgreSQL's one
            // notification lock through the commit's disk sync, and every step of every
            // process would commit one at a time.
            await PostgresShared.announce(shared(change, stored: stored), on: connections)
            return stored
        } catch StoreError.conflict {
            throw StoreError.conflict
        } catch {
            if let constraint = PostgresConnections.uniqueViolation(error), constraint.contains("client_id") {
                for message in change.messages where message.role == .visitor {
                    if let clientID = message.clientID,
                       let earlier = try? await Self.message(from: change.conversation.visitorID, clientID: clientID, on: connections.database) {
                        throw StoreError.duplicateClientMessage(existing: earlier.id)
                    }
                }
            }
            throw StoreError.failure(PostgresConnections.describe(error))
        }
    }

    /// What the other processes are told of a committed step.
    private static func shared(_ change: ChangeSet, stored: [Message]) -> SharedChange {
        let c = change.conversation
        return .step(visitor: c.visitorID, conversation: c.id, widgetKey: c.widgetKey, firstMessage: stored.first?.id,
                     lastMessage: stored.last?.id, newState: change.basis?.state == c.state ? nil : c.state,
                     started: change.basis == nil, tasks: !change.tasks.isEmpty)
    }

    /// The step as one prepared statement (`PostgresStep`).
    private static func write(_ change: ChangeSet, _ step: PostgresStep.Bindings, on connection: PostgresConnection,
                              logger: Logger) async throws -> [Message] {
        var rows: [Int64?] = []
        if let basis = change.basis {
            for try await id in try await connection.execute(PostgresStep.Continue(step: step, basis: basis), logger: logger) { rows.append(id) }
        } else {
            for try await id in try await connection.execute(PostgresStep.Start(step: step), logger: logger) { rows.append(id) }
        }
        guard !rows.isEmpty else { throw StoreError.conflict }
        let ids = rows.compactMap { $0 }
        guard ids.count == change.messages.count else { throw StoreError.failure("\(ids.count) ids for \(change.messages.count) new messages") }
        let c = change.conversation
        return zip(change.messages, ids).map { message, id in message.stored(id: id, in: c.id) }
    }

    /// Queues a task in the outbox (through SQLKit: PostgreSQL).
    static func insertTask(widgetKey: String, conversation: ConversationID, task: AgentTask, messageID: MessageID?, now: Millis,
                           on db: any SQLDatabase) async throws {
        let json = task == .relay ? Rows.relayJSON : try Rows.json(task)
        try await db.raw("""
            INSERT INTO agent_tasks (widget_key, conversation_id, task, message_id, attempts, next_attempt_at, created_at)
            VALUES (\(bind: widgetKey), \(bind: conversation.rawValue), \(bind: json), \(bind: messageID), 0, \(bind: now), \(bind: now))
            """).run()
    }
}

/// Keys of the PostgreSQL advisory locks Baton takes (one number space per database).
enum AdvisoryLock {
    /// Held while the schema is brought up to date.
    static let migrations: Int64 = 0x6261_746F_6E00_0001
    /// Held by the process that runs the Mattermost links.
    static let agentSide: Int64 = 0x6261_746F_6E00_0002
}
