import BatonCore
import Synchronization

/// Finds widgets and their compiled bots, compiling each bot document once. Entries are
/// re-checked against the store after `ttl` so that a change made by another process (the
/// CLI, another instance) is picked up; changes made through `save` apply at once.
public final class BotLibrary: BotDirectory {
    struct Entry {
        var widget: Widget
        var bot: ScriptedBot
        var checkedAt: ContinuousClock.Instant
    }

    public let store: any ChatStore
    let ttl: Duration
    private let cache = Mutex<[String: Entry]>([:])

    public init(store: any ChatStore, ttl: Duration = .seconds(2)) {
        self.store = store
        self.ttl = ttl
    }

    public func widget(forKey key: String) async throws -> (widget: Widget, bot: any ChatBot)? {
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[key] }), now - entry.checkedAt < ttl {
            return (entry.widget, entry.bot)
        }
        guard Widget.isValidKey(key), let widget = try await store.widget(key: key) else {
            cache.withLock { $0[key] = nil }
            return nil
        }
        if let entry = cache.withLock({ $0[key] }), entry.widget == widget {
            cache.withLock { $0[key]?.checkedAt = now }
            return (entry.widget, entry.bot)
        }
        let bot: ScriptedBot
        do {
            // Stored: checked when saved, by the checks of its day (newer ones do not stop it).
            bot = try ScriptedBot(source: widget.botSource, strict: false)
        } catch {
            throw ChatError.unavailable("the bot definition of widget \(key) has errors")
        }
        cache.withLock { $0[key] = Entry(widget: widget, bot: bot, checkedAt: now) }
        return (widget, bot)
    }

    public func cachedWidget(forKey key: String) -> Widget? {
        cache.withLock { $0[key]?.widget }
    }

    /// Checks the bot document, then stores the widget and uses it at once. With
    /// `basis`, only if the stored widget is still of that `updatedAt` (nil when it was
    /// saved since, and nothing is stored).
    @discardableResult
    public func save(_ widget: Widget, ifUpdatedAt basis: Millis? = nil) async throws -> ScriptedBot? {
        let bot = try ScriptedBot(source: widget.botSource)
        if let basis {
            guard try await store.saveWidget(widget, ifUpdatedAt: basis) else { return nil }
        } else {
            try await store.saveWidget(widget)
        }
        cache.withLock { $0[widget.key] = Entry(widget: widget, bot: bot, checkedAt: .now) }
        return bot
    }

    /// Checks the bot document, then stores a new widget and uses it at once; nil when its
    /// key is taken (nothing stored).
    public func create(_ widget: Widget) async throws -> ScriptedBot? {
        let bot = try ScriptedBot(source: widget.botSource)
        guard try await store.createWidget(widget) else { return nil }
        cache.withLock { $0[widget.key] = Entry(widget: widget, bot: bot, checkedAt: .now) }
        return bot
    }

    public func delete(key: String) async throws {
        try await store.deleteWidget(key: key)
        cache.withLock { $0[key] = nil }
    }
}
