import BatonCore
import Foundation
import Logging
import Synchronization

/// How a widget's Mattermost connection is doing right now.
public struct LinkStatus: Sendable, Equatable {
    public enum State: String, Sendable { case connecting, connected, disconnected }
    public var state: State = .connecting
    public var lastEventAt: Millis?
    public var lastError: String?
}

/// How a Mattermost connection paces itself; the defaults suit a production server, tests
/// make them small.
public struct LinkLimits: Sendable {
    /// How often the Mattermost session behind the event stream is checked.
    public var sessionCheckInterval: Duration = .seconds(60)
    /// How often the event stream is pinged. A ping left unanswered until the next one ends
    /// the stream, and the link connects again and catches up: a connection that died
    /// without a word (a NAT's table flushed, a cable pulled) is noticed within two periods.
    public var eventStreamPing: Duration = .seconds(10)
    /// Live events a room may have waiting (`OrderedQueues`); past it they are let go and
    /// the room reads its posts from Mattermost instead, so memory stays bounded.
    public var roomEventLimit = 1000
    /// Conversations whose outbox tasks run at once, each with at most one request to
    /// Mattermost in flight.
    public var concurrentConversations = 32
    /// How long a visitor waits in a room nobody joined before the agents are reminded in
    /// the index channel (once, and only within the widget's working hours); nil: never.
    public var remindAgentsAfter: Duration? = .seconds(300)
    /// How long a check that the relay user is still in a channel waits, after one that
    /// got no answer, before it asks again.
    public var membershipRetry: Duration = .seconds(30)
    /// Where files are read, built into uploads and stored: not on an event loop (the
    /// outbox's drains and the event listener run on the HTTP client's loops, where copying
    /// megabytes would hold up every socket of that loop). Tests count its jobs.
    public var fileExecutor: any TaskExecutor = globalConcurrentExecutor

    public init() {}
}

/// Where a conversation's visitor messages go: its complete room, and the visitor's name
/// as agents see it.
struct RelayTarget: Sendable {
    var room: Room
    var visitor: String
}

/// One widget's live connection to Mattermost: an outbox worker that carries out the
/// widget's agent tasks in order per conversation, an event listener that relays agent
/// posts to visitors and catches up after every reconnect, and a session check.
final class MattermostLink: Sendable {
    let widgetKey: String
    let settings: MattermostSettings
    /// What Baton writes to the agents, in the connection's language.
    let words: AgentWords
    let client: MattermostClient
    /// The HTTP client's event loops as executors, for the outbox's drains.
    let drainExecutors: [EventLoopExecutor]
    let store: any AgentStore & ChatStore
    let chat: ChatService
    let logger: Logger

