import BatonCore
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// Limits of the widget socket.
public struct SocketLimits: Sendable {
    /// Visitor messages a second per connection, on average.
    public var messagesPerSecond: Double = 5
    /// Messages a visitor may send at once before the rate applies.
    public var burst: Int = 10
    /// Largest frame accepted, in bytes (a 4,000-character message is well under it), at
    /// least: `BatonConfiguration.frameBytes` makes room for the longest message allowed.
    public var maxFrameBytes: Int = 64 * 1024
    /// A returning visitor's hellos a second, on average (each sends the chat again), after
    /// `returningHelloBurst` at once.
    public var returningHellosPerSecond: Double = 1
    public var returningHelloBurst: Int = 10
    /// Time a new connection has to send its hello.
    public var helloTimeout: Duration = .seconds(10)
    /// Frames queued for a widget that does not read before it is disconnected.
    public var outboundBuffer: Int = 1024
    /// Refused frames a connection may send before it is closed.
    public var maxViolations: Int = 100
    /// Any connection (HTTP or widget) that sends nothing this long after it opened, and an
    /// HTTP connection idle this long between requests or within one, is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// When Baton stops, how long connections have to finish what they are doing.
    public var shutdownGrace: Duration = .seconds(10)
    /// Widget sockets one client address may hold at once; 0 for no limit (`ClientLimits`).
    public var socketsPerClient = 200
    /// New visitors one client address may start a minute; 0 for no limit (`ClientLimits`).
    public var newVisitorsPerMinute = 30

    public init() {}
}

/// One widget connection's request loop: it takes the widget's messages in order (from
/// `WidgetConnection`, fed by the channel handler) and answers them; everything sent to
/// the widget goes through the connection's `send`, so replies, acknowledgements and live
/// events keep one order.
///
/// The loop is the only task of an open connection, so the memory of its async frame is
/// memory per open socket: the function that stays suspended keeps its frame small, and
/// anything that goes deep (parsing, handling a request) runs in a function or child task
/// of its own. A class, so that an async function's frame holds a reference to it, not a
/// copy of its fields.
final class WidgetSocket: Sendable {
    /// What goes to the widget: frames are encoded when sent, so what waits is compact text.
    enum Outgoing: Sendable {
        case text(String)
        case close(WebSocketErrorCode, String)

        static func frame(_ frame: ServerFrame) -> Outgoing { .text(frame.json) }
    }

    let chat: ChatService
    let limits: SocketLimits
    let deadlines: HelloDeadlines
    let identity: IdentityCheck
    let tickets: UploadTickets
    /// Where the widget's request came from (its page's origin, the host, the client).
    let request: WidgetRequest
    let clients: ClientLimits
    /// Who a page of Baton's own belongs to (`WidgetRequest.adminCookie`).
    let admins: AdminAuth
    let logger: Logger

    init(chat: ChatService, limits: SocketLimits, deadlines: HelloDeadlines, identity: IdentityCheck, tickets: UploadTickets,
         request: WidgetRequest, clients: ClientLimits, admins: AdminAuth, logger: Logger) {
        self.chat = chat
        self.limits = limits
        self.deadlines = deadlines
        self.identity = identity
        self.tickets = tickets
        self.request = request
        self.clients = clients
        self.admins = admins
        self.logger = logger
    }

    private var origin: String? { request.origin }
    private var host: String? { request.host }

    /// A client that holds as many sockets as it may gets none more: told why, and closed
    /// with 1013 (try again later), which the widget answers with its backoff.
    static func refuseBusyClient(_ connection: WidgetConnection, sockets: Int, logger: Logger, client: String?) {
        logger.debug("A client holds as many widget sockets as it may; one more was refused",
                     metadata: ["client": "\(client ?? "?")", "sockets": "\(sockets)"])
        connection.send(.frame(.error(ProtocolError(code: "too_many_connections",
                                                    message: "Too many chats are open from your network; try again later.",
                                                    retryAfterMillis: 30_000))))
        connection.send(.close(.init(codeNumber: 1013), "too many connections"))
    }

    @inline(never)
    func run(_ connection: WidgetConnection) async {
        let subscription = chat.hub.makeSubscriptionID()
        let send: @Sendable (Outgoing) -> Void = { connection.send($0) }
        // A connection that never says hello is closed.
        let hello = deadlines.start {
            send(.frame(.error(ProtocolError(code: "hello_timeout", message: "No hello frame was received in time."))))
            send(.close(.init(codeNumber: 4408), "hello timeout"))
        }
        let loop = await read(connection.inbound, subscription: subscription, hello: hello, send: send)
        deadlines.end(hello)
        close(loop, subscription: subscription)
        // When the loop stopped for a reason of its own, the close frame went out already.
        send(.close(.normalClosure, ""))
    }

