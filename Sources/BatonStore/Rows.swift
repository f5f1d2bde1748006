import BatonCore
import Foundation
import SQLKit

/// Maps rows to domain values and back. JSON columns are TEXT in every dialect.
enum Rows {
    static func widget(_ row: any SQLRow) throws -> Widget {
        Widget(key: try row.decode(column: "key", as: String.self),
               name: try row.decode(column: "name", as: String.self),
               botSource: try row.decode(column: "bot_source", as: String.self),
               settings: try fromJSON(row.decode(column: "settings", as: String.self)),
               createdAt: try row.decode(column: "created_at", as: Int64.self),
               updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }

    static func visitor(_ row: any SQLRow) throws -> Visitor {
        Visitor(id: VisitorID(try row.decode(column: "id", as: String.self)),
                widgetKey: try row.decode(column: "widget_key", as: String.self),
                tokenHash: try row.decode(column: "token_hash", as: String.self),
                name: try row.decode(column: "name", as: String?.self),
                email: try row.decode(column: "email", as: String?.self),
                externalID: try row.decode(column: "external_id", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Int64.self),
                lastSeenAt: try row.decode(column: "last_seen_at", as: Int64.self),
                page: try row.decode(column: "page_url", as: String?.self).map {
                    VisitedPage(stored: $0, title: try row.decode(column: "page_title", as: String?.self) ?? "")
                },
                language: try row.decode(column: "language", as: String?.self),
                widgetLanguage: try row.decode(column: "widget_language", as: String?.self))
    }

    static func conversation(_ row: any SQLRow) throws -> Conversation {
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = ConversationState(rawValue: stateText) else {
            throw StoreError.failure("unknown conversation state \"\(stateText)\"")
        }
        return Conversation(id: ConversationID(try row.decode(column: "id", as: String.self)),
                            widgetKey: try row.decode(column: "widget_key", as: String.self),
                            visitorID: VisitorID(try row.decode(column: "visitor_id", as: String.self)),
                            state: state,
                            progress: try fromJSON(row.decode(column: "progress", as: String.self)),
                            variables: try fromJSON(row.decode(column: "variables", as: String.self)),
                            createdAt: try row.decode(column: "created_at", as: Int64.self),
                            updatedAt: try row.decode(column: "updated_at", as: Int64.self),
                            closedAt: try row.decode(column: "closed_at", as: Int64?.self))
    }

    static func message(_ row: any SQLRow) throws -> Message {
        let roleText = try row.decode(column: "role", as: String.self)
        guard let role = Role(rawValue: roleText) else { throw StoreError.failure("unknown message role \"\(roleText)\"") }
        let buttons = try row.decode(column: "buttons", as: String?.self)
        let files = try row.decode(column: "files", as: String?.self)
        let notice = try row.decode(column: "notice", as: String?.self)
        return Message(id: try row.decode(column: "id", as: Int64.self),
                       conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
                       role: role,
                       authorName: try row.decode(column: "author_name", as: String?.self),
                       authorID: try row.decode(column: "author_id", as: String?.self),
                       text: try row.decode(column: "text", as: String.self),
                       buttons: try buttons.map { try fromJSON($0) } ?? [],
                       clientID: try row.decode(column: "client_id", as: String?.self),
                       externalID: try row.decode(column: "external_id", as: String?.self),
                       replaces: try row.decode(column: "replaces", as: Int64?.self),
                       files: try files.map { try fromJSON($0) } ?? [],
                       notice: try notice.map { try fromJSON($0) },
                       misunderstood: try row.decode(column: "misunderstood", as: Int64?.self) == 1,
                       createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    static func task(_ row: any SQLRow) throws -> AgentTaskRecord {
        let taskJSON = try row.decode(column: "task", as: String.self)
        return AgentTaskRecord(id: try row.decode(column: "id", as: Int64.self),
                        widgetKey: try row.decode(column: "widget_key", as: String.self),
                        conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
                        // Relaying is most of the outbox: its JSON is known without decoding.
                        task: taskJSON == relayJSON ? .relay : try fromJSON(taskJSON),
                        messageID: try row.decode(column: "message_id", as: Int64?.self),
                        attempts: try row.decode(column: "attempts", as: Int.self),
                        nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64.self),
                        lastError: try row.decode(column: "last_error", as: String?.self),
                        createdAt: try row.decode(column: "created_at", as: Int64.self),
                        messageText: row.contains(column: "message_text") ? try row.decode(column: "message_text", as: String?.self) : nil,
                        messageFiles: row.contains(column: "message_files")
                            ? try row.decode(column: "message_files", as: String?.self).map { try fromJSON($0) } ?? [] : [])
    }

    /// A file's record; its content too when the row has `data`.
    static func file(_ row: any SQLRow) throws -> StoredFile {
        StoredFile(attachment: Attachment(id: FileID(try row.decode(column: "id", as: String.self)),
                                          name: try row.decode(column: "name", as: String.self),
                                          contentType: try row.decode(column: "content_type", as: String.self),
                                          size: try row.decode(column: "size", as: Int64.self)),
                   visitorID: VisitorID(try row.decode(column: "visitor_id", as: String.self)),
                   messageID: try row.decode(column: "message_id", as: Int64?.self),
                   mattermostID: try row.decode(column: "mattermost_id", as: String?.self),
                   createdAt: try row.decode(column: "created_at", as: Int64.self))
    }

    /// A message's files as stored with it: NULL when it has none.
    static func files(_ files: [Attachment]) throws -> String? {
        files.isEmpty ? nil : try json(files)
    }

    /// `AgentTask.relay` as JSON.
    static let relayJSON = (try? json(AgentTask.relay)) ?? ""

    static func room(_ row: any SQLRow) throws -> Room {
        Room(conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
             widgetKey: try row.decode(column: "widget_key", as: String.self),
             externalID: try row.decode(column: "external_id", as: String.self),
             threadChannelID: try row.decode(column: "thread_channel_id", as: String?.self),
             name: try row.decode(column: "name", as: String.self),
             link: try row.decode(column: "link", as: String.self),
             announcementID: try row.decode(column: "announcement_id", as: String?.self),
             transcriptUntil: try row.decode(column: "transcript_until", as: Int64?.self),
             cursor: try row.decode(column: "cursor", as: Int64.self),
             joinedAgents: try fromJSON(row.decode(column: "joined_agents", as: String.self)),
             agents: try row.decode(column: "agents", as: String?.self).map { try fromJSON($0) },
             createdAt: try row.decode(column: "created_at", as: Int64.self),
             closedAt: try row.decode(column: "closed_at", as: Int64?.self),
             remindedAt: try row.decode(column: "reminded_at", as: Int64?.self),
             reminderID: try row.decode(column: "reminder_id", as: String?.self),
             internalPrefix: try row.decode(column: "internal_prefix", as: String?.self),
             closeCommand: try row.decode(column: "close_command", as: String?.self))
    }

    static func integration(_ row: any SQLRow) throws -> Integration {
        let secret = try row.decode(column: "secret", as: String.self)
        guard let bytes = Base64URL.decode(secret) else { throw StoreError.failure("an integration secret is not base64") }
        return Integration(widgetKey: try row.decode(column: "widget_key", as: String.self),
                           kind: try row.decode(column: "kind", as: String.self),
                           settings: try row.decode(column: "settings", as: String.self),
                           secret: bytes,
                           createdAt: try row.decode(column: "created_at", as: Int64.self),
                           updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func fromJSON<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