    let wakeup = WakeSignal()
    /// Conversations the chat just queued tasks for, in order: the worker starts them
    /// without searching the outbox.
    let announced = Mutex(Announcements())
    /// Live events, queued per room.
    let roomEvents: OrderedQueues<MattermostEvent>
    /// What the link starts besides its loops, ended with them.
    let background = LinkWork()
    private let stopSignal = WakeSignal()
    private let stopped = Mutex(false)
    let status = Mutex(LinkStatus())
    /// Open rooms by their external id (channel id, or a thread's root post id).
    let rooms = Mutex<[String: Room]>([:])
    /// Rooms ready for visitor messages (created, agents added, transcript and
    /// announcement posted), by conversation: relaying to them needs no reads.
    let relayTargets = Mutex<[ConversationID: RelayTarget]>([:])
    /// Conversations the chat queued tasks for since their drain last read the outbox.
    let unread = Mutex<Set<ConversationID>>([])
    let users = Mutex<[String: MMUser]>([:])
    let sender = Mutex<MattermostEventSender?>(nil)
    /// Until when the worker waits: for a rate limit, and for a server that was down
    /// (over as soon as it answers again, `serverAnswers`).
    let pausedUntil = Mutex<(rateLimit: ContinuousClock.Instant?, outage: ContinuousClock.Instant?)>((nil, nil))
    /// Consecutive failures of the server as a whole, for the pause's length.
    let outage = Mutex(0)
    /// Longest post the server takes; lowered to 4,000 for old servers that refuse more.
    let maxPostRunes = Mutex(MattermostText.maxPostRunes)
    let channelLocks = KeyedLock<String>()
    let lastTyping = Mutex<[ConversationID: ContinuousClock.Instant]>([:])
    /// "Room id, user id" of agents told that a chat they wrote in is closed (once each).
    let toldClosed = Mutex<Set<String>>([])
    /// Rooms closed while Baton runs: a copy of one read before it closed, remembered by a
    /// handler that was still busy with it, must not put it back in the cache as open.
    let closedRooms = Mutex<Set<String>>([])
    /// Rooms (by `externalID`) an agent's post could not be stored for (the database away):
    /// their cursor stays before it, their live posts are left to a catch-up that is tried
    /// until it gets through (`recover`), so that none is skipped.
    let stalledRooms = Mutex<Set<String>>([])
    /// Live posts let go while their room was stalled, by room: a catch-up that began
    /// before one was let go reads again.
    let skippedWhileStalled = Mutex<[String: Int]>([:])
    /// Channels whose membership check got no answer and is asked again, as logged.
    let membershipUnchecked = Mutex<Set<String>>([])
    /// The index channel found archived or deleted: said as the status's last error while
    /// nothing else is wrong, until a post there goes through (a task's success does not
    /// clear it, as it does other errors).
    let indexChannelProblem = Mutex<String?>(nil)
    /// The relay user found outside the connection's team (the team deleted, the user
    /// removed, a Mattermost whose data is gone): no room can be made. Checked after a
    /// failure that needs a person, at most once a minute (`checkTeam`).
    let teamProblem = Mutex<String?>(nil)
    let teamCheckedAt = Mutex<ContinuousClock.Instant?>(nil)
    /// The team found full (`noteChannelLimit`): what the status says, until a channel is
    /// made again.
    let channelLimitProblem = Mutex<String?>(nil)
    /// Whether Mattermost's edit time limit was logged (`noteEditTimeLimit`).
    let editTimeLimitSaid = Atomic<Bool>(false)
    /// Default agents found no longer in the team and so left out of new rooms, as
    /// logged (each once while this link lasts).
    let agentsLeftOut = Mutex<Set<String>>([])
    /// Why the last pass of reminders failed, as logged (nil after one that did not).
    let reminderFailure = Mutex<String?>(nil)

    /// What the status says is wrong while no task's own error is newer: the team, then
    /// the index channel, then the team's channel limit.
    var standingProblem: String? {
        teamProblem.withLock { $0 } ?? indexChannelProblem.withLock { $0 } ?? channelLimitProblem.withLock { $0 }
    }

    private let statusChanged = WakeSignal()

    let limits: LinkLimits
    let metrics: LinkMetrics
    /// When this link started: a task queued before then may have been carried out by an
    /// earlier link or process that did not live to delete it (`postOnce` looks first).
    let startedAt = Millis.now()

    init(widgetKey: String, settings: MattermostSettings, credentials: MattermostCredentials, store: any AgentStore & ChatStore,
         chat: ChatService, logger: Logger, limits: LinkLimits = LinkLimits(), proxies: MattermostProxyRules = .direct,
         metrics: LinkMetrics = .none) throws {
        self.limits = limits
        self.metrics = metrics
        roomEvents = OrderedQueues(limit: limits.roomEventLimit, start: background.start)
        self.widgetKey = widgetKey
        self.settings = settings
        words = AgentWords(language: settings.language)
        var logger = logger
        logger[metadataKey: "bot"] = "\(widgetKey)"
        self.logger = logger
        client = try MattermostClient(url: settings.url, credentials: credentials, logger: logger, proxies: proxies, onOneEventLoop: true)
        drainExecutors = client.http.eventLoopGroup.makeIterator().map(EventLoopExecutor.init)
        self.store = store
        self.chat = chat
    }