    /// Closes the chat the connection opened, if any. Not in `run`: what an async function
    /// copies out of the loop takes room in its frame for as long as the socket is open.
    @inline(never)
    private func close(_ loop: ReadLoop, subscription: SubscriptionID) {
        if let session = loop.state.session { chat.close(session, subscription: subscription) }
    }

    struct ReadState: Sendable {
        var session: ChatSession?
        var bucket: TokenBucket
        var violations = 0
        /// When the message being handled arrived.
        var arrival = ContinuousClock.Instant.now
    }

    /// The read loop's state, on the heap. An async function's frame keeps a slot for every
    /// value its body holds across an await, for as long as it runs; with the session and
    /// the request held in the loop itself, its frame took 6.7 KB of every idle socket.
    final class ReadLoop {
        var state: ReadState
        /// The request `receive` passed on to be handled.
        var request: ClientRequest?

        init(_ state: ReadState) { self.state = state }
    }

    /// What the read loop does after a received frame.
    private enum Next {
        case read
        case stop
        /// Handle `ReadLoop.request`.
        case handle
    }

    /// The read loop; returns its state, with the session the connection opened, if any.
    ///
    /// Every value that lives in an async loop's body is kept in the task's frame while
    /// it waits, so the body only awaits: the synchronous work is in `receive`, and what
    /// lasts from one frame to the next is in `ReadLoop`.
    @inline(never)
    private func read(_ inbound: AsyncStream<WidgetInbound>, subscription: SubscriptionID, hello: HelloDeadlines.Ticket,
                      send: @escaping @Sendable (Outgoing) -> Void) async -> ReadLoop {
        let loop = ReadLoop(ReadState(bucket: TokenBucket(rate: limits.messagesPerSecond, burst: limits.burst)))
        var messages = inbound.makeAsyncIterator()
        while let message = await messages.next() {
            switch receive(message, loop: loop, hello: hello, send: send) {
            case .read: continue
            case .stop: return loop
            case .handle:
                if await handleApart(loop, subscription: subscription, send: send) { return loop }
            }
        }
        return loop
    }

    /// Parses a received message, and answers what needs no handling; a request to handle
    /// is left in `loop.request`.
    @inline(never)
    private func receive(_ message: WidgetInbound, loop: ReadLoop, hello: HelloDeadlines.Ticket,
                         send: @Sendable (Outgoing) -> Void) -> Next {
        switch parse(message, state: &loop.state, hello: hello, send: send) {
        case .read: return .read
        case .stop: return .stop
        case .handle(let request):
            loop.request = request
            return .handle
        }
    }

    /// What `parse` found in a received frame.
    private enum Parsed {
        case read
        case stop
        case handle(ClientRequest)
    }

    /// Reads a received frame into a request, refusing what is not one and answering a
    /// plain ping.
    private func parse(_ message: WidgetInbound, state: inout ReadState, hello: HelloDeadlines.Ticket,
                       send: @Sendable (Outgoing) -> Void) -> Parsed {
        let text: String
        switch message {
        case .text(let value, let arrival):
            text = value
            state.arrival = arrival
        case .binary:
            let error = ProtocolError(code: "binary_not_supported", message: "Binary frames are not part of the widget protocol; send JSON text frames.")
            return refuse(error, state: &state, send: send) ? .stop : .read
        }
        let request: ClientRequest
        do {
            request = try ClientRequest.parse(text)
        } catch {
            if error.code == "invalid_identity" {
                // A hello whose user is malformed is refused as one with a wrong signature.
                send(.frame(.error(error)))
                send(.close(.init(codeNumber: 4407), error.code))
                return .stop
            }
            return refuse(error, state: &state, send: send) ? .stop : .read
        }
        switch request {
        case .ping:
            // The widget pings an idle chat every 25 s: an admin's change of who may use
            // the widget, or of its working hours, reaches it then at the latest
            // (`followSettings`).
            if settingsMayHaveChanged(state) { return .handle(request) }
            send(.frame(.pong))
            return .read
        case .hello:
            deadlines.end(hello)
        default: break
        }
        return .handle(request)
    }

