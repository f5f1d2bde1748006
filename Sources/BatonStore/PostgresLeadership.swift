import BatonCore
import Logging
import PostgresNIO
import SQLKit
import Synchronization

/// How long a lead held through an advisory lock is believed, on both ends.
///
/// PostgreSQL releases a session's lock when the session ends, but it only learns that a
/// session ended when its client says so. A client machine that crashed, a network cut
/// between Baton and the database, or a Baton process frozen (stopped, a paused container
/// or virtual machine) says nothing, and left to the operating system's TCP keepalive the
/// server would keep the session, and the lock, for over two hours: no Baton would run the
/// Mattermost links meanwhile. So the holder's session tells the server to drop it after
/// `serverTimeout` of silence (`idle_session_timeout`, PostgreSQL 14 and newer; and TCP
/// keepalives, which catch a vanished machine or network on every version), and the holder
/// stops counting itself the leader once its lock has not been confirmed for `lease`,
/// shorter than that: by the time the server lets another Baton take the lock, a holder
/// still running has let go.
struct LockLease: Sendable {
    /// How often the holder checks its connection; a check unanswered within this long
    /// counts as a lost connection (one the server dropped may never answer).
    var checkEvery: Duration = .seconds(1)
    /// How long after its last answered check the holder still counts itself the holder.
    var lease: Duration = .seconds(5)
    /// How long the server keeps a silent session, and its lock (nil: the server's own
    /// settings, for tests).
    var serverTimeout: Duration? = .seconds(10)

    /// The statement that sets the session's timeouts; nil when there are none to set.
    /// TCP keepalives: the first probe after half the timeout, then three more a fifth of
    /// it apart (on a TCP connection; a Unix socket has none).
    var sessionSettings: String? {
        guard let timeout = serverTimeout else { return nil }
        let seconds = max(2, Int(timeout.components.seconds))
        return """
            SELECT set_config('tcp_keepalives_idle', '\(seconds / 2)', false),
                   set_config('tcp_keepalives_interval', '\(max(1, seconds / 5))', false),
                   set_config('tcp_keepalives_count', '3', false),
                   CASE WHEN current_setting('server_version_num')::int >= 140000
                        THEN set_config('idle_session_timeout', '\(seconds * 1000)', false) END
            """
    }
}

/// A session-level advisory lock held on a connection of its own, checked every
/// `LockLease.checkEvery` until it is lost or released. The connection is not the pool's:
/// one whose check failed is closed (so that the server lets the lock go if the session is
/// still there), never handed back to the pool with the lock on it.
final class AdvisoryLockHold: Sendable {
    private let confirmedAt: Mutex<ContinuousClock.Instant>
    private let ended = Atomic<Bool>(false)
    private let holder = Mutex<Task<Void, Never>?>(nil)

    fileprivate init() { confirmedAt = Mutex(.now) }

    /// Whether the lock is still held as far as this process knows: not lost, not
    /// released, and confirmed by the server within `lease`.
    func isHeld(within lease: Duration) -> Bool {
        !ended.load(ordering: .acquiring) && ContinuousClock.now - confirmedAt.withLock { $0 } <= lease
    }

    /// Lets the lock go: the connection is closed, which ends the session and its lock.
    func release() {
        ended.store(true, ordering: .releasing)
        holder.withLock { $0 }?.cancel()
    }

    fileprivate func confirm() { confirmedAt.withLock { $0 = .now } }
    fileprivate func end() { ended.store(true, ordering: .releasing) }
    fileprivate func start(_ task: Task<Void, Never>) { holder.withLock { $0 = task } }
}

