import ServiceLifecycle
import Synchronization

/// Closes widget connections that do not say hello in time.
///
/// One task keeps every connection's deadline, instead of a timer task per connection:
/// an open socket then costs no task beyond its read loop and writer. Deadlines are
/// checked every quarter of the timeout (at most every second), so a connection is closed
/// between one and one and a quarter timeouts after it opened.
final class HelloDeadlines: Service, Sendable {
    struct Ticket: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    let timeout: Duration
    private let tick: Duration
    private let entries = Mutex<[UInt64: Entry]>([:])
    private let lastID = Atomic<UInt64>(0)

    init(timeout: Duration) {
        self.timeout = timeout
        tick = min(timeout / 4, .seconds(1))
    }

    /// Starts a connection's deadline; `expire` is called once if it passes first.
    func start(expire: @escaping @Sendable () -> Void) -> Ticket {
        let id = lastID.add(1, ordering: .relaxed).newValue
        let entry = Entry(deadline: .now + timeout, expire: expire)
        entries.withLock { $0[id] = entry }
        return Ticket(id: id)
    }

    /// Ends a deadline (hello received, or the connection closed). Returns false when it
    /// had already expired.
    @discardableResult
    func end(_ ticket: Ticket) -> Bool {
        entries.withLock { $0.removeValue(forKey: ticket.id) } != nil
    }

    /// Connections still waiting for their hello.
    var pending: Int { entries.withLock { $0.count } }

    /// Expires the deadlines passed at `now`.
    func sweep(now: ContinuousClock.Instant = .now) {
        let expired = entries.withLock { entries -> [Entry] in
            let passed = entries.filter { $0.value.deadline <= now }
            for id in passed.keys { entries.removeValue(forKey: id) }
            return Array(passed.values)
        }
        for entry in expired { entry.expire() }
    }

    func run() async throws {
        // Ends with the server: connections still open then are closed by the shutdown.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.tick)
                self.sweep()
            }
        }
    }
}
