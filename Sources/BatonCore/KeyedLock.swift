import Synchronization

/// Runs async work one at a time per key (first come, first served), so that two
/// messages of the same visitor are never processed at once while different visitors
/// proceed in parallel. Unlike an actor, it holds across suspension points.
public final class KeyedLock<Key: Hashable & Sendable>: Sendable {
    private let waiters = Mutex<[Key: [CheckedContinuation<Void, Never>]]>([:])

    public init() {}

    public func withLock<T>(_ key: Key, _ body: () async throws -> T) async rethrows -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    /// How many keys are held right now (for tests and metrics).
    public var heldCount: Int { waiters.withLock { $0.count } }

    /// How many callers wait for `key` (for tests and metrics).
    public func waiterCount(_ key: Key) -> Int { waiters.withLock { $0[key]?.count ?? 0 } }

    private func acquire(_ key: Key) async {
        // Fast path: nobody holds the key, no continuation is allocated.
        if tryAcquire(key) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = waiters.withLock { table -> Bool in
                if table[key] == nil {
                    table[key] = []
                    return true
                }
                table[key]!.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func tryAcquire(_ key: Key) -> Bool {
        waiters.withLock { table in
            guard table[key] == nil else { return false }
            table[key] = []
            return true
        }
    }

    /// Hands the key to the next waiter, or frees it.
    private func release(_ key: Key) {
        let next = waiters.withLock { table -> CheckedContinuation<Void, Never>? in
            guard var queue = table[key], !queue.isEmpty else {
                table[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            table[key] = queue
            return first
        }
        next?.resume()
    }
}