    /// Whether the admin changed who may use this chat's widget since it opened (its
    /// allowed origins, signed-in users only, or the identity secret) or its working
    /// hours, as far as this server knows without asking the store.
    private func settingsMayHaveChanged(_ state: ReadState) -> Bool {
        guard let session = state.session, let current = chat.bots.cachedWidget(forKey: session.widget.key) else { return false }
        return current.settings.allowedOrigins != session.widget.settings.allowedOrigins
            || current.settings.identityRequired != session.widget.settings.identityRequired
            || current.settings.sealedIdentitySecret != session.widget.settings.sealedIdentitySecret
            || current.settings.workingHours != session.widget.settings.workingHours
    }

    /// Follows the admin's changes to an open chat's widget. A chat whose page the admin no
    /// longer allows (the origin was taken off the list; signed-in users only, and this
    /// visitor is anonymous) ends as a new one would be refused; new working hours go to
    /// the widget (an `hours` frame), whose header follows them. Returns false when the
    /// connection must end.
    private func followSettings(_ state: inout ReadState, send: @Sendable (Outgoing) -> Void) async -> Bool {
        guard settingsMayHaveChanged(state), var session = state.session else { return true }
        guard let found = try? await chat.bots.widget(forKey: session.widget.key) else { return true }
        if !OriginPolicy.allows(origin: origin, host: host, allowed: found.widget.settings.allowedOrigins) {
            let page = origin ?? "a page without an origin"
            send(.frame(.error(ProtocolError(code: "origin_not_allowed", message: "This widget may not be embedded on \(page)."))))
            send(.close(.init(codeNumber: 4403), "origin not allowed"))
            return false
        }
        if IdentityCheck.onlySignedIn(found.widget), session.visitor.externalID == nil {
            send(.frame(.error(ProtocolError(code: "identity_required", message: IdentityCheck.requiredMessage))))
            send(.close(.init(codeNumber: 4407), "identity_required"))
            return false
        }
        // A new identity secret (or none): a signed-in user's signature was checked with the
        // old one, which "stops working at once". The widget connects again, and its hello
        // is checked as any new one (refused unless the page signs with the new secret).
        if found.widget.settings.sealedIdentitySecret != session.widget.settings.sealedIdentitySecret, session.visitor.externalID != nil {
            send(.close(.init(codeNumber: 1012), "identity secret changed"))
            return false
        }
        session.widget.settings.allowedOrigins = found.widget.settings.allowedOrigins
        session.widget.settings.identityRequired = found.widget.settings.identityRequired
        session.widget.settings.sealedIdentitySecret = found.widget.settings.sealedIdentitySecret
        if found.widget.settings.workingHours != session.widget.settings.workingHours {
            session.widget.settings.workingHours = found.widget.settings.workingHours
            send(.frame(.hours(found.widget.settings.workingHours)))
        }
        state.session = session
        return true
    }

    /// Handles a request in a child task. A task keeps the memory its deepest call ever
    /// needed until it ends; handling a request goes deep (the bot, the store), so it runs
    /// in a task of its own and an idle connection keeps only what its read loop needs.
    @inline(never)
    private func handleApart(_ loop: ReadLoop, subscription: SubscriptionID,
                             send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        guard let request = loop.request else { return false }
        loop.request = nil
        let before = loop.state
        let (after, end) = await withTaskGroup(of: (ReadState, Bool).self) { group in
            group.addTask {
                var state = before
                let end = await self.handle(request, state: &state, subscription: subscription, send: send)
                return (state, end)
            }
            return await group.next() ?? (before, true)
        }
        loop.state = after
        return end
    }

    /// Records the page the visitor is on; a failure only costs the agents that detail.
    private func visitorOnPage(_ page: VisitedPage, in session: ChatSession) async {
        // A page of another origin than the web page's that opened the socket is not where
        // the visitor is (a script's word): agents would follow it, and emails link it. (A
        // socket from no web page, `null` or another scheme, has no origin to hold it to.)
        if let origin = origin.flatMap(WebOrigin.canonical), WebOrigin.of(url: page.url) != origin {
            logger.debug("A page of another origin than the socket's was left out", metadata: ["origin": "\(origin)", "visitor": "\(session.visitor.id)"])
            return
        }
        await record("the visitor's page", of: session) { _ = try await chat.visitorOnPage(page, in: $0) }
    }

