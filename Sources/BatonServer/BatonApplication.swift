import BatonBot
import BatonCore
import BatonMattermost
import BatonStore
import ConnectionGuard
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import OpenAPIContract
import Prometheus

/// The running parts of Baton that tests and commands reach into.
public struct BatonServices: Sendable {
    public let store: SQLStore
    public let bots: BotLibrary
    public let chat: ChatService
    public let mattermost: MattermostDesk
    public let connections: MattermostConnections
    /// The one-time token for creating the first admin, while none exists.
    public var setupToken: String?
}

/// Builds the Baton application: opens the store (migrating it), seeds the demo widget,
/// and wires the HTTP routes and the widget socket. Running it (`runService()`) serves
/// until SIGINT/SIGTERM, then closes the sockets, then the store.
public func buildApplication(
    _ config: BatonConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> (some ApplicationProtocol, BatonServices) {
    // The key first: one that cannot be read stops Baton before the database is touched.
    let box = try CredentialBox.load(environment: ProcessInfo.processInfo.environment, keyFile: config.resolvedSecretKeyFile)
    let store = try await config.openStore(keyedBy: box, logger: logger)
    let bots = BotLibrary(store: store)
    if config.demo { try await DemoSeed.ensure(bots, logger: logger) }
    let integrations = try await store.integrations(kind: MattermostSettings.kind)
    if box.created, !integrations.isEmpty {
        // A database restored without its key file, most likely: say so once, plainly.
        logger.error("""
            A new key file was made at \(config.resolvedSecretKeyFile), but this database holds Mattermost credentials sealed with \
            another key (restored without its key file?). Put that key file there (or set BATON_SECRET_KEY) and restart, or \
            connect Mattermost again in the dashboard.
            """)
    } else if case let unreadable = box.unreadable(integrations), !unreadable.isEmpty {
        // Another key than the one they were saved with (on PostgreSQL, most likely this
        // Baton's BATON_SECRET_KEY differs from the others'): said at start, not only when
        // this one comes to run the connections.
        logger.error("""
            The secret key (BATON_SECRET_KEY or the key file at \(config.resolvedSecretKeyFile)) does not open the Mattermost \
            credentials stored for \(unreadable.joined(separator: ", ")): every Baton that uses this database needs the key they were \
            saved with. This one cannot run those connections.
            """)
    }
    let identity = IdentityCheck(box: box, logger: logger)
    // On PostgreSQL several Batons may share the database: one of them runs the
    // Mattermost links at a time, and each tells the others what it committed.
    // Counted into a registry of this application's own, reported at /metrics.
    let metrics = PrometheusCollectorRegistry()
    let metricsFactory = PrometheusMetricsFactory(registry: metrics)
    let desk = MattermostDesk(store: store, box: box, logger: logger, pollInterval: config.integrationPollInterval,
                              limits: config.mattermostLimits, proxies: config.mattermostProxies, leadership: store.agentSideLeadership(),
                              metrics: LinkMetrics(factory: metricsFactory))
    try await desk.loadConfigured()
    let shared = store.sharedChanges
    let chat = ChatService(store: store, bots: bots, agents: desk, policy: config.chat, shared: shared,
                           metrics: ChatMetrics(factory: metricsFactory), hashToken: TokenHash.sha256)
    desk.attach(chat)
    var services = BatonServices(store: store, bots: bots, chat: chat, mattermost: desk, connections: desk.connections, setupToken: nil)
    let assets = try StaticAssets.load()
    let auth = AdminAuth(store: store, passwordCost: config.passwordCost, logger: logger)
    let setupToken = try await auth.prepareSetup()
    services.setupToken = setupToken
    guard let apiDocument = assets.asset("api/openapi.yaml") else { throw StaticAssetsError.missing("the admin API document") }
    let contract = APIContract(document: String(buffer: apiDocument.body))

    let router = Router(context: BatonRequestContext.self)
    router.middlewares.add(ErrorMiddleware<BatonRequestContext>(logger: logger))
    PublicRoutes(assets: assets, bots: bots, store: store, auth: auth, identity: identity).register(on: router)
    let tickets = UploadTickets(box: box)
    FileRoutes(chat: chat, bots: bots, tickets: tickets, uploadGrace: config.uploadGrace).register(on: router)
    DashboardRoutes(assets: assets).register(on: router)
    AdminAPI(contract: contract, auth: auth, services: services, config: config, identity: identity, logger: logger).register(on: router)
    let sockets = SocketCount()
    if let token = config.metricsToken {
        MetricsRoutes(registry: metrics, token: token, store: store, desk: desk, sockets: sockets, logger: logger).register(on: router)
    }

    let deadlines = HelloDeadlines(timeout: config.socket.helloTimeout)
    let widgetSettings = WidgetChannelHandler.Settings(maxMessageBytes: config.frameBytes, outboundLimit: config.socket.outboundBuffer)
    let guardSettings = ConnectionGuard.Settings(firstRequestTimeout: TimeAmount(config.socket.idleTimeout),
                                                 shutdownGrace: TimeAmount(config.socket.shutdownGrace))
    let clients = ClientLimits(socketsPerClient: config.socket.socketsPerClient, newVisitorsPerMinute: config.socket.newVisitorsPerMinute,
                               metrics: metricsFactory)
    let server = HTTPServerBuilder { responder in
        let channel = BatonServerChannel(responder: responder, socketPath: "/widget/v1/socket", settings: widgetSettings,
                                         idleTimeout: config.socket.idleTimeout, proxies: config.trustedProxies) { connection, request, logger in
            guard clients.admitSocket(request.client) else {
                WidgetSocket.refuseBusyClient(connection, sockets: clients.socketsPerClient, logger: logger, client: request.client)
                return
            }
            defer { clients.releaseSocket(request.client) }
            let socket = WidgetSocket(chat: chat, limits: config.socket, deadlines: deadlines, identity: identity, tickets: tickets,
                                      request: request, clients: clients, admins: auth, logger: logger)
            await sockets.counting { await socket.run(connection) }
        }
        return GuardedChildChannel(channel, settings: guardSettings)
    }

    MemoryTrimmer.mapLargeBlocksOnTheirOwn()
    let app = Application(
        router: HeadAsGet(routes: router),
        server: server,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Baton"),
        // Stopped in reverse order: the server first, then the hello deadlines, the desk,
        // and the store.
        services: [store, desk, deadlines, MemoryTrimmer()]
            + (shared.map { [SharedChangesListener(shared: $0, chat: chat, logger: logger)] } ?? [])
            + (config.mail.service(chat: chat, isLeading: { desk.isLeading }, metrics: ReplyMailMetrics(factory: metricsFactory),
                                   logger: logger).map { [$0] } ?? [])
            + (config.retentionDays.map { [RetentionSweeper(chat: chat, days: $0, erasesMattermost: config.retentionErasesMattermost,
                                                                interval: config.retentionSweepInterval, logger: logger)] } ?? []),
        onServerRunning: { channel in
            if let setupToken {
                let base = config.publicURL ?? "http://\(config.address(of: channel))"
                // Shown whatever the log level: without it nobody can sign in.
                logger.log(level: max(logger.logLevel, .notice), "No admin exists yet. Create the first one at \(base)/dashboard/#setup=\(setupToken) (valid until one exists), or with `baton admin create --email you@example.com`.")
            }
            await onServerRunning(channel)
        },
        logger: logger
    )
    return (app, services)
}

/// Creates the demo widget on a database that has no widget yet. Of several Batons started
/// at once on a new database, one creates it and says so.
enum DemoSeed {
    static func ensure(_ bots: BotLibrary, logger: Logger) async throws {
        guard try await bots.store.widgets().isEmpty else { return }
        try await create(bots, logger: logger)
    }

    /// Creates the demo widget unless another Baton, past the same check, just did.
    static func create(_ bots: BotLibrary, logger: Logger) async throws {
        let now = Millis.now()
        guard try await bots.create(Widget(key: DemoBot.widgetKey, name: "Demo", botSource: DemoBot.source,
                                           settings: WidgetSettings(title: "Chat with Ada"), createdAt: now, updatedAt: now)) != nil
        else { return }
        logger.info("Created the demo widget", metadata: ["widget": "\(DemoBot.widgetKey)"])
    }
}

/// Why the server could not start listening, in words an admin can act on (nil for other
/// failures): the port taken by another program, a port below 1024 without the right to
/// it, or an address that is not this machine's.
public func listenFailure(_ error: any Error, host: String, port: Int) -> String? {
    if error is SocketAddressError || error is SocketAddressError.UnknownHost {
        // Not an address, and no name this machine can look up (`--host 999.1.1.1`).
        return "\(host) is neither an address of this machine nor a name it can look up, so Baton cannot listen on it. Use one of its addresses, 127.0.0.1, or 0.0.0.0 for all (--host or BATON_HOST)."
    }
    guard let error = error as? IOError else { return nil }
    switch error.errnoCode {
    case EADDRINUSE:
        return "Port \(port) on \(host) is in use by another program (another Baton?). Stop it, or start Baton on another port: --port N or BATON_PORT."
    case EACCES:
        return "Baton may not listen on port \(port) on \(host): ports below 1024 need administrator rights. Use a higher port (--port 8080) behind a reverse proxy."
    case EADDRNOTAVAIL:
        return "\(host) is not an address of this machine, so Baton cannot listen on it. Use one of its addresses, 127.0.0.1, or 0.0.0.0 for all (--host or BATON_HOST)."
    default:
        return nil
    }
}
