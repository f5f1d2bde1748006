import BatonCore
import PostgresNIO

/// A conversation step on PostgreSQL as one prepared statement (see `SQLStore.commit`):
/// its text is the same for every step, so each connection parses and plans it once, not
/// at every message (under load, parsing and planning the step took about 40 % of the
/// server's CPU). What varies goes in as parameters: the messages as one JSON array
/// (`jsonb_to_recordset`, which keeps their NULLs), the files and the tasks as arrays.
///
/// Two statements: one continues a conversation, only from the state the step was
/// computed from (another process may have moved it since: an agent joined or closed
/// it, a second tab), the other starts one. Their rows: one per stored message (its id),
/// or one with a NULL id when the step stored none; none when the conversation had moved
/// on (a conflict).
enum PostgresStep {
    /// Parameters $1–$9: the conversation; $10–$18 the visitor, written when $10 is true;
    /// $19 the messages (JSON text); $20, $21 their files; $22 the tasks; $23 now; in `Continue`,
    /// $24–$26 the state the step was computed from.
    static let types: [PostgresDataType] = [
        .text, .text, .text, .text, .text, .text, .int8, .int8, .int8,
        .bool, .text, .text, .text, .text, .text, .int8, .int8, .text,
        .text, .int8Array, .textArray, .textArray, .int8,
    ]

    /// Everything after the conversation's own sub-statement `c`.
    static let rest = """
        , v AS (INSERT INTO visitors (id, widget_key, token_hash, name, email, created_at, last_seen_at, external_id)
            SELECT $11, $12, $13, $14, $15, $16, $17, $18 FROM c WHERE $10
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, last_seen_at = excluded.last_seen_at,
                external_id = excluded.external_id),
        m AS (INSERT INTO messages (conversation_id, visitor_id, role, author_name, text, buttons, client_id, external_id, created_at, replaces, files,
                notice, misunderstood, author_id)
            SELECT c.id, x.visitor_id, x.role, x.author_name, x.text, x.buttons, x.client_id, x.external_id, x.created_at, x.replaces, x.files,
                x.notice, x.misunderstood, x.author_id
            FROM c, jsonb_to_recordset($19::JSONB) AS x(n BIGINT, visitor_id TEXT, role TEXT, author_name TEXT, text TEXT, buttons TEXT,
                client_id TEXT, external_id TEXT, created_at BIGINT, replaces BIGINT, files TEXT, notice TEXT, misunderstood INTEGER, author_id TEXT)
            ORDER BY x.n
            RETURNING id),
        f AS (UPDATE files SET message_id = (SELECT r.id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM m) r WHERE r.n = x.n)
            FROM unnest($20::BIGINT[], $21::TEXT[]) AS x(n, file_id)
            WHERE files.id = x.file_id AND files.message_id IS NULL),
        t AS (INSERT INTO agent_tasks (widget_key, conversation_id, task, message_id, attempts, next_attempt_at, created_at)
            SELECT $2, c.id, x.task, (SELECT max(id) FROM m), 0, $23, $23
            FROM c, unnest($22::TEXT[]) WITH ORDINALITY AS x(task, n)
            ORDER BY x.n)
        SELECT m.id FROM c LEFT JOIN m ON true ORDER BY m.id
        """

    /// A step of a conversation that exists: its conditional `UPDATE`.
    struct Continue: PostgresPreparedStatement {
        typealias Row = Int64?
        static let name = "baton_step_continue_v2"
        static let sql = """
            WITH c AS (UPDATE conversations SET state = $4, progress = $5, variables = $6, updated_at = $8, closed_at = $9,
                    handed_over_at = COALESCE(handed_over_at, \(WriteSQL.handedOver("$4", "$8")))
                WHERE id = $1 AND state = $24 AND progress = $25 AND variables = $26
                RETURNING id)
            """ + PostgresStep.rest
        static let bindingDataTypes = PostgresStep.types + [.text, .text, .text]
        let step: Bindings
        let basis: Conversation