    /// Runs until `stop()`, on the event loop of the link's event stream (one of its HTTP
    /// client's): an event resumes the task that waits for it on the thread that read it,
    /// and the worker's own hand-offs (a wake-up, its tick) stay on that thread too. The
    /// drains take the client's event loops in turn (`workLoop`).
    func run() async {
        guard let eventLoop = client.eventLoop else { return await runLoops() }
        await withTaskExecutorPreference(EventLoopExecutor(eventLoop)) { await runLoops() }
    }

    private func runLoops() async {
        // A link starts with new settings (or a new process): what failed before is tried
        // now. Saving the settings made the tasks due already, but the link of the old ones
        // may have put them off again before it stopped.
        do {
            try await store.rescheduleTasks(widgetKey: widgetKey, at: .now())
        } catch {
            logger.warning("Making the outbox's failed tasks due failed; they are tried at their time", metadata: ["error": "\(error)"])
        }
        do {
            let open = await joinChannels(of: try await store.openRooms(widgetKey: widgetKey))
            await addMissingAgents(to: open)
        } catch {
            logger.warning("Reading the open chats' rooms failed", metadata: ["error": "\(error)"])
        }
        await handOverWaitingConversations()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.workLoop() }
            group.addTask { await self.listenLoop() }
            group.addTask { await self.sessionCheckLoop() }
            group.addTask { await self.statusLoop() }
            if let wait = limits.remindAgentsAfter { group.addTask { await self.reminderLoop(after: wait) } }
            group.addTask {
                while !self.stopped.withLock({ $0 }) { await self.stopSignal.wait(timeout: .seconds(3600)) }
                self.background.finish()
            }
            // Until the link stops: then what was started is cancelled with the loops.
            await background.run(in: &group)
            group.cancelAll()
        }
    }

    func stop() {
        stopped.withLock { $0 = true }
        stopSignal.signal()
    }

    var isStopped: Bool { stopped.withLock { $0 } }

    /// After a re-link with another relay user (a bot account instead of a person's, say),
    /// the new one may not be in the index channel or in the rooms of chats still open: it
    /// would not hear what agents write there, nor be able to post. It joins them (public
    /// channels; a private one needs someone to add it, which the log says). The relay
    /// user removed while Baton was stopped (from the index channel, where it always is, or
    /// a room whose posts since it was last read record the removal) joins again with a
    /// word in the channel, as when Baton sees the removal live. A room whose channel is
    /// gone (a re-link to another server, a channel deleted for good) is replaced by a new
    /// one; one archived meanwhile is left to the catch-up, which closes its chats.
    /// Returns the rooms still open.
    private func joinChannels(of rooms: [Room]) async -> [Room] {
        var lost: [Room] = []
        do {
            var needed = Set(rooms.map(\.channelID))
            needed.insert(settings.indexChannel.id)
            let mine = Set(try await client.myChannels(teamID: settings.team.id).map(\.id))
            for channel in needed.subtracting(mine).sorted() {
                let inChannel = rooms.filter { $0.channelID == channel }
                let isIndex = channel == settings.indexChannel.id
                let archived: Bool
                do {
                    archived = try await client.channel(id: channel).deleteAt != 0
                } catch MattermostError.server(404, _, _) {
                    lost += inChannel
                    if isIndex { logIndexChannelUnusable() }
                    continue
                } catch {
                    archived = false
                }
                if archived {
                    if isIndex { logIndexChannelUnusable() }
                    continue
                }
                if isIndex {
                    await relayUserLeft(channel, catchUp: false)
                    continue
                }
                if let since = inChannel.map(\.cursor).min(),
                   (try? await client.posts(channelID: channel, since: since - 1))?.contains(where: recordsRelayUserLeaving) == true {
                    await relayUserLeft(channel, catchUp: false)
                    continue
                }
                do {
                    try await client.addChannelMember(channelID: channel, userID: settings.relayUser.id)
                    logger.notice("The relay user joined a channel of open chats", metadata: ["channel": "\(channel)"])
                } catch {
                    logger.warning("The relay user is not in a channel of open chats and cannot join it; add it there in Mattermost",
                                   metadata: ["channel": "\(channel)", "error": "\(error)"])
                }
            }
        } catch {
            logger.warning("Checking the relay user's channels failed", metadata: ["error": "\(error)"])
        }
        await reopen(lost)
        let gone = Set(lost.map(\.conversationID))
        return rooms.filter { !gone.contains($0.conversationID) }
    }

    /// Default agents added to the connection since a room was made join it: a channel
    /// room's members, a thread room's followers (best effort; they can always join from
    /// the announcement). Agents removed from the connection, and agents who left a room,
    /// stay where they are.
    private func addMissingAgents(to rooms: [Room]) async {
        let wanted = settings.agents.map(\.id)
        var joined = 0
        for room in rooms where room.transcriptUntil != nil {
            do {
                guard let recorded = room.agents else {
                    // Made before Baton kept this record: it starts now.
                    try await store.recordRoomAgents(room.conversationID, agents: wanted)
                    continue
                }
                let missing = settings.agents.filter { !recorded.contains($0.id) }
                guard !missing.isEmpty else { continue }
                let left = try await client.addChannelMembers(channelID: room.channelID, userIDs: missing.map(\.id), teamID: settings.team.id)
                noteAgentsLeftOut(left)
                let added = missing.filter { !left.contains($0.id) }
                guard !added.isEmpty else { continue }
                if let root = room.rootID { await follow(root, agents: added) }
                try await store.recordRoomAgents(room.conversationID, agents: recorded + added.map(\.id))
                joined += 1
            } catch {
                logger.warning("New agents could not be added to an open chat", metadata: ["conversation": "\(room.conversationID)", "error": "\(error)"])
            }
        }
        if joined > 0 { logger.notice("New agents added to the open chats", metadata: ["agents": "\(settings.agents.map(\.name))", "chats": "\(joined)"]) }
    }

    /// Conversations that were handed over while no agent side was connected get a room now.
    private func handOverWaitingConversations() async {
        do {
            let weekAgo = Millis.now() - 7 * 24 * 3600 * 1000
            let waiting = try await store.conversationsWithoutRoom(widgetKey: widgetKey, state: .waitingForAgent, since: weekAgo)
            guard !waiting.isEmpty else { return }
            try await store.addTasks(waiting.map { ($0.id, .openRoom, nil) }, widgetKey: widgetKey)
            logger.info("Handing over conversations that waited for an agent side", metadata: ["count": "\(waiting.count)"])
        } catch {
            logger.error("Could not queue waiting conversations", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Status

    func update(_ change: (inout LinkStatus) -> Void) {
        let (before, after) = status.withLock { status -> (LinkStatus, LinkStatus) in
            let before = status
            change(&status)
            return (before, status)
        }
        // Every event would be too many writes: report state and error changes, and the
        // last event time at most every few seconds.
        let eventMoved = (after.lastEventAt ?? 0) - (before.lastEventAt ?? 0) > 5000
        if before.state != after.state || before.lastError != after.lastError || eventMoved { statusChanged.signal() }
    }

    /// Writes the status down for `baton mattermost status` and the dashboard, which may
    /// run in another process; never in the way of relaying.
    private func statusLoop() async {
        var written: LinkStatus?
        while !Task.isCancelled {
            await statusChanged.wait(timeout: .seconds(30))
            let current = status.withLock { $0 }
            guard current != written else { continue }
            let record = IntegrationStatus(state: current.state.rawValue, lastEventAt: current.lastEventAt,
                                           lastError: current.lastError, updatedAt: .now())
            do {
                try await store.saveIntegrationStatus(record, widgetKey: widgetKey, kind: MattermostSettings.kind)
                written = current
            } catch {
                logger.warning("Saving the Mattermost status failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func noteEvent() { update { $0.lastEventAt = .now() } }

    // MARK: Session check

    /// A socket can stay open while the session behind it is gone (token revoked, session
    /// expired, user disabled): it then delivers nothing. Check the session regularly;
    /// when it failed, or had to be renewed, reconnect the socket (which catches up).
    private func sessionCheckLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: limits.sessionCheckInterval)
            if Task.isCancelled { return }
            let socket = sender.withLock { $0 }
            do {
                _ = try await client.me()
                if let socket, socket.token != client.currentToken {
                    logger.info("The Mattermost session was renewed; reconnecting the event stream")
                    try? await socket.outbound.close(.normalClosure, reason: "new session")
                }
            } catch {
                if Task.isCancelled { return }  // the link stops: not a failed check
                logger.warning("Mattermost session check failed; reconnecting", metadata: ["error": "\(error)"])
                update { $0.lastError = "\(error)" }
                if let socket { try? await socket.outbound.close(.normalClosure, reason: "session check") }
            }
        }
    }

    // MARK: Lookups

    func user(_ id: String) async -> MMUser? {
        if let user = users.withLock({ $0[id] }) { return user }
        guard let user = try? await client.user(id: id) else { return nil }
        users.withLock { $0[id] = user }
        return user
    }

    /// A room by its id on Mattermost's side: a channel's id, or a thread's root post id.
    func room(externalID: String) async throws -> Room? {
        if let room = rooms.withLock({ $0[externalID] }) { return room }
        guard let room = try await store.room(externalID: externalID), room.widgetKey == widgetKey else { return nil }
        remember(room)
        return room
    }

    /// The cached room a post belongs to: its channel, or the thread it answers or starts.
    func cachedRoom(of post: MMPost) -> Room? {
        rooms.withLock { rooms in rooms[post.channelID] ?? rooms[post.rootID.isEmpty ? post.id : post.rootID] }
    }

    /// The room a post belongs to: its channel, or the thread it answers (or starts, when
    /// the post was deleted: deleting a thread's first post closes its chat).
    func room(of post: MMPost) async throws -> Room? {
        if let room = cachedRoom(of: post) { return room }
        if let room = try await room(externalID: post.channelID) { return room }
        if !post.rootID.isEmpty { return try await room(externalID: post.rootID) }
        return post.deleteAt != 0 ? try await room(externalID: post.id) : nil
    }

    /// Caches a room; the listener and the worker both keep it, so the newest of each
    /// part wins.
    func remember(_ room: Room) {
        if room.closedAt != nil {
            closedRooms.withLock { closed in
                if closed.count >= 10_000 { closed.removeAll() }
                closed.insert(room.externalID)
            }
        } else if closedRooms.withLock({ $0.contains(room.externalID) }) {
            return
        }
        rooms.withLock { rooms in
            guard room.closedAt == nil else {
                rooms[room.externalID] = nil
                return
            }
            var merged = room
            if let cached = rooms[room.externalID] {
                merged.cursor = max(cached.cursor, room.cursor)
                merged.joinedAgents = cached.joinedAgents + room.joinedAgents.filter { !cached.joinedAgents.contains($0) }
                merged.announcementID = room.announcementID ?? cached.announcementID
                merged.transcriptUntil = room.transcriptUntil ?? cached.transcriptUntil
            }
            rooms[room.externalID] = merged
        }
    }

    /// The visitor's name as agents see it.
    func visitorName(of conversation: Conversation) async -> String {
        (try? await store.visitorName(of: conversation)) ?? words(.visitor)
    }

    // MARK: Typing

    func visitorTyping(in conversation: Conversation) async {
        let now = ContinuousClock.now
        let recent = lastTyping.withLock { typing -> Bool in
            if let last = typing[conversation.id], now - last < .seconds(3) { return true }
            // Only the last 3 s matter: older entries go, so the map does not grow forever.
            if typing.count >= 1024 { typing = typing.filter { now - $0.value < .seconds(3) } }
            typing[conversation.id] = now
            return false
        }
        guard !recent, let sender = sender.withLock({ $0 }),
              let room = try? await store.room(for: conversation.id), room.closedAt == nil else { return }
        try? await sender.typing(in: room.channelID, thread: room.rootID)
    }
}
