import BatonCore
import CoreMetrics
import Synchronization

/// What one client address may take of the widget's socket: how many sockets it holds at
/// once, and how many new visitors (each a stored visitor, conversation and greeting) it
/// starts a minute. A script that opens sockets or starts chats in a loop would otherwise
/// use up the open-file limit or fill the database; people behind one address (an office,
/// a mobile carrier) stay far below both. The address is the TCP peer's, or behind a
/// trusted proxy the one it forwarded (`TrustedProxies`); where it cannot be told (behind
/// a proxy not named in `--trusted-proxies`), there is no limit (`WidgetRequest.client`).
final class ClientLimits: Sendable {
    private struct State {
        var sockets: [String: Int] = [:]
        var newVisitors: [String: TokenBucket] = [:]
        var visitorMessages: [String: TokenBucket] = [:]
    }

    /// Sockets one address may hold at once; 0 for no limit.
    let socketsPerClient: Int
    /// New visitors one address may start a minute (and at once); 0 for no limit.
    let newVisitorsPerMinute: Int
    private let state = Mutex(State())
    /// Refusals, counted at `/metrics` (`baton_widget_refusals_total`) rather than logged
    /// one by one: a script in a loop would fill the log.
    private let refusedSockets: Counter
    private let refusedVisitors: Counter

    init(socketsPerClient: Int, newVisitorsPerMinute: Int, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.socketsPerClient = socketsPerClient
        self.newVisitorsPerMinute = newVisitorsPerMinute
        refusedSockets = Counter(label: "baton_widget_refusals_total", dimensions: [("reason", "sockets_per_client")], factory: metrics)
        refusedVisitors = Counter(label: "baton_widget_refusals_total", dimensions: [("reason", "new_visitors_per_minute")], factory: metrics)
    }

    /// Counts a socket of `client`'s in, unless it holds as many as it may. An unknown
    /// client (`WidgetRequest.client`) is not counted.
    func admitSocket(_ client: String?) -> Bool {
        guard socketsPerClient > 0, let client = client.map(AddressRange.client) else { return true }
        return state.withLock { state in
            let held = state.sockets[client, default: 0]
            guard held < socketsPerClient else {
                refusedSockets.increment()
                return false
            }
            state.sockets[client] = held + 1
            return true
        }
    }

    func releaseSocket(_ client: String?) {
        guard socketsPerClient > 0, let client = client.map(AddressRange.client) else { return }
        state.withLock { state in
            let held = state.sockets[client, default: 0]
            state.sockets[client] = held > 1 ? held - 1 : nil
        }
    }

    /// Takes one of `client`'s new visitors: nil when it may start one, else how long
    /// until it may.
    func admitNewVisitor(_ client: String?, now: ContinuousClock.Instant = .now) -> Duration? {
        let perMinute = newVisitorsPerMinute
        guard perMinute > 0, let client = client.map(AddressRange.client) else { return nil }
        return state.withLock { state in
            // Forget addresses whose bucket has long been full again: the table stays small.
            if state.newVisitors.count > 10_000 {
                let refill = Duration.seconds(60)
                state.newVisitors = state.newVisitors.filter { $0.value.lastUse > now - refill }
            }
            var bucket = state.newVisitors[client] ?? TokenBucket(rate: Double(perMinute) / 60, burst: perMinute, now: now)
            let wait = bucket.take(now: now)
            state.newVisitors[client] = bucket
            if wait != nil { refusedVisitors.increment() }
            return wait
        }
    }

    /// Takes one of a visitor's messages, on any of their connections, at `rate` a second
    /// (and `burst` at once): nil when it may be stored, else how long until one may.
    func admitMessage(from visitor: String, rate: Double, burst: Int, at arrival: ContinuousClock.Instant) -> Duration? {
        state.withLock { state in
            // Forget visitors whose bucket is full again: the table stays small.
            if state.visitorMessages.count > 10_000 {
                let refill = Duration.seconds(Double(burst) / max(rate, 0.001))
                state.visitorMessages = state.visitorMessages.filter { $0.value.lastUse > arrival - refill }
            }
            var bucket = state.visitorMessages[visitor] ?? TokenBucket(rate: rate, burst: burst, now: arrival)
            let wait = bucket.take(now: arrival)
            state.visitorMessages[visitor] = bucket
            return wait
        }
    }

    /// Sockets held now (for tests).
    func sockets(of client: String) -> Int { state.withLock { $0.sockets[AddressRange.client(client), default: 0] } }
}