extension PostgresConnections {
    /// Takes the session-level advisory lock `key` on a connection made for it; nil when
    /// another session holds it. `onLoss` is called once if the lock is lost (its
    /// connection broken, a check unanswered, the lease run out), not when it is released.
    func holdLock(_ key: Int64, lease: LockLease, onLoss: @escaping @Sendable () -> Void) async throws -> AdvisoryLockHold? {
        let id = nextHolder.wrappingAdd(1, ordering: .relaxed).oldValue
        let configuration = try Self.connectionConfiguration(location)
        let logger = logger
        let connection = try await Self.withDeadline(Self.answerWithin) {
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
        let db = connection.sql(queryLogLevel: .trace)
        let got: Bool
        do {
            got = try await Self.withDeadline(Self.answerWithin) {
                if let settings = lease.sessionSettings { try await db.raw(SQLQueryString(settings)).run() }
                return try await db.raw("SELECT pg_try_advisory_lock(\(unsafeRaw: String(key))) AS got").first()?
                    .decode(column: "got", as: Bool.self) ?? false
            }
        } catch {
            try? await connection.close()
            throw error
        }
        guard got else {
            try? await connection.close()
            return nil
        }
        let hold = AdvisoryLockHold()
        let task = Task {
            var lost = false
            while !Task.isCancelled {
                try? await Task.sleep(for: lease.checkEvery)
                if Task.isCancelled { break }
                // A process that was frozen wakes with its lease run out: the server may
                // have given the lock to another meanwhile.
                guard hold.isHeld(within: lease.lease) else {
                    logger.warning("The lead's lock was not confirmed for over \(lease.lease): letting it go")
                    lost = true
                    break
                }
                do {
                    _ = try await Self.withDeadline(lease.checkEvery) { try await db.raw("SELECT 1 AS alive").first() }
                    hold.confirm()
                } catch {
                    logger.warning("Lost the database connection that held a lock", metadata: ["error": "\(Self.describe(error))"])
                    lost = true
                    break
                }
            }
            hold.end()
            if lost { onLoss() }
            try? await connection.close()
            _ = self.lockHolders.withLock { $0.removeValue(forKey: id) }
        }
        hold.start(task)
        lockHolders.withLock { $0[id] = task }
        return hold
    }
}

/// The lead among processes on one PostgreSQL database: an advisory lock held on a
/// connection of its own (`holdLock`). It passes to another process when the holder stops,
/// loses its connection, or goes silent for longer than the lease (`LockLease`).
final class PostgresLeadership: Leadership {
    let connections: PostgresConnections
    let key: Int64
    let lease: LockLease
    private let hold = Mutex<AdvisoryLockHold?>(nil)
    private let trying = Mutex<Bool>(false)
    private let lossActions = Mutex<[@Sendable () -> Void]>([])

    /// How long a new holder waits before it leads: a holder that lost the lock has
    /// noticed by then (its check fails within two `checkEvery`).
    static let grace: Duration = .seconds(2)

    init(connections: PostgresConnections, key: Int64, lease: LockLease) {
        self.connections = connections
        self.key = key
        self.lease = lease
    }

    func whenLost(_ action: @escaping @Sendable () -> Void) {
        lossActions.withLock { $0.append(action) }
    }

    func isLeading() async -> Bool {
        if let held = hold.withLock({ $0 }) {
            if held.isHeld(within: lease.lease) { return true }
            // Lost, or not confirmed within the lease (a check is late: this process was
            // frozen, or starved): let go and start over.
            held.release()
            hold.withLock { if $0 === held { $0 = nil } }
        }
        // One attempt at a time.
        guard trying.withLock({ trying in defer { trying = true }; return !trying }) else { return false }
        defer { trying.withLock { $0 = false } }
        // Another process holds it (the usual answer, every poll of a Baton that does not
        // lead): asked through the pool, rather than by starting a connection (a backend on
        // the server) for a try that cannot succeed.
        if await isHeldElsewhere() { return false }
        let taken: AdvisoryLockHold?
        do {
            taken = try await connections.holdLock(key, lease: lease) { [self] in
                for action in lossActions.withLock({ $0 }) { action() }
            }
        } catch {
            return false
        }
        guard let taken else { return false }
        try? await Task.sleep(for: Self.grace)
        guard taken.isHeld(within: lease.lease) else { return false }
        hold.withLock { $0 = taken }
        connections.logger.info("This process now runs the agent side (Mattermost) for the database")
        return true
    }

    /// Whether a session holds the lock now, as the server's lock table says (a session-
    /// level advisory lock on a bigint: its high half in `classid`, its low half in
    /// `objid`, `objsubid` 1). False when that cannot be read: then the lock is tried.
    private func isHeldElsewhere() async -> Bool {
        let high = key >> 32, low = key & 0xFFFF_FFFF
        let held = try? await connections.database.raw("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = \(unsafeRaw: String(high)) AND objid::bigint = \(unsafeRaw: String(low)) AND objsubid = 1) AS held
            """).first()?.decode(column: "held", as: Bool.self)
        return held == true
    }
}
