@testable import BatonMattermost
import Synchronization
import Testing

/// Mattermost events queued per room: in order within a room, rooms side by side, and
/// bounded: a room that falls too far behind is told to read what it missed instead.
@Suite struct OrderedQueuesTests {
    private final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }

        /// Waits (at most 5 s) until `count` entries are in.
        func wait(for count: Int) async throws {
            for _ in 0..<500 where all.count < count { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    /// Queues whose keys are handled in a task group, as a link's are (`LinkWork`).
    private static func withQueues(limit: Int = 1000, _ body: (OrderedQueues<Int>) async throws -> Void) async throws {
        let work = LinkWork()
        async let running: Void = withDiscardingTaskGroup { group in
            await work.run(in: &group)
            group.cancelAll()
        }
        do {
            try await body(OrderedQueues(limit: limit, start: work.start))
        } catch {
            work.finish()
            await running
            throw error
        }
        work.finish()
        await running
    }

    private static func name(_ entry: OrderedQueues<Int>.Entry) -> String {
        switch entry {
        case .item(let n): "\(n)"
        case .overflowed: "overflowed"
        }
    }

    @Test func eachKeyInOrderKeysSideBySide() async throws {
        try await Self.withQueues { queues in
            let log = Log()
            let (gate, open) = AsyncStream<Void>.makeStream()
            // Key a waits on its first item; key b goes on meanwhile.
            for n in 0..<5 {
                queues.enqueue(n, key: "a") { entry in
                    if case .item(0) = entry { for await _ in gate { break } }
                    log.add("a" + Self.name(entry))
                }
            }
            for n in 0..<3 { queues.enqueue(n, key: "b") { log.add("b" + Self.name($0)) } }
            try await log.wait(for: 3)
            #expect(log.all == ["b0", "b1", "b2"])
            open.yield()
            try await log.wait(for: 8)
            #expect(log.all == ["b0", "b1", "b2", "a0", "a1", "a2", "a3", "a4"])
            #expect(queues.queuedCount == 0)
        }
    }

    @Test func aKeyTooFarBehindLetsItsItemsGoAndIsTold() async throws {
        try await Self.withQueues(limit: 10) { queues in
            let log = Log()
            let (gate, open) = AsyncStream<Void>.makeStream()
            let handle: @Sendable (OrderedQueues<Int>.Entry) async -> Void = { entry in
                if case .item(0) = entry { for await _ in gate { break } }
                log.add(Self.name(entry))
            }
            for n in 0...10 { queues.enqueue(n, key: "room", handle: handle) }
            #expect(queues.queuedCount == 10)
            // One more than the limit: the queued ten go, and so does all that comes until
            // the handler has been told.
            for n in 11...500 { queues.enqueue(n, key: "room", handle: handle) }
            #expect(queues.queuedCount == 0)
            open.yield()
            try await log.wait(for: 2)
            #expect(log.all == ["0", "overflowed"])
            // Told, the key queues again.
            queues.enqueue(501, key: "room", handle: handle)
            queues.enqueue(502, key: "room", handle: handle)
            try await log.wait(for: 4)
            #expect(log.all == ["0", "overflowed", "501", "502"])
        }
    }

    @Test func aLongLineKeepsItsOrder() async throws {
        try await Self.withQueues(limit: 10_000) { queues in
            let log = Log()
            let (gate, open) = AsyncStream<Void>.makeStream()
            for n in 0..<5_000 {
                queues.enqueue(n, key: "room") { entry in
                    if case .item(0) = entry { for await _ in gate { break } }
                    log.add(Self.name(entry))
                }
            }
            open.yield()
            try await log.wait(for: 5_000)
            #expect(log.all == (0..<5_000).map { "\($0)" })
        }
    }
}
