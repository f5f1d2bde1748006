import NIOCore
import Synchronization

/// The sandbox's state, independent of the HTTP server so the server can stop and start
/// again on the same port while everything it knows stays.
final class SandboxCore: Sendable {
    let configuration: MattermostSandbox.Configuration
    let world: Mutex<World>
    let control: Mutex<Control>
    /// Every open connection (HTTP, and event sockets upgraded from it) by its channel, for
    /// `freezeConnections`; and those frozen, which are closed when the server stops.
    let connections = Mutex<(open: [ObjectIdentifier: any Channel], frozen: [any Channel])>(([:], []))

    /// Injected faults and the exchange log: kept apart from `world` because they concern
    /// the transport, not Mattermost. Never locked while `world` is held, nor the reverse.
    struct Control: Sendable {
        struct Failure: Sendable {
            /// What answers instead of Mattermost.
            enum Answer: Sendable {
                /// Mattermost's own JSON error with this status.
                case error(status: Int)
                /// A proxy's HTML error page with this status.
                case proxyPage(status: Int)
                /// A 301 to this address, the request's path appended.
                case redirect(to: String)
            }

            var remaining: Int
            var answer: Answer
            var pathPrefix: String?
        }

        var failures: [Failure] = []
        var rateLimitRemaining = 0
        var rateLimitReset = 0
        var delay: Duration?
        /// Event socket upgrades are refused, as behind a proxy that does not pass them on.
        var refusesUpgrades = false
        /// Set while the server shuts down, so delayed answers stop waiting.
        var stopping = false
        var exchanges: [MattermostSandbox.Exchange] = []
    }

    init(configuration: MattermostSandbox.Configuration) {
        self.configuration = configuration
        world = Mutex(World(configuration: configuration))
        control = Mutex(Control())
    }

    /// Waits out the injected delay, in slices, giving up early when the server stops (a
    /// graceful shutdown waits for requests in flight).
    func waitOutDelay() async {
        guard let delay = control.withLock({ $0.delay }) else { return }
        let deadline = ContinuousClock.now + delay
        while ContinuousClock.now < deadline, !control.withLock({ $0.stopping }) {
            let slice = min(deadline - ContinuousClock.now, .milliseconds(50))
            do { try await Task.sleep(for: slice) } catch { return }
        }
    }

    /// Closes every event socket abruptly (no close handshake), as a crash or a dropped
    /// network would.
    func dropSockets() {
        world.withLock { world in
            for socket in world.sockets.values { socket.drop() }
            for socket in world.frozenSockets { socket.drop() }
            world.frozenSockets = []
        }
        let frozen = connections.withLock { connections in
            defer { connections.frozen = [] }
            return connections.frozen
        }
        for channel in frozen { channel.close(promise: nil) }
    }

    /// A connection is open (`TrackedChildChannel`) until its channel closes.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0.open[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.connections.withLock { $0.open[id] = nil }
        }
    }

    /// Every open connection stops being read, and stays open (`freezeConnections`).
    func freezeConnections() {
        freezeSockets()
        let open = connections.withLock { connections in
            connections.frozen += connections.open.values
            return Array(connections.open.values)
        }
        for channel in open { channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
    }

    /// Every open socket stops being read and written, and stays open (`freezeWebSockets`).
    func freezeSockets() {
        world.withLock { world in
            for socket in world.sockets.values { socket.freeze() }
            world.frozenSockets += world.sockets.values
            world.sockets = [:]
        }
    }
}