    /// Records a detail of the visitor for the agents; a failure is logged and costs only it.
    private func record(_ what: String, of session: ChatSession, _ body: (ChatSession) async throws -> Void) async {
        do {
            try await body(session)
        } catch {
            logger.warning("Recording \(what) failed", metadata: ["error": "\(error)", "visitor": "\(session.visitor.id)"])
        }
    }

    /// Sends an error frame; returns true when the connection has misbehaved too often and
    /// was closed.
    private func refuse(_ error: ProtocolError, state: inout ReadState, send: @Sendable (Outgoing) -> Void) -> Bool {
        state.violations += 1
        send(.frame(.error(error)))
        if state.violations > limits.maxViolations {
            send(.frame(.error(ProtocolError(code: "too_many_frames", message: "Too many frames were refused: the connection is closed."))))
            send(.close(.policyViolation, "too many invalid frames"))
            return true
        }
        return false
    }

    /// Handles one request; returns true when the connection must end.
    @inline(never)
    private func handle(_ request: ClientRequest, state: inout ReadState, subscription: SubscriptionID,
                        send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        if state.session != nil, settingsMayHaveChanged(state), await !followSettings(&state, send: send) { return true }
        switch request {
        case .ping:
            send(.frame(.pong))
            return false
        case .hello(let widget, let token, let link, let lastSeen, let user, let page, let language, let widgetLanguage):
            guard state.session == nil else {
                return refuse(ProtocolError(code: "already_open", message: "This connection already said hello."), state: &state, send: send)
            }
            let end = await open(widget: widget, token: token, link: link, user: user, lastSeen: lastSeen, state: &state, subscription: subscription, send: send)
            state.session?.widgetLanguage = widgetLanguage
            if !end, let page, let session = state.session { await visitorOnPage(page, in: session) }
            if !end, let language, let session = state.session {
                await record("the visitor's language", of: session) { try await chat.visitorSpeaks(language, in: $0) }
            }
            if !end, let widgetLanguage, let session = state.session {
                await record("the widget's language", of: session) { try await chat.visitorReads(widgetLanguage, in: $0) }
            }
            return end
        case .page(let page):
            guard let session = state.session else {
                return refuse(ProtocolError(code: "hello_required", message: "Send a hello frame before the page."), state: &state, send: send)
            }
            // Pages count against the message rate; one past it is not recorded (the next is).
            if takeVisitorToken(session, state: &state) == nil { await visitorOnPage(page, in: session) }
            return false
        case .end:
            // The notice and the closed state reach every widget of the visitor.
            return await act("ending a chat", state: &state, send: send) { try await chat.visitorEndsChat(in: $0) }
        case .rate(let conversation, let rating):
            return await act("rating a chat", state: &state, send: send) { try await chat.rate(rating, conversation: conversation, in: $0) }
        case .seen(let upTo):
            // Replies the visitor saw are not emailed. Counted against the message rate: one
            // past it is not recorded (the widget says it again with the next reply).
            if let session = state.session, takeVisitorToken(session, state: &state) == nil {
                await record("what the visitor saw", of: session) { try await chat.visitorSaw(upTo: upTo, visitor: $0.visitor.id) }
            }
            return false
        case .typing(let active):
            // Relayed to agents after a handover (throttled there); otherwise ignored.
            if let session = state.session { await chat.visitorTyping(active, in: session) }
            return false
        case .message(let clientID, let text, let action, let files):
            guard let session = state.session else {
                return refuse(ProtocolError(code: "hello_required", message: "Send a hello frame before messages.", clientID: clientID), state: &state, send: send)
            }
            if let wait = takeVisitorToken(session, state: &state) {
                let millis = Millis(wait)
                return refuse(ProtocolError(code: "rate_limited", message: "Messages are coming too fast; this one was not stored. Send it again after retryAfter milliseconds.",
                                            clientID: clientID, retryAfterMillis: max(1, millis)), state: &state, send: send)
            }
            do {
                let receipt = try await chat.receive(VisitorInput(text: text, action: action, files: files), clientID: clientID, from: session, origin: subscription)
                if case .duplicate(let id) = receipt { send(.frame(.ack(clientID: clientID, id: id, duplicate: true))) }
            } catch let error as ChatError {
                if let code = Self.closeCode(ending: error) {
                    send(.frame(.error(ProtocolError(code: error.code, message: error.message, clientID: clientID))))
                    send(.close(.init(codeNumber: code), error.code))
                    return true
                }
                return refuse(ProtocolError(code: error.code, message: error.message, clientID: clientID), state: &state, send: send)
            } catch {
                logger.error("Storing a visitor message failed", metadata: ["error": "\(error)", "visitor": "\(session.visitor.id)"])
                send(.frame(.error(ProtocolError(code: "unavailable", message: "The message could not be stored; send it again shortly.",
                                                 clientID: clientID, retryAfterMillis: 2000))))
            }
            return false
        }
    }

