import BatonCore
import SQLKit

/// The SQL dialects Baton stores into.
public enum SQLFlavor: Sendable {
    case sqlite
    case postgres

    /// The column type of an auto-incrementing 64-bit primary key.
    var serialPrimaryKey: String {
        switch self {
        case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: "BIGSERIAL PRIMARY KEY"
        }
    }
}

/// One versioned step of the schema. Applied once, in order, in a transaction, and
/// recorded in `schema_migrations`. Never edit a released migration: add a new one.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: @Sendable (SQLFlavor) -> [String]
}

enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, name: "widgets, visitors, conversations, messages") { flavor in
            [
                """
                CREATE TABLE widgets (
                    key TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    bot_source TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE visitors (
                    id TEXT PRIMARY KEY,
                    widget_key TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    name TEXT,
                    email TEXT,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE conversations (
                    id TEXT PRIMARY KEY,
                    widget_key TEXT NOT NULL,
                    visitor_id TEXT NOT NULL REFERENCES visitors(id),
                    state TEXT NOT NULL,
                    progress TEXT NOT NULL,
                    variables TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    closed_at BIGINT
                )
                """,
                "CREATE INDEX conversations_by_visitor ON conversations (visitor_id, created_at)",
                "CREATE INDEX conversations_by_state ON conversations (state, updated_at)",
                """
                CREATE TABLE messages (
                    id \(flavor.serialPrimaryKey),
                    conversation_id TEXT NOT NULL REFERENCES conversations(id),
                    visitor_id TEXT,
                    role TEXT NOT NULL,
                    author_name TEXT,
                    text TEXT NOT NULL,
                    buttons TEXT,
                    client_id TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                // NULLs are distinct in both dialects: only visitor messages carry a client id.
                "CREATE UNIQUE INDEX messages_by_client_id ON messages (visitor_id, client_id)",
                "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
            ]
        },
        Migration(version: 2, name: "agent side: outbox, rooms, integrations") { flavor in
            [
                "ALTER TABLE messages ADD COLUMN external_id TEXT",
                "CREATE UNIQUE INDEX messages_by_external_id ON messages (external_id)",
                """
                CREATE TABLE agent_tasks (
                    id \(flavor.serialPrimaryKey),
                    widget_key TEXT NOT NULL,
                    conversation_id TEXT NOT NULL,
                    task TEXT NOT NULL,
                    message_id BIGINT,
                    attempts INTEGER NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    last_error TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX agent_tasks_by_conversation ON agent_tasks (widget_key, conversation_id, id)",
                """
                CREATE TABLE rooms (
                    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
                    widget_key TEXT NOT NULL,
                    external_id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    link TEXT NOT NULL,
                    announcement_id TEXT,
                    transcript_until BIGINT,
                    cursor BIGINT NOT NULL,
                    joined_agents TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    closed_at BIGINT
                )
                """,
                "CREATE INDEX rooms_by_widget ON rooms (widget_key, closed_at)",
                """
                CREATE TABLE integrations (
                    widget_key TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (widget_key, kind)
                )
                """,
                """
                CREATE TABLE integration_status (
                    widget_key TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    last_event_at BIGINT,
                    last_error TEXT,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (widget_key, kind)
                )
                """,
            ]
        },
        Migration(version: 3, name: "admins and their sessions") { _ in
            [
                """
                CREATE TABLE admins (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE admin_sessions (
                    token_hash TEXT PRIMARY KEY,
                    admin_id TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX conversations_by_widget ON conversations (widget_key, updated_at)",
                "CREATE INDEX conversations_by_update ON conversations (updated_at)",
            ]
        },
        // Only visitor messages carry a client id, and only messages from or to Mattermost
        // an external id; indexing the others' NULLs cost two page writes per stored step.
        // An equality lookup (`client_id = ?`) still uses the partial index.
        Migration(version: 4, name: "client and external ids: index only the messages that have them") { _ in
            [
                "DROP INDEX messages_by_client_id",
                "CREATE UNIQUE INDEX messages_by_client_id ON messages (visitor_id, client_id) WHERE client_id IS NOT NULL",
                "DROP INDEX messages_by_external_id",
                "CREATE UNIQUE INDEX messages_by_external_id ON messages (external_id) WHERE external_id IS NOT NULL",
            ]
        },
        Migration(version: 5, name: "visitors: the website's verified user id") { _ in
            [
                "ALTER TABLE visitors ADD COLUMN external_id TEXT",
                "CREATE UNIQUE INDEX visitors_by_external_id ON visitors (widget_key, external_id) WHERE external_id IS NOT NULL",
            ]
        },
        Migration(version: 6, name: "messages: agents' corrections of earlier messages") { _ in
            ["ALTER TABLE messages ADD COLUMN replaces BIGINT"]
        },
        Migration(version: 7, name: "rooms: a thread in a shared channel instead of a channel of its own") { _ in
            ["ALTER TABLE rooms ADD COLUMN thread_channel_id TEXT"]
        },
        // A file is uploaded before the message that sends it (`message_id` NULL until
        // then); the message keeps what is shown of it (`messages.files`, JSON).
        Migration(version: 8, name: "files sent with messages, both ways") { flavor in
            [
                "ALTER TABLE messages ADD COLUMN files TEXT",
                """
                CREATE TABLE files (
                    id TEXT PRIMARY KEY,
                    visitor_id TEXT NOT NULL REFERENCES visitors(id),
                    message_id BIGINT,
                    name TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    data \(flavor == .sqlite ? "BLOB" : "BYTEA") NOT NULL,
                    mattermost_id TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX files_by_message ON files (message_id) WHERE message_id IS NOT NULL",
                "CREATE INDEX files_unsent_by_visitor ON files (visitor_id) WHERE message_id IS NULL",
                "CREATE INDEX files_unsent_by_time ON files (created_at) WHERE message_id IS NULL",
            ]
        },
        // When the agents were reminded of a visitor nobody joined (`LinkLimits.remindAgentsAfter`).
        Migration(version: 9, name: "rooms: reminders of visitors waiting for an agent") { _ in
            ["ALTER TABLE rooms ADD COLUMN reminded_at BIGINT"]
        },
        // The default agents added to a room, so that agents added to the connection later
        // (even while Baton was stopped) join the rooms open then.
        Migration(version: 10, name: "rooms: the default agents added") { _ in
            ["ALTER TABLE rooms ADD COLUMN agents TEXT"]
        },
        // The page of the website a visitor's widget was last on, for the agents.
        Migration(version: 11, name: "visitors: the page they are on") { _ in
            ["ALTER TABLE visitors ADD COLUMN page_url TEXT", "ALTER TABLE visitors ADD COLUMN page_title TEXT"]
        },
        // When a conversation was handed over, for the dashboard's insights (the write
        // path sets it the first time a step leaves it waiting for or with an agent).
        // Conversations handed over before: their room's opening, else their last update;
        // a closed one counts when the bot had handed it over (a reason, nothing pending).
        Migration(version: 12, name: "conversations: when they were handed over") { _ in
            [
                "ALTER TABLE conversations ADD COLUMN handed_over_at BIGINT",
                """
                UPDATE conversations SET handed_over_at = COALESCE(
                    (SELECT r.created_at FROM rooms r WHERE r.conversation_id = conversations.id), updated_at)
                WHERE state IN ('waiting_for_agent', 'with_agent')
                    OR EXISTS (SELECT 1 FROM rooms r WHERE r.conversation_id = conversations.id)
                    OR (state = 'closed' AND progress LIKE '%"handoverReason":%' AND progress NOT LIKE '%"handoverPending":true%')
                """,
                // The insights read the conversations started in a range, of one bot or all,
                // and each one's agent messages (few of all messages: a small index).
                "CREATE INDEX conversations_by_creation ON conversations (created_at)",
                "CREATE INDEX conversations_by_widget_creation ON conversations (widget_key, created_at)",
                "CREATE INDEX messages_by_agent ON messages (conversation_id, id) WHERE role = 'agent'",
            ]
        },
        // What a system notice means (JSON of `Notice`), for the widget to say it in the
        // visitor's language. Notices stored before keep only their English text.
        Migration(version: 13, name: "messages: the meaning of system notices") { _ in
            ["ALTER TABLE messages ADD COLUMN notice TEXT"]
        },
        // The first language of the visitor's browser, for the agents.
        Migration(version: 14, name: "visitors: their browser's language") { _ in
            ["ALTER TABLE visitors ADD COLUMN language TEXT"]
        },
        // A visitor's message the bot did not understand: 1, else NULL (most messages),
        // and an index of those only, for the insights' list of them.
        Migration(version: 15, name: "messages: what the bot did not understand") { _ in
            ["ALTER TABLE messages ADD COLUMN misunderstood INTEGER",
             "CREATE INDEX messages_misunderstood ON messages (conversation_id) WHERE misunderstood = 1"]
        },
        // Who an agent is on the agent side (a Mattermost user id), for the insights to
        // count agents by it rather than by the name they show.
        Migration(version: 16, name: "messages: the agent's id") { _ in
            ["ALTER TABLE messages ADD COLUMN author_id TEXT"]
        },
        // What the insights count of a conversation the retention period deleted: its
        // numbers, none of its words (SQLStore+Insights.swift, "Swept conversations").
        Migration(version: 17, name: "insights of conversations the retention period deleted") { flavor in
            ["""
             CREATE TABLE swept_conversations (
                 id \(flavor.serialPrimaryKey),
                 widget_key TEXT NOT NULL,
                 created_at BIGINT NOT NULL,
                 handed_over_at BIGINT,
                 unanswered INTEGER NOT NULL,
                 rating TEXT,
                 handover_cause TEXT,
                 first_reply_wait BIGINT,
                 first_reply_agent TEXT,
                 first_reply_agent_id TEXT)
             """,
             "CREATE INDEX swept_conversations_by_creation ON swept_conversations (created_at)",
             "CREATE INDEX swept_conversations_by_widget_creation ON swept_conversations (widget_key, created_at)",
             """
             CREATE TABLE swept_agents (
                 id \(flavor.serialPrimaryKey),
                 widget_key TEXT NOT NULL,
                 created_at BIGINT NOT NULL,
                 agent_name TEXT,
                 agent_id TEXT,
                 messages INTEGER NOT NULL,
                 latest_at BIGINT NOT NULL)
             """,
             "CREATE INDEX swept_agents_by_creation ON swept_agents (created_at)",
             "CREATE INDEX swept_agents_by_widget_creation ON swept_agents (widget_key, created_at)"]
        },
        // `baton_lower(text)`, lower case by Unicode's rules, for searches with letters
        // beyond ASCII. On SQLite each connection has it (SQLiteHandle); PostgreSQL's
        // `lower` follows the database's locale, which may be C: through ICU's root
        // collation where the server has ICU.
        Migration(version: 18, name: "baton_lower: lower case by Unicode's rules") { flavor in
            flavor == .sqlite ? [] : ["""
                DO $$ BEGIN
                    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
                        CREATE OR REPLACE FUNCTION baton_lower(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
                            AS $f$ SELECT lower($1 COLLATE "und-x-icu") $f$;
                    ELSE
                        CREATE OR REPLACE FUNCTION baton_lower(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
                            AS $f$ SELECT lower($1) $f$;
                    END IF;
                END $$
                """]
        },
        // A file's content in a table of its own: SQLite writes a whole row again when one
        // of its columns changes, so sending a file with a message (`message_id`) and
        // uploading it to Mattermost (`mattermost_id`) each wrote its megabytes again, the
        // first in the visitor's durable commit that every other write waited behind.
        Migration(version: 19, name: "files: the content in a table of its own") { flavor in
            [
                """
                CREATE TABLE file_data (
                    file_id TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
                    data \(flavor == .sqlite ? "BLOB" : "BYTEA") NOT NULL
                )
                """,
                "INSERT INTO file_data (file_id, data) SELECT id, data FROM files",
                "ALTER TABLE files DROP COLUMN data",
            ]
        },
        // A file's content in parts, each written by a transaction of its own: one write of
        // a whole 10 MB file held up every other visitor's write (SQLite has one writer)
        // for tens of milliseconds.
        Migration(version: 20, name: "files: the content in parts") { flavor in
            [
                """
                CREATE TABLE file_parts (
                    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                    part INTEGER NOT NULL,
                    data \(flavor == .sqlite ? "BLOB" : "BYTEA") NOT NULL,
                    PRIMARY KEY (file_id, part)
                )
                """,
                "INSERT INTO file_parts (file_id, part, data) SELECT file_id, 0, data FROM file_data",
                "DROP TABLE file_data",
            ]
        },
        // What each handed-over visitor saw of the agents' replies and what was emailed to
        // them (docs/configuration.md, "Email"); a row only once either happened.
        Migration(version: 21, name: "reply mail: the replies a visitor saw or got by email") { _ in
            [
                """
                CREATE TABLE reply_mail (
                    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
                    seen_id BIGINT NOT NULL,
                    mailed_id BIGINT NOT NULL,
                    attempts INTEGER NOT NULL,
                    retry_at BIGINT
                )
                """,
                "CREATE INDEX reply_mail_retries ON reply_mail (retry_at) WHERE retry_at IS NOT NULL",
            ]
        },
        // How the emails of missed replies went lately, whichever Baton sent them: one row.
        Migration(version: 22, name: "mail delivery: the last email sent and the last failure") { _ in
            [
                """
                CREATE TABLE mail_delivery (
                    id INTEGER PRIMARY KEY,
                    last_sent_at BIGINT,
                    last_failure TEXT,
                    last_failure_at BIGINT
                )
                """,
            ]
        },
        // More keys to a visitor than the token of the browser they started in: the code of
        // a link emailed to them (until it expires) and the tokens of the browsers that
        // opened such a link (no expiry). SHA-256s only, as for the visitor's own token.
        // And the language a visitor's widget showed them, for the emails.
        Migration(version: 23, name: "visitor keys: emailed links and the other browsers that opened them; the widget's language") { _ in
            [
                "ALTER TABLE visitors ADD COLUMN widget_language TEXT",
                """
                CREATE TABLE visitor_keys (
                    token_hash TEXT PRIMARY KEY,
                    visitor_id TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
                    expires_at BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX visitor_keys_by_visitor ON visitor_keys (visitor_id)",
                "CREATE INDEX visitor_keys_expiring ON visitor_keys (expires_at) WHERE expires_at IS NOT NULL",
            ]
        },
        // Conversations an admin had in Baton's own pages (the dashboard's live preview),
        // signed in: listed as such, and not counted in the insights.
        Migration(version: 24, name: "conversations tried by admins") { _ in
            [
                """
                CREATE TABLE tried_conversations (
                    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
                    admin_email TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
            ]
        },
        // The reminder's post, marked once the chat is taken or ends (it said "no agent has
        // joined yet" for ever).
        Migration(version: 25, name: "rooms: the post reminding agents of a waiting visitor") { _ in
            ["ALTER TABLE rooms ADD COLUMN reminder_id TEXT"]
        },
        // What the room's transcript told its agents: a changed internal prefix leaked the
        // notes of rooms already open (written with the prefix they were told) to visitors.
        Migration(version: 26, name: "rooms: the internal prefix and close command their agents were told") { _ in
            ["ALTER TABLE rooms ADD COLUMN internal_prefix TEXT", "ALTER TABLE rooms ADD COLUMN close_command TEXT"]
        },
    ]

    /// Brings the schema up to date; returns the versions applied now.
    @discardableResult
    static func run(on db: any SQLDatabase, flavor: SQLFlavor) async throws -> [Int] {
        try await db.raw("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
            """).run()
        let applied = Set(try await db.select().column("version").from("schema_migrations").all()
            .map { try $0.decode(column: "version", as: Int.self) })
        if let newest = applied.max(), newest > (all.last?.version ?? 0) {
            throw StoreOpenError.schemaTooNew(found: newest, known: all.last?.version ?? 0)
        }
        var ran: [Int] = []
        for migration in all where !applied.contains(migration.version) {
            try await db.raw(flavor == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                for statement in migration.statements(flavor) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "schema_migrations").columns("version", "name", "applied_at")
                    .values(migration.version, migration.name, Int64.now()).run()
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw StoreOpenError.migrationFailed(version: migration.version, name: migration.name, reason: "\(error)")
            }
            ran.append(migration.version)
        }
        return ran
    }
}

/// Why a database could not be opened.
public enum StoreOpenError: Error, CustomStringConvertible {
    case invalidLocation(String)
    case cannotOpen(String, reason: String)
    case schemaTooNew(found: Int, known: Int)
    case migrationFailed(version: Int, name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidLocation(let text):
            "\"\(text)\" is not a database location; use a file path, sqlite:PATH or postgres://USER@HOST/DB"
        case .cannotOpen(let location, let reason):
            "cannot open the database \(location): \(reason)"
        case .schemaTooNew(let found, let known):
            "the database has schema version \(found), newer than this Baton knows (\(known)); upgrade Baton"
        case .migrationFailed(let version, let name, let reason):
            "migration \(version) (\(name)) failed and was rolled back: \(reason)"
        }
    }
}
