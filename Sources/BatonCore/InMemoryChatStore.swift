import Synchronization

/// A `ChatStore` in memory, with the same semantics as the SQL store (atomic commits,
/// client-id de-duplication). For tests and for trying the domain without a database.
public final class InMemoryChatStore: ChatStore {
    private struct Tables {
        var widgets: [String: Widget] = [:]
        var visitors: [VisitorID: Visitor] = [:]
        var conversations: [ConversationID: Conversation] = [:]
        var messages: [Message] = []
        var nextMessageID: MessageID = 1
    }

    private let tables = Mutex(Tables())

    public init() {}

    public func widget(key: String) async throws -> Widget? { tables.withLock { $0.widgets[key] } }
    public func widgets() async throws -> [Widget] { tables.withLock { $0.widgets.values.sorted { $0.createdAt < $1.createdAt } } }
    public func saveWidget(_ widget: Widget) async throws { tables.withLock { $0.widgets[widget.key] = widget } }
    public func deleteWidget(key: String) async throws { tables.withLock { $0.widgets[key] = nil } }

    public func visitor(tokenHash: String) async throws -> Visitor? {
        tables.withLock { $0.visitors.values.first { $0.tokenHash == tokenHash } }
    }

    public func visitor(id: VisitorID) async throws -> Visitor? { tables.withLock { $0.visitors[id] } }

    public func conversation(id: ConversationID) async throws -> Conversation? { tables.withLock { $0.conversations[id] } }

    public func latestConversation(of visitor: VisitorID) async throws -> Conversation? {
        tables.withLock { tables in
            tables.conversations.values.filter { $0.visitorID == visitor }
                .max { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }
        }
    }

    public func messages(in conversation: ConversationID, after: MessageID, limit: Int) async throws -> [Message] {
        tables.withLock { tables in
            Array(tables.messages.lazy.filter { $0.conversationID == conversation && $0.id > after }.prefix(limit))
        }
    }

    public func message(from visitor: VisitorID, clientID: String) async throws -> Message? {
        tables.withLock { tables in
            tables.messages.first { message in
                message.role == .visitor && message.clientID == clientID
                    && tables.conversations[message.conversationID]?.visitorID == visitor
            }
        }
    }

    public func commit(_ change: ChangeSet) async throws -> [Message] {
        try tables.withLock { tables in
            let visitorID = change.conversation.visitorID
            for message in change.messages where message.role == .visitor {
                if let clientID = message.clientID, let earlier = tables.messages.first(where: {
                    $0.role == .visitor && $0.clientID == clientID && tables.conversations[$0.conversationID]?.visitorID == visitorID
                }) {
                    throw StoreError.duplicateClientMessage(existing: earlier.id)
                }
            }
            if let visitor = change.visitor { tables.visitors[visitor.id] = visitor }
            tables.conversations[change.conversation.id] = change.conversation
            var stored: [Message] = []
            for message in change.messages {
                let saved = message.stored(id: tables.nextMessageID, in: change.conversation.id)
                tables.nextMessageID += 1
                tables.messages.append(saved)
                stored.append(saved)
            }
            return stored
        }
    }
}