        func makeBindings() throws -> PostgresBindings {
            var bindings = step.bindings
            bindings.append(basis.state.rawValue)
            bindings.append(try Rows.json(basis.progress))
            bindings.append(try Rows.json(basis.variables))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64? { try row.decode(Int64?.self) }
    }

    /// The first step of a conversation: its `INSERT` (an upsert: a resend finds it).
    struct Start: PostgresPreparedStatement {
        typealias Row = Int64?
        static let name = "baton_step_start_v2"
        static let sql = """
            WITH c AS (INSERT INTO conversations (id, widget_key, visitor_id, state, progress, variables, created_at, updated_at, closed_at,
                    handed_over_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \(WriteSQL.handedOver("$4", "$8")))
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, progress = excluded.progress, variables = excluded.variables,
                    updated_at = excluded.updated_at, closed_at = excluded.closed_at,
                    handed_over_at = COALESCE(conversations.handed_over_at, \(WriteSQL.handedOver("excluded.state", "excluded.updated_at")))
                RETURNING id)
            """ + PostgresStep.rest
        static let bindingDataTypes = PostgresStep.types
        let step: Bindings

        func makeBindings() throws -> PostgresBindings { step.bindings }
        func decodeRow(_ row: PostgresRow) throws -> Int64? { try row.decode(Int64?.self) }
    }

    /// Parameters $1–$23 of a step.
    struct Bindings: Sendable {
        let bindings: PostgresBindings

        init(_ change: ChangeSet) throws {
            let c = change.conversation
            var b = PostgresBindings(capacity: 26)
            b.append(c.id.rawValue)
            b.append(c.widgetKey)
            b.append(c.visitorID.rawValue)
            b.append(c.state.rawValue)
            b.append(try Rows.json(c.progress))
            b.append(try Rows.json(c.variables))
            b.append(c.createdAt)
            b.append(c.updatedAt)
            b.append(c.closedAt)
            let v = change.visitor
            b.append(v != nil)
            b.append(v?.id.rawValue)
            b.append(v?.widgetKey)
            b.append(v?.tokenHash)
            b.append(v?.name)
            b.append(v?.email)
            b.append(v?.createdAt)
            b.append(v?.lastSeenAt)
            b.append(v?.externalID)
            let buttons = try change.messages.map { $0.buttons.isEmpty ? nil : try Rows.json($0.buttons) }
            let files = try change.messages.map { try Rows.files($0.files) }
            let notices = try change.messages.map { try $0.notice.map(Rows.json) }
            var json = JSONWriter(capacity: 256 * max(1, change.messages.count))
            var fileMessages: [Int64] = [], fileIDs: [String] = []
            json.array(change.messages.enumerated()) { json, item in
                let (index, m) = item
                json.object { json in
                    json.field("n", Int64(index))
                    json.field("visitor_id", m.role == .visitor ? c.visitorID.rawValue : nil)
                    json.field("role", m.role.rawValue)
                    json.field("author_name", m.authorName)
                    json.field("text", m.text)
                    json.field("buttons", buttons[index])
                    json.field("client_id", m.clientID)
                    json.field("external_id", m.externalID)
                    json.field("created_at", m.createdAt)
                    json.field("replaces", m.replaces)
                    json.field("files", files[index])
                    json.field("notice", notices[index])
                    if m.misunderstood { json.field("misunderstood", Int64(1)) }
                    if let id = m.authorID { json.field("author_id", id) }
                }
                // The message makes its files its own (a correction only shows them): the
                // nth message's id is the nth smallest returned, as they went in in order.
                if m.replaces == nil {
                    for file in m.files {
                        fileMessages.append(Int64(index))
                        fileIDs.append(file.id.rawValue)
                    }
                }
            }
            b.append(json.string)
            b.append(fileMessages)
            b.append(fileIDs)
            b.append(try change.tasks.map { $0 == .relay ? Rows.relayJSON : try Rows.json($0) })
            b.append(Millis.now())
            bindings = b
        }
    }
}
