import BatonCore
import Synchronization
import Testing

@Suite struct KeyedLockTests {
    final class Counter: Sendable {
        let inside = Mutex<[String: Int]>([:])
        let maxInside = Mutex<[String: Int]>([:])
        func enter(_ key: String) {
            let now = inside.withLock { $0[key, default: 0] += 1; return $0[key]! }
            maxInside.withLock { $0[key] = max($0[key] ?? 0, now) }
        }
        func leave(_ key: String) { inside.withLock { $0[key, default: 0] -= 1 } }
    }

    final class Box: Sendable {
        let values = Mutex<[Int]>([])
    }

    @Test func oneHolderPerKeyAndKeysIndependent() async {
        let lock = KeyedLock<String>()
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                let key = i.isMultiple(of: 2) ? "a" : "b"
                group.addTask {
                    await lock.withLock(key) {
                        counter.enter(key)
                        await Task.yield()
                        counter.leave(key)
                    }
                }
            }
        }
        #expect(counter.maxInside.withLock { $0 } == ["a": 1, "b": 1])
        #expect(lock.heldCount == 0)
    }

    @Test func waitersRunInArrivalOrder() async {
        let lock = KeyedLock<Int>()
        let order = Box()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await lock.withLock(1) { for await _ in gate { break } }
            }
            // Let the first task take the lock, then queue the others one by one.
            while lock.heldCount == 0 { await Task.yield() }
            for i in 0..<5 {
                group.addTask { await lock.withLock(1) { order.values.withLock { $0.append(i) } } }
                while lock.waiterCount(1) < i + 1 { await Task.yield() }
            }
            open.yield()
            open.finish()
        }
        #expect(order.values.withLock { $0 } == [0, 1, 2, 3, 4])
    }
}