    /// The close code for an error that leaves the connection nothing to do: its widget
    /// is gone (deleted by an admin while it was open: 4404, as a hello for it gets), or
    /// its visitor (4401). Nil for errors about one frame.
    static func closeCode(ending error: ChatError) -> Int? {
        switch error {
        case .unknownWidget: 4404
        case .unknownVisitor: 4401
        default: nil
        }
    }

    /// A token of this connection's rate and of the visitor's on all their connections,
    /// for the message (or page, or `seen`) that arrived last: a script opening a hundred
    /// sockets as one visitor gets no hundred times the rate, nor a hundred copies of every
    /// message. Nil when it may go on, else how long until one may.
    private func takeVisitorToken(_ session: ChatSession, state: inout ReadState) -> Duration? {
        state.bucket.take(now: state.arrival)
            ?? clients.admitMessage(from: session.visitor.id.rawValue, rate: limits.messagesPerSecond, burst: limits.burst, at: state.arrival)
    }

    /// A hello that came too soon: `rate_limited` with when to try again (`message` says it
    /// in seconds), then close code 1013, which the widget answers with its backoff.
    /// Returns true (the connection ends).
    private func refuseHello(after wait: Duration, reason: String, send: @Sendable (Outgoing) -> Void, message: (Int64) -> String) -> Bool {
        let seconds = max(1, Int64((wait / .milliseconds(1)).rounded(.up)) / 1000 + 1)
        send(.frame(.error(ProtocolError(code: "rate_limited", message: message(seconds), retryAfterMillis: seconds * 1000))))
        send(.close(.init(codeNumber: 1013), reason))
        return true
    }

    /// The visitor acts on their chat (`what`: "ending a chat"): what the chat refuses goes
    /// back as an error frame, a failure to store it as `unavailable`.
    private func act(_ what: String, state: inout ReadState, send: @escaping @Sendable (Outgoing) -> Void,
                     _ action: (ChatSession) async throws -> Void) async -> Bool {
        guard let session = state.session else {
            return refuse(ProtocolError(code: "hello_required", message: "Send a hello frame before \(what)."), state: &state, send: send)
        }
        do {
            try await action(session)
        } catch let error as ChatError {
            if let code = Self.closeCode(ending: error) {
                send(.frame(.error(ProtocolError(code: error.code, message: error.message))))
                send(.close(.init(codeNumber: code), error.code))
                return true
            }
            return refuse(ProtocolError(code: error.code, message: error.message), state: &state, send: send)
        } catch {
            logger.error("The visitor's \(what) failed", metadata: ["error": "\(error)", "visitor": "\(session.visitor.id)"])
            send(.frame(.error(ProtocolError(code: "unavailable", message: "That did not work this time; try again shortly.",
                                             retryAfterMillis: 2000))))
        }
        return false
    }

    /// A signed-in admin's browser on one of Baton's own pages (the dashboard's live
    /// preview) is an admin trying the widget: its conversations are marked so.
    private func markIfTried(_ session: inout ChatSession) async {
        guard let cookie = request.adminCookie else { return }
        do {
            guard let (admin, _) = try await admins.authenticate(cookie: cookie) else { return }
            session.triedBy = admin.email
            try await chat.markTried(session)
        } catch {
            logger.warning("Marking an admin's try of the widget failed", metadata: ["error": "\(error)", "visitor": "\(session.visitor.id)"])
        }
    }

