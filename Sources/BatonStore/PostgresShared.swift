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
    /// How often the listening connection is checked (`LISTEN` said again): one that went silent (the network
    /// cut, the server's machine gone) would otherwise wait for notifications for ever,
    /// and this process's widgets would miss what the others tell.
    let checkEvery: Duration

    init(connections: PostgresConnections, checkEvery: Duration = .seconds(5)) {
        self.connections = connections
        self.checkEvery = checkEvery
    }

    /// A silent connection fails its check at most two periods after it went silent.
    var noticesLossWithin: Duration { checkEvery * 2 }

    /// A notification as sent: who sent it and what.
    struct Wire: Codable {
        let from: String
        let change: SharedChange
    }

    /// The notification's text: a `Wire` whose sender comes first, so that a listener
    /// knows its own notifications by their start, without reading them.
    static func payload(_ change: SharedChange, from instance: String) throws -> String {
        ownPrefix(instance) + #""change":"# + String(decoding: try JSONEncoder().encode(change), as: UTF8.self) + "}"
    }

    /// The start of every notification `instance` sends.
    static func ownPrefix(_ instance: String) -> String {
        var sender = JSONWriter(capacity: 64)
        sender.string(instance)
        return #"{"from":"# + sender.string + ","
    }

    /// `NOTIFY` as a prepared statement, in a transaction of its own that does not wait
    /// for the disk.
    struct Notify: PostgresPreparedStatement {
        typealias Row = Bool
        static let name = "baton_notify_v1"
        static let sql = "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)"
        static let bindingDataTypes: [PostgresDataType] = [.text, .text]
        let payload: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(PostgresShared.channel)
            bindings.append(payload)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Bool { true }
    }

    static func notify(_ change: SharedChange, from instance: String, on connections: PostgresConnections) async throws {
        let statement = Notify(payload: try payload(change, from: instance))
        let logger = connections.logger
        try await connections.onConnection { connection in
            for try await _ in try await connection.execute(statement, logger: logger) {}
        }
    }

    /// Tells the other processes; a failure is logged, not thrown (what it tells of is
    /// committed already).
    func announce(_ change: SharedChange) async {
        await Self.announce(change, on: connections)
    }

    static func announce(_ change: SharedChange, on connections: PostgresConnections) async {
        do {
            try await notify(change, from: connections.instanceID, on: connections)
        } catch {
            connections.logger.warning("Telling the other Batons failed: a visitor on one of them sees this change after a reload",
                                       metadata: ["error": "\(PostgresConnections.describe(error))"])
        }
    }

    func listen(_ handle: @Sendable (SharedChange) async -> Void) async throws {
        let mine = Self.ownPrefix(connections.instanceID)
        let logger = connections.logger
        let checkEvery = checkEvery
        try await connections.client.withConnection { connection in
            try await withThrowingTaskGroup(of: Void.self) { checks in
                // A check unanswered within its period closes the connection, which ends
                // the listening below with an error: the caller listens again.
                checks.addTask {
                    while true {
                        try await Task.sleep(for: checkEvery)
                        do {
                            // LISTEN again: nothing for a session that listens already, and
                            // what the server shows of the connection stays its LISTEN.
                            _ = try await PostgresConnections.withDeadline(checkEvery) {
                                try await connection.query(PostgresQuery(unsafeSQL: #"LISTEN "\#(Self.channel)";"#), logger: logger).collect()
                            }
                        } catch {
                            logger.warning("The connection listening to other Batons did not answer a check: closing it",
                                           metadata: ["error": "\(PostgresConnections.describe(error))"])
                            try? await connection.close()
                            throw error
                        }
                    }
                }
                defer { checks.cancelAll() }
                try await connection.listen(on: Self.channel) { notifications in
                    for try await notification in notifications {
                        // This process's own (with one Baton, every one) are not read at all.
                        if notification.payload.hasPrefix(mine) { continue }
                        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(notification.payload.utf8)) else {
                            logger.warning("An unreadable notification on \(Self.channel) was ignored")
                            continue
                        }
                        await handle(wire.change)
                    }
                }
            }
        }
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
        agentSideLeadership(lease: LockLease())
    }

    func agentSideLeadership(lease: LockLease) -> PostgresLeadership? {
        guard case .postgres(let connections) = engine else { return nil }
        return PostgresLeadership(connections: connections, key: AdvisoryLock.agentSide, lease: lease)
    }
}
