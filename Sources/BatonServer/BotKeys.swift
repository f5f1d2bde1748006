import BatonCore
import BatonStore

/// Which keys a new bot may take: the API's and the command's checks.
enum BotKeys {
    /// Why `key` cannot be a new bot's, or nil when it can.
    static func problem(with key: String, in store: SQLStore) async throws -> String? {
        guard Widget.isValidKey(key) else { return "\"\(key)\" cannot be a bot's key: use 1 to 64 letters, digits, - and _." }
        if try await store.widget(key: key) != nil { return "A bot with the key \"\(key)\" exists already." }
        // Keys differing only in case ("DEMO" beside "demo") would be taken for each other in
        // embed tags and links.
        if let same = try await store.widgets().first(where: { $0.key.lowercased() == key.lowercased() }) {
            return "There is a bot \"\(same.key)\", and keys must differ in more than case."
        }
        // A deleted bot's chats keep its key: a new bot of that key would take them over.
        guard try await store.conversations(ConversationFilter(widgetKey: key, limit: 1)).isEmpty else {
            return "The chats of a deleted bot keep the key \"\(key)\": choose another key."
        }
        return nil
    }
}