    private func open(widget: String, token: String?, link: String?, user: ClaimedUser?, lastSeen: MessageID, state: inout ReadState,
                      subscription: SubscriptionID, send: @escaping @Sendable (Outgoing) -> Void) async -> Bool {
        do {
            var verified: VisitorIdentity?
            if let found = try await chat.bots.widget(forKey: widget) {
                guard OriginPolicy.allows(origin: origin, host: host, allowed: found.widget.settings.allowedOrigins) else {
                    let page = origin ?? "a page without an origin"
                    send(.frame(.error(ProtocolError(code: "origin_not_allowed", message: "This widget may not be embedded on \(page)."))))
                    send(.close(.init(codeNumber: 4403), "origin not allowed"))
                    return true
                }
                switch identity.check(user, for: found.widget) {
                case .anonymous: break
                case .verified(let identity): verified = identity
                case .refused(let error):
                    send(.frame(.error(error)))
                    send(.close(.init(codeNumber: error.code == "unavailable" ? 1011 : 4407), error.code))
                    return true
                }
            }
            // A new anonymous visitor is a stored visitor, conversation and greeting: one
            // address may start only so many a minute. An emailed link that opens its chat
            // brings a returning visitor (one unknown or expired starts a new chat).
            var startsNewVisitor = token == nil && verified == nil
            if startsNewVisitor, let link, (try? await chat.linkOpensChat(link, widgetKey: widget)) == true { startsNewVisitor = false }
            if startsNewVisitor, let wait = clients.admitNewVisitor(request.client) {
                logger.debug("A client starts new chats faster than it may; one was refused",
                              metadata: ["client": "\(request.client ?? "?")", "widget": "\(widget)"])
                return refuseHello(after: wait, reason: "too many new chats", send: send) { "Too many new chats from your network; try again in \($0) s." }
            }
            // A returning visitor's hello sends their chat again: only so many a second, by
            // who they are (a signed-in user, an emailed link, else their key: a made-up key
            // beside the user or the link changes nothing).
            let returning = verified.map { "user:\(widget)/\($0.id)" } ?? link.map { "link:\($0)" } ?? token.map { "key:\($0)" }
            if let returning, let wait = clients.admitReturningHello(returning, rate: limits.returningHellosPerSecond, burst: limits.returningHelloBurst) {
                return refuseHello(after: wait, reason: "too many hellos", send: send) { "This chat is being opened too often; try again in \($0) s." }
            }
            let policy = chat.policy
            let limits = ServerFrame.Limits(maxTextLength: policy.maxTextLength, messagesPerSecond: self.limits.messagesPerSecond,
                                            burst: self.limits.burst, maxFileBytes: policy.maxFileBytes,
                                            maxFilesPerMessage: policy.maxFilesPerMessage, uploadTicket: nil)
            let tickets = self.tickets
            var session = try await chat.open(widgetKey: widget, token: token, link: link, identity: verified, lastSeen: lastSeen,
                                               subscription: subscription) { event in
                switch event {
                case .opened(let session):
                    var limits = limits
                    if policy.filesEnabled { limits.uploadTicket = tickets.issue(visitor: session.visitor.id, widgetKey: session.widget.key) }
                    send(.frame(.welcome(session, limits: limits)))
                case .message(let message, let origin):
                    if origin == subscription, let clientID = message.clientID {
                        send(.frame(.ack(clientID: clientID, id: message.id, duplicate: false)))
                    } else {
                        send(.frame(.message(message)))
                    }
                case .state(let conversation, let newState): send(.frame(.state(conversation, newState)))
                case .conversationStarted(let conversation): send(.frame(.conversation(conversation)))
                case .typing(let conversation, let role, let name, let active):
                    send(.frame(.typing(conversation, role: role, name: name, active: active)))
                case .erased(nil):
                    // The visitor is gone: the widget starts over as a new one.
                    send(.frame(.error(ProtocolError(code: ChatError.unknownVisitor.code, message: "This chat was deleted."))))
                    send(.close(.init(codeNumber: 4401), "visitor deleted"))
                case .erased(let conversation?):
                    // The widget forgets what it shows and opens the chat again.
                    send(.frame(.error(ProtocolError(code: "conversation_deleted", message: "Conversation \(conversation) was deleted."))))
                    send(.close(.init(codeNumber: 4410), "conversation deleted"))
                }
            }
            // The backlog went out with the welcome; an open connection need not keep it.
            session.messages = []
            await markIfTried(&session)
            state.session = session
            return false
        } catch let error as ChatError {
            send(.frame(.error(ProtocolError(code: error.code, message: error.message))))
            send(.close(.init(codeNumber: Self.closeCode(ending: error) ?? 1011), error.code))
            return true
        } catch {
            logger.error("Opening a widget chat failed", metadata: ["error": "\(error)"])
            send(.frame(.error(ProtocolError(code: "unavailable", message: "The chat cannot be opened right now; try again shortly."))))
            send(.close(.init(codeNumber: 1011), "unavailable"))
            return true
        }
    }
}
