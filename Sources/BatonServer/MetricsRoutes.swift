import BatonCore
import BatonMattermost
import BatonStore
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// `GET /metrics`: Baton's figures in Prometheus's text format, for the operators'
/// monitoring (docs/configuration.md#metrics). Served only when a token is configured
/// (`BATON_METRICS_TOKEN`), and only to a request that presents it
/// (`Authorization: Bearer TOKEN`): the counts say how busy a support team is.
///
/// The counters (messages, handovers, posts…) are counted where they happen, into
/// `registry`; the gauges (sockets, links, outbox, visitors waiting, the process) are read
/// at each scrape.
final class MetricsRoutes: Sendable {
    let registry: PrometheusCollectorRegistry
    let token: String
    let store: SQLStore
    let desk: MattermostDesk
    let sockets: SocketCount
    let logger: Logger
    /// Widgets whose link gauges were set at the last scrape (a removed connection's are
    /// taken out of the registry).
    private let linkWidgets = Mutex<Set<String>>([])
    /// Widgets whose waiting gauges were set at the last scrape (a deleted bot's go).
    fileprivate let waitingWidgets = Mutex<Set<String>>([])

    init(registry: PrometheusCollectorRegistry, token: String, store: SQLStore, desk: MattermostDesk, sockets: SocketCount, logger: Logger) {
        self.registry = registry
        self.token = token
        self.store = store
        self.desk = desk
        self.sockets = sockets
        self.logger = logger
    }

    func register(on router: Router<BatonRequestContext>) {
        router.get("/metrics") { [self] request, _ in
            guard let presented = request.bearerToken, AdminAuth.equal(TokenHash.sha256(presented), TokenHash.sha256(token)) else {
                var response = Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"],
                                        body: .init(byteBuffer: ByteBuffer(string: "Present the metrics token: Authorization: Bearer TOKEN\n")))
                response.headers[.wwwAuthenticate] = "Bearer realm=\"baton-metrics\""
                return response
            }
            await refreshGauges()
            var bytes: [UInt8] = []
            bytes.reserveCapacity(4096)
            registry.emit(into: &bytes)
            bytes = Self.withCounterHelp(bytes)
            if let process = ProcessFigures.current() { bytes += Array(process.exposition.utf8) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }


    /// Sets the gauges read at scrape time.
    private func refreshGauges() async {
        gauge(.widgetSockets).set(to: Double(sockets.open))
        gauge(.mattermostLeader).set(to: desk.isLeading ? 1 : 0)
        let integrations: [Integration]
        do {
            integrations = try await store.integrations(kind: MattermostSettings.kind)
        } catch {
            logger.warning("Reading Mattermost connections for /metrics failed", metadata: ["error": "\(error)"])
            integrations = []
        }
        var widgets = Set<String>()
        for integration in integrations {
            let key = integration.widgetKey
            widgets.insert(key)
            // Connected here, or (with several Batons) by the one that runs the links.
            var connected = desk.status(widgetKey: key)?.state == .connected
            if !desk.isLeading, let stored = try? await store.integrationStatus(widgetKey: key, kind: MattermostSettings.kind) {
                connected = stored.state == LinkStatus.State.connected.rawValue
            }
            gauge(.mattermostConnected, widget: key).set(to: connected ? 1 : 0)
            if let tasks = try? await store.taskCount(widgetKey: key) {
                gauge(.outboxTasks, widget: key).set(to: Double(tasks))
            }
        }
        retire([.mattermostConnected, .outboxTasks], keeping: widgets, of: linkWidgets)
        await refreshWaiting()
    }

    /// The gauge `kind`, of one widget if given.
    fileprivate func gauge(_ kind: ScrapeGauge, widget: String? = nil) -> Gauge {
        registry.makeGauge(descriptor: kind.descriptor, labels: widget.map { [("widget", $0)] } ?? [])
    }
}

extension MetricsRoutes {
    /// Visitors waiting for an agent, by widget: how many, and how long the one who waited
    /// longest has waited since the handover (0 for a widget with nobody waiting).
    fileprivate func refreshWaiting() async {
        let waiting: [WaitingVisitors]
        let widgets: [Widget]
        do {
            (waiting, widgets) = (try await store.waitingVisitors(), try await store.widgets())
        } catch {
            logger.warning("Reading the visitors waiting for /metrics failed", metadata: ["error": "\(error)"])
            return
        }
        let now = Millis.now()
        let byWidget = Dictionary(waiting.map { ($0.widgetKey, $0) }, uniquingKeysWith: { a, _ in a })
        let keys = Set(widgets.map(\.key)).union(byWidget.keys)
        for key in keys {
            let found = byWidget[key]
            gauge(.visitorsWaiting, widget: key).set(to: Double(found?.count ?? 0))
            let longest = found?.longestSince.map { Double(max(0, now - $0)) / 1000 } ?? 0
            gauge(.longestWait, widget: key).set(to: longest)
        }
        retire([.visitorsWaiting, .longestWait], keeping: keys, of: waitingWidgets)
    }

