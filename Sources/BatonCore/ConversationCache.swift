import Synchronization

/// The latest conversation of recently active visitors, so that a visitor message does
/// not read it from the store first. Every conversation change goes through
/// `ChatService.apply` or `begin`, under the visitor's lock, and updates the entry there;
/// a miss reads the store. Bounded: when full, it starts again empty.
final class ConversationCache: Sendable {
    private let entries = Mutex<[VisitorID: Conversation]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func latest(of visitor: VisitorID) -> Conversation? {
        entries.withLock { $0[visitor] }
    }

    /// Records a conversation just read as the visitor's latest, or just created.
    func remember(_ conversation: Conversation) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[conversation.visitorID] == nil { entries.removeAll(keepingCapacity: true) }
            entries[conversation.visitorID] = conversation
        }
    }

    /// Records a change to a stored conversation. It replaces the entry only when it is
    /// the same conversation or a later one: a change to an earlier conversation (an
    /// agent closing it late) leaves the latest in place.
    func update(_ conversation: Conversation) {
        entries.withLock { entries in
            guard let cached = entries[conversation.visitorID] else { return }
            if cached.id == conversation.id || Self.isLater(conversation, than: cached) {
                entries[conversation.visitorID] = conversation
            }
        }
    }

    /// Drops a visitor's entry: another process changed the conversation.
    func forget(_ visitor: VisitorID) {
        _ = entries.withLock { $0.removeValue(forKey: visitor) }
    }

    /// The store's order of "latest": creation time, then id.
    static func isLater(_ a: Conversation, than b: Conversation) -> Bool {
        (a.createdAt, a.id.rawValue) > (b.createdAt, b.id.rawValue)
    }
}
