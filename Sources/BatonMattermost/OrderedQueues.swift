import Synchronization

/// Work items handled in order per key, different keys side by side: a task per key runs
/// while that key has items queued. A key holds at most `limit` items: when one more
/// comes, its queued items are let go, and so are the items that come until the handler
/// is told with `.overflowed` (in their place, in order), so that it can recover them
/// from elsewhere. Memory stays bounded however fast items come.
final class OrderedQueues<Item: Sendable>: Sendable {
    enum Entry: Sendable {
        case item(Item)
        /// Items of this key were let go here.
        case overflowed
    }

    /// One key's queued items (`items[head...]`).
    private struct Line {
        var items: [Item] = []
        var head = 0
        var overflowed = false

        var count: Int { items.count - head }

        mutating func add(_ item: Item, limit: Int) {
            if overflowed { return }
            guard count < limit else {
                (items, head, overflowed) = ([], 0, true)
                return
            }
            items.append(item)
        }

        mutating func next() -> Entry? {
            if overflowed {
                overflowed = false
                return .overflowed
            }
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head >= 64, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return .item(item)
        }
    }

    let limit: Int
    private let lines = Mutex<[String: Line]>([:])
    /// Starts a key's handling: in a task of the owner's group (`LinkWork`), so that it
    /// ends with its owner.
    private let start: @Sendable (@escaping @Sendable () async -> Void) -> Void

    init(limit: Int = 1000, start: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void) {
        self.limit = max(1, limit)
        self.start = start
    }

    func enqueue(_ item: Item, key: String, handle: @escaping @Sendable (Entry) async -> Void) {
        let limit = limit
        let idle = lines.withLock { lines -> Bool in
            guard lines[key] != nil else {
                lines[key] = Line()
                return true
            }
            lines[key]!.add(item, limit: limit)
            return false
        }
        guard idle else { return }
        start {
            var next: Entry? = .item(item)
            while let current = next {
                await handle(current)
                next = self.lines.withLock { lines in
                    guard let entry = lines[key]?.next() else {
                        lines[key] = nil
                        return nil
                    }
                    return entry
                }
            }
        }
    }

    /// Items queued now, over all keys (for tests).
    var queuedCount: Int { lines.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