    /// Takes the per-widget `gauges` of the widgets not in `widgets` (set at the last
    /// scrape, as `known` remembers) out of the registry, and remembers `widgets`.
    fileprivate func retire(_ gauges: [ScrapeGauge], keeping widgets: Set<String>, of known: borrowing Mutex<Set<String>>) {
        let gone = known.withLock { known in
            defer { known = widgets }
            return known.subtracting(widgets)
        }
        for key in gone {
            for gauge in gauges { registry.unregisterGauge(self.gauge(gauge, widget: key)) }
        }
    }
}

extension MetricsRoutes {
    /// The help lines of the counters, which are counted through swift-metrics (whose
    /// counters have no help text), by name.
    static let counterHelp: [String: String] = [
        "baton_messages_total": "Messages stored, by author (an agent's correction is not counted).",
        "baton_conversations_started_total": "Conversations started (a new visitor, or a visitor writing after a close).",
        "baton_handovers_total": "Conversations handed over to the agents.",
        "baton_conversations_closed_total": "Conversations closed.",
        "baton_chat_ratings_total": "Visitors' ratings of chats with the agents, by rating.",
        "baton_relayed_messages_total": "Visitor messages posted into Mattermost rooms.",
        "baton_reply_emails_total": "Emails of agents' replies to visitors who missed them, by result: sent, or failed (tried again later).",
        "baton_mattermost_posts_total": "Posts Baton made in Mattermost.",
        "baton_mattermost_failed_attempts_total": "Mattermost tasks that failed and wait for a retry.",
        "baton_widget_refusals_total": "Widget connections refused by the per-client limits, by reason.",
    ]

    /// The registry's text with a `# HELP` line before each counter's `# TYPE` line.
    static func withCounterHelp(_ bytes: [UInt8]) -> [UInt8] {
        var text = ""
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), line.hasSuffix(" counter"),
               let name = line.dropFirst("# TYPE ".count).split(separator: " ").first, let help = counterHelp[String(name)] {
                text += "# HELP \(name) \(help)\n"
            }
            text += line + "\n"
        }
        return Array(text.dropLast().utf8)
    }
}

/// The gauges set at each scrape (docs/configuration.md, Metrics), with their help lines.
enum ScrapeGauge: String {
    case widgetSockets = "baton_widget_sockets"
    case mattermostLeader = "baton_mattermost_leader"
    case mattermostConnected = "baton_mattermost_connected"
    case outboxTasks = "baton_outbox_tasks"
    case visitorsWaiting = "baton_visitors_waiting"
    case longestWait = "baton_longest_wait_seconds"

    var help: String {
        switch self {
        case .widgetSockets: "Widget sockets open now."
        case .mattermostLeader: "1 if this process runs the Mattermost links (one of several Batons on one database does)."
        case .mattermostConnected: "1 while the widget's Mattermost event stream is connected, else 0."
        case .outboxTasks: "Tasks waiting for Mattermost (posts, rooms to open or close); the same in every Baton on one database."
        case .visitorsWaiting: "Visitors handed over and waiting for an agent now; the same in every Baton on one database."
        case .longestWait: "Seconds the visitor waiting longest has waited since the handover, 0 when nobody waits."
        }
    }

    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: rawValue, unitName: "", helpText: help) }
}

/// Open widget sockets, counted as they open and close.
final class SocketCount: Sendable {
    private let count = Atomic<Int>(0)
    var open: Int { count.load(ordering: .relaxed) }

    /// Runs `body` (a socket's life) with the socket counted.
    func counting(_ body: () async -> Void) async {
        count.add(1, ordering: .relaxed)
        await body()
        count.subtract(1, ordering: .relaxed)
    }
}
