import BatonCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The agent side for every widget connected to Mattermost. A `Service`: it runs one
/// `MattermostLink` per connection, and notices within `pollInterval` when a connection
/// is added, changed or removed in the database (by the dashboard or by
/// `baton mattermost connect` in another process), without a restart.
///
/// With `leadership` (several Batons on one PostgreSQL database) only the process that
/// leads runs the links; the others check at every poll and take over when it goes.
public final class MattermostDesk: AgentDesk, Service {
    let store: any AgentStore & ChatStore
    public let connections: MattermostConnections
    let logger: Logger
    let pollInterval: Duration
    let limits: LinkLimits
    let leadership: (any Leadership)?
    let metrics: LinkMetrics
    /// Whether this process runs the links (always, without `leadership`).
    private let leading = Atomic<Bool>(false)
    private let chat = Mutex<ChatService?>(nil)
    private let reloadSignal = WakeSignal()
    private let proxies: MattermostProxyRules

    private struct State {
        var links: [String: (link: MattermostLink, updatedAt: Millis)] = [:]
        /// Widgets with a stored connection, running or about to.
        var configured: Set<String> = []
        /// Connections that could not start (their credentials do not decrypt, say), by
        /// the version that failed: tried again, and said again, only once it changes.
        var failed: [String: Millis] = [:]
    }

    private let state = Mutex(State())

    /// `proxies`: which HTTP proxy each Mattermost is reached through.
    public init(store: any AgentStore & ChatStore, box: CredentialBox, logger: Logger, pollInterval: Duration = .seconds(2),
                limits: LinkLimits = LinkLimits(), proxies: MattermostProxyRules = .direct, leadership: (any Leadership)? = nil,
                metrics: LinkMetrics = .none) {
        self.limits = limits
        self.proxies = proxies
        self.metrics = metrics
        self.leadership = leadership
        self.store = store
        connections = MattermostConnections(store: store, box: box)
        self.logger = logger
        self.pollInterval = pollInterval
        leadership?.whenLost { [reloadSignal] in reloadSignal.signal() }
    }

    /// The chat service that agent events go to (it is built with this desk, so it is
    /// attached after both exist).
    public func attach(_ chat: ChatService) { self.chat.withLock { $0 = chat } }

    /// Reads which widgets are connected, so `isConnected` is right before the first request.
    public func loadConfigured() async throws {
        let widgets = Set(try await store.integrations(kind: MattermostSettings.kind).map(\.widgetKey))
        state.withLock { $0.configured = widgets }
    }

    /// Applies connection changes now instead of at the next poll.
    public func reload() { reloadSignal.signal() }

    // MARK: AgentDesk

    public func isConnected(widgetKey: String) async -> Bool {
        state.withLock { $0.configured.contains(widgetKey) }
    }

    public func tasksAdded(widgetKey: String, conversation: ConversationID) {
        state.withLock { $0.links[widgetKey]?.link }?.tasksAdded(conversation)
    }

    public func visitorTyping(in conversation: Conversation, active: Bool) async {
        guard active, let link = state.withLock({ $0.links[conversation.widgetKey]?.link }) else { return }
        await link.visitorTyping(in: conversation)
    }

    /// Whether this process runs the Mattermost links (with several Batons on one
    /// database, one does).
    public var isLeading: Bool { leading.load(ordering: .relaxed) }

    /// The live status of a widget's connection, if it runs in this process.
    public func status(widgetKey: String) -> LinkStatus? {
        state.withLock { $0.links[widgetKey]?.link }?.status.withLock { $0 }
    }

    /// The settings of a widget's connection as its running link has them (a saved change
    /// applies when the link is started again).
    public func runningSettings(widgetKey: String) -> MattermostSettings? {
        state.withLock { $0.links[widgetKey]?.link }?.settings
    }

    /// A widget's running link (tests).
    func link(widgetKey: String) -> MattermostLink? {
        state.withLock { $0.links[widgetKey]?.link }
    }

    // MARK: Service

    public func run() async throws {
        guard let chat = chat.withLock({ $0 }) else {
            logger.error("The Mattermost desk runs without a chat service; agent replies cannot be delivered")
            return
        }
        // Discarding: a stopped link's task is freed at once, not when the desk stops.
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    await reconcile(chat: chat, group: &group)
                    await reloadSignal.wait(timeout: pollInterval)
                }
            } onGracefulShutdown: {
                self.reloadSignal.signal()
            }
            let links = state.withLock { state in
                defer { state.links = [:] }
                return state.links.values.map(\.link)
            }
            for link in links { link.stop() }
        }
    }

    /// Starts links for new connections, restarts changed ones, stops removed ones.
    private func reconcile(chat: ChatService, group: inout DiscardingTaskGroup) async {
        let integrations: [Integration]
        do {
            integrations = try await store.integrations(kind: MattermostSettings.kind)
        } catch {
            logger.error("Reading Mattermost connections failed", metadata: ["error": "\(error)"])
            return
        }
        let leads = await leadership?.isLeading() ?? true
        if leads != leading.exchange(leads, ordering: .relaxed), leadership != nil {
            logger.notice(leads ? "Running the Mattermost links: this Baton leads" : "Another Baton runs the Mattermost links")
        }
        // A process that does not lead runs no link: it only knows which widgets are connected.
        let wanted = leads ? Dictionary(integrations.map { ($0.widgetKey, $0) }, uniquingKeysWith: { a, _ in a }) : [:]
        let (stale, toStart) = state.withLock { state -> ([MattermostLink], [Integration]) in
            state.configured = Set(integrations.map(\.widgetKey))
            var stale: [MattermostLink] = []
            for (key, running) in state.links where wanted[key]?.updatedAt != running.updatedAt {
                stale.append(running.link)
                state.links[key] = nil
            }
            state.failed = state.failed.filter { wanted[$0.key]?.updatedAt == $0.value }
            return (stale, wanted.values.filter { state.links[$0.widgetKey] == nil && state.failed[$0.widgetKey] != $0.updatedAt })
        }
        for link in stale { link.stop() }
        for integration in toStart {
            do {
                let (settings, credentials) = try connections.decode(integration)
                let key = integration.widgetKey
                let link = try MattermostLink(widgetKey: key, settings: settings, credentials: credentials, store: store, chat: chat, logger: logger,
                                              limits: limits, proxies: proxies, metrics: metrics)
                state.withLock { $0.links[key] = (link, integration.updatedAt) }
                group.addTask { await link.run() }
                var metadata: Logger.Metadata = ["bot": "\(key)", "url": "\(settings.url)"]
                if let proxy = link.client.proxy { metadata["proxy"] = "\(proxy)" }
                // Work left from before (a stop, a crash, another Baton that led): said, so
                // that a start after a crash does not look like any other.
                if let waiting = try? await store.taskCount(widgetKey: key), waiting > 0 { metadata["outbox"] = "\(waiting)" }
                logger.info("Mattermost connection started", metadata: metadata)
            } catch {
                state.withLock { $0.failed[integration.widgetKey] = integration.updatedAt }
                logger.error("A Mattermost connection cannot start (tried again when it is changed, or at the next start)",
                             metadata: ["bot": "\(integration.widgetKey)", "error": "\(error)"])
                let status = IntegrationStatus(state: "error", lastError: "\(error)", updatedAt: .now())
                try? await store.saveIntegrationStatus(status, widgetKey: integration.widgetKey, kind: MattermostSettings.kind)
            }
        }
    }
}
