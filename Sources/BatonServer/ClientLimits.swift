import BatonCore
import CoreMetrics
import Crypto
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
        var returningHellos: [String: TokenBucket] = [:]
        /// When each table was last pruned.
        var prunedAt: [ObjectIdentifier: ContinuousClock.Instant] = [:]
    }

    /// Past this many buckets a table is pruned (at most once a second) of those full
    /// again; past `bucketsKept` even then, it starts over.
    static let bucketsBeforePruning = 10_000
    static let bucketsKept = 50_000

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
        let wait = take(from: \.newVisitors, key: client, rate: Double(perMinute) / 60, burst: perMinute, at: now)
        if wait != nil { refusedVisitors.increment() }
        return wait
    }

    /// Takes one of a visitor's messages, on any of their connections, at `rate` a second
    /// (and `burst` at once): nil when it may be stored, else how long until one may.
    func admitMessage(from visitor: String, rate: Double, burst: Int, at arrival: ContinuousClock.Instant) -> Duration? {
        take(from: \.visitorMessages, key: visitor, rate: rate, burst: burst, at: arrival)
    }

    /// Takes one of a returning visitor's hellos (`key`: who they are), each of which sends
    /// their chat again (up to 500 messages): a script saying hello in a loop with one
    /// visitor's key slowed everyone down. `burst` at once (tabs opening together), then
    /// `rate` a second; nil when it may, else how long until it may.
    func admitReturningHello(_ key: String, rate: Double = 1, burst: Int = 10, now: ContinuousClock.Instant = .now) -> Duration? {
        // Kept by a digest: the key holds what the hello said (a token, a link), of any
        // length up to the frame's, before anything checked it.
        let digest = Hex.string(SHA256.hash(data: Array(key.utf8)).prefix(16))
        return take(from: \.returningHellos, key: digest, rate: rate, burst: burst, at: now)
    }

    /// A token from the bucket of `key` in `table`, made full when new. Once the table is
    /// large, buckets full again are forgotten (a pass at most once a second); a table
    /// still too large after that starts over, as everyone's buckets are full then.
    private func take(from table: WritableKeyPath<State, [String: TokenBucket]>, key: String, rate: Double, burst: Int,
                      at now: ContinuousClock.Instant) -> Duration? {
        state.withLock { state in
            if state[keyPath: table].count > Self.bucketsBeforePruning, state.prunedAt[ObjectIdentifier(table)].map({ now - $0 >= .seconds(1) }) ?? true {
                state.prunedAt[ObjectIdentifier(table)] = now
                let refill = Duration.seconds(Double(burst) / max(rate, 0.001))
                state[keyPath: table] = state[keyPath: table].filter { $0.value.lastUse > now - refill }
            }
            if state[keyPath: table].count > Self.bucketsKept { state[keyPath: table] = [:] }
            var bucket = state[keyPath: table][key] ?? TokenBucket(rate: rate, burst: burst, now: now)
            let wait = bucket.take(now: now)
            state[keyPath: table][key] = bucket
            return wait
        }
    }

    /// Returning visitors' hello buckets kept now (for tests).
    var returningHelloBuckets: Int { state.withLock { $0.returningHellos.count } }

    /// Sockets held now (for tests).
    func sockets(of client: String) -> Int { state.withLock { $0.sockets[AddressRange.client(client), default: 0] } }
}
