import BatonCore
import Foundation
import Logging
import PostgresNIO
import SQLKit
import Synchronization

/// What several Baton processes on one PostgreSQL database tell each other: every
/// committed conversation step and every typing signal goes out on the channel
/// `baton_changes` (`NOTIFY`, right after the step's transaction committed, so a
/// visitor's steps are told in their order); each process listens on a connection of its
/// own and skips what it sent itself.
///
/// A notification is its own one-statement transaction that does not wait for the disk
/// (`synchronous_commit` off for it alone): PostgreSQL lets one transaction that notifies
/// commit at a time, so the lock must not be held through a disk sync. Notifications are
/// not kept anyway: one lost in a crash is like one sent while a listener reconnected.
final class PostgresShared: SharedChanges {
    static let channel = "baton_changes"
    let connections: PostgresConnections

    init(connections: PostgresConnections) { self.connections = connections }

    /// A notification as sent: who sent it and what.
    struct Wire: Codable {
        let from: String
        let change: SharedChange
    }

    static func notify(_ change: SharedChange, from instance: String, on db: any SQLDatabase) async throws {
        let payload = String(decoding: try JSONEncoder().encode(Wire(from: instance, change: change)), as: UTF8.self)
        try await db.raw("""
            SELECT set_config('synchronous_commit', 'off', true), pg_notify(\(bind: channel), \(bind: payload))
            """).run()
    }

    /// Tells the other processes; a failure is logged, not thrown (what it tells of is
    /// committed already).
    func announce(_ change: SharedChange) async {
        await Self.announce(change, on: connections)
    }

    static func announce(_ change: SharedChange, on connections: PostgresConnections) async {
        do {
            try await notify(change, from: connections.instanceID, on: connections.database)
        } catch {
            connections.logger.warning("Telling the other Batons failed: a visitor on one of them sees this change after a reload",
                                       metadata: ["error": "\(PostgresConnections.describe(error))"])
        }
    }

    func listen(_ handle: @Sendable (SharedChange) async -> Void) async throws {
        let me = connections.instanceID
        let logger = connections.logger
        try await connections.client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await notification in notifications {
                    guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(notification.payload.utf8)) else {
                        logger.warning("An unreadable notification on \(Self.channel) was ignored")
                        continue
                    }
                    if wire.from != me { await handle(wire.change) }
                }
            }
        }
    }
}

/// The lead among processes on one PostgreSQL database: an advisory lock held on a
/// connection of its own. It passes to another process when the holder stops or loses
/// its connection (the server then releases the lock).
final class PostgresLeadership: Leadership {
    let connections: PostgresConnections
    let key: Int64
    private let held = Atomic<Bool>(false)
    private let trying = Mutex<Bool>(false)

    /// How long a new holder waits before it leads.
    static let grace: Duration = .seconds(2)

    init(connections: PostgresConnections, key: Int64) {
        self.connections = connections
        self.key = key
    }

    func isLeading() async -> Bool {
        if held.load(ordering: .acquiring) { return true }
        // One attempt at a time.
        guard trying.withLock({ trying in defer { trying = true }; return !trying }) else { return false }
        defer { trying.withLock { $0 = false } }
        let got = (try? await connections.holdLock(key, onLoss: { self.held.store(false, ordering: .releasing) })) ?? false
        if got {
            // A holder whose connection the server dropped learns it at its next check
            // (at most 2 s): until then it may still think it leads.
            try? await Task.sleep(for: Self.grace)
            held.store(true, ordering: .releasing)
            connections.logger.info("This process now runs the agent side (Mattermost) for the database")
        }
        return got
    }
}

extension SQLStore {
    /// What other processes on the same database commit (PostgreSQL); nil on SQLite,
    /// which one process has to itself.
    public var sharedChanges: (any SharedChanges)? {
        guard case .postgres(let connections) = engine else { return nil }
        return PostgresShared(connections: connections)
    }

    /// Who runs the agent side among processes on the same database (PostgreSQL); nil on
    /// SQLite, where it is always this process.
    public func agentSideLeadership() -> (any Leadership)? {
        guard case .postgres(let connections) = engine else { return nil }
        return PostgresLeadership(connections: connections, key: AdvisoryLock.agentSide)
    }
}
