import BatonCore
import Crypto
import Foundation

/// The outbox worker: carries out agent tasks, each conversation's in order, different
/// conversations side by side; failed tasks are retried with backoff, and a rate limit or
/// an outage pauses the whole link.
///
/// A conversation, once picked, is drained: its tasks run one after the other until none
/// is due, so the outbox is searched for work only when a conversation finishes. Visitor
/// messages waiting together are relayed together: one read of the messages, one write to
/// complete them, and, when several are queued, one post (see `relayBatch`).
extension MattermostLink {
    enum WorkEvent: Sendable {
        case done(ConversationID)
        case tick
    }

    /// Conversations waiting for their drain, in the order they were announced, each once.
    struct Announcements: Sendable {
        private var order: [ConversationID] = []
        private var head = 0
        private var members = Set<ConversationID>()

        mutating func add(_ conversation: ConversationID) {
            if members.insert(conversation).inserted { order.append(conversation) }
        }

        /// Whether a conversation other than `conversation` waits.
        func hasOthers(than conversation: ConversationID) -> Bool {
            members.count > (members.contains(conversation) ? 1 : 0)
        }

        mutating func next() -> ConversationID? {
            guard head < order.count else { return nil }
            let conversation = order[head]
            head += 1
            members.remove(conversation)
            if head == order.count {
                order.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                order.removeFirst(head)
                head = 0
            }
            return conversation
        }
    }

    /// Tasks one conversation may run before it yields to the others (a visitor who keeps
    /// writing must not hold a place others wait for). While other conversations wait for
    /// a place, a drain yields after every step: each waiting conversation gets a post in
    /// turn.
    static let drainLimit = 32
    /// Visitor messages in one combined post, at most.
    static let messagesPerPost = 20
    /// Files in one post, at most (Mattermost's limit).
    static let filesPerPost = 10

    /// The chat queued tasks for a conversation.
    func tasksAdded(_ conversation: ConversationID) {
        unread.withLock { _ = $0.insert(conversation) }
        announced.withLock { $0.add(conversation) }
        wakeup.signal()
    }

    func workLoop() async {
        let (events, continuation) = AsyncStream.makeStream(of: WorkEvent.self)
        // Discarding: a finished drain's task is freed at once. (A plain task group keeps
        // every finished child until it is awaited, and drains are never awaited.)
        await withDiscardingTaskGroup { group in
            // Wake-ups, and a regular tick for retries that come due: two tasks for the
            // whole run rather than a timer and two tasks made at every wake-up.
            group.addTask {
                while !Task.isCancelled {
                    await self.wakeup.next()
                    continuation.yield(.tick)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    continuation.yield(.tick)
                }
            }
            var inFlight = Set<ConversationID>()
            // Announced while their drain was running: announced again when it ends.
            var again = Set<ConversationID>()
            var lastScan: ContinuousClock.Instant?
            // Drains take the HTTP client's event loops in turn (`drainExecutors`): each
            // runs on its loop and is resumed there with its answers from Mattermost.
            var nextLoop = 0
            func start(_ conversation: ConversationID, from first: AgentTaskRecord? = nil) {
                inFlight.insert(conversation)
                nextLoop = (nextLoop + 1) % drainExecutors.count
                group.addTask(executorPreference: drainExecutors[nextLoop]) {
                    if await self.drain(conversation, from: first) {
                        // Stopped at its limit: back in line behind the others.
                        self.announced.withLock { $0.add(conversation) }
                    }
                    continuation.yield(.done(conversation))
                }
            }
            continuation.yield(.tick)
            for await event in events {
                // A stopped link (its connection removed or changed) starts no more work:
                // its loops are cancelled a moment later, and a task taken meanwhile would
                // be posted through a connection the admin just took away.
                if Task.isCancelled || isStopped { break }
                if case .done(let conversation) = event {
                    inFlight.remove(conversation)
                    if again.remove(conversation) != nil { announced.withLock { $0.add(conversation) } }
                }
                if isPaused { continue }
                // Conversations the chat announced, in order: no search needed.
                while inFlight.count < limits.concurrentConversations, let conversation = announced.withLock({ $0.next() }) {
                    if inFlight.contains(conversation) { again.insert(conversation) } else { start(conversation) }
                }
                // The outbox is searched now and then, for retries that came due and for
                // work queued before a restart, not at every message.
                let now = ContinuousClock.now
                guard inFlight.count < limits.concurrentConversations,
                      lastScan.map({ now - $0 >= .milliseconds(250) }) ?? true else { continue }
                lastScan = now
                let due: [AgentTaskRecord]
                do {
                    due = try await store.dueTasks(widgetKey: widgetKey, now: .now(), limit: 2 * limits.concurrentConversations)
                } catch {
                    logger.error("Reading the outbox failed", metadata: ["error": "\(error)"])
                    continue
                }
                for task in due where !inFlight.contains(task.conversationID) && inFlight.count < limits.concurrentConversations {
                    start(task.conversationID, from: task)
                }
            }
            continuation.finish()
            group.cancelAll()
        }
    }

    private var isPaused: Bool {
        let paused = pausedUntil.withLock { $0 }
        let now = ContinuousClock.now
        return [paused.rateLimit, paused.outage].contains { $0.map { now < $0 } == true }
    }

    /// Runs a conversation's due tasks in order (from `first` when it is known) until none
    /// is due, one fails (it is then scheduled for a retry and the rest wait), or the link
    /// pauses. Returns true when it stopped with work left, at `drainLimit` or because
    /// other conversations wait for a place.
    ///
    /// The outbox is read again only when the chat queued more since the last read (or
    /// that read was cut at its limit): a visitor message costs one read, not one per step.
    @discardableResult
    func drain(_ conversation: ConversationID, from first: AgentTaskRecord?) async -> Bool {
        let readLimit = 64
        func queued() async -> [AgentTaskRecord]? {
            // Cleared before reading: what the chat queues from now on is read next time.
            unread.withLock { _ = $0.remove(conversation) }
            do {
                return try await store.tasks(of: conversation, widgetKey: widgetKey, limit: readLimit)
            } catch {
                logger.error("Reading the outbox failed", metadata: ["error": "\(error)"])
                return nil
            }
        }
        guard var queue = if let first { [first] } else { await queued() } else { return false }
        // Whether `queue` holds everything the outbox had for the conversation when read.
        var whole = first == nil && queue.count < readLimit
        var ran = 0
        while !Task.isCancelled, !isPaused, !isStopped {
            if ran >= Self.drainLimit { return true }
            let now = Millis.now()
            guard let head = queue.first, head.nextAttemptAt <= now else { return false }
            let step: Int
            let succeeded: Bool
            if case .relay = head.task {
                // The run of relays at the head, each due.
                let relays = Array(queue.prefix { task in
                    if case .relay = task.task { return task.nextAttemptAt <= now }
                    return false
                })
                succeeded = await relayBatch(relays)
                step = relays.count
            } else {
                succeeded = await execute(head)
                step = 1
            }
            guard succeeded else { return false }
            ran += step
            queue.removeFirst(step)
            let more = unread.withLock { $0.contains(conversation) }
            if queue.isEmpty && whole && !more { return false }
            if announced.withLock({ $0.hasOthers(than: conversation) }) { return true }
            if more || queue.isEmpty || !whole {
                guard let next = await queued() else { return false }
                queue = next
                whole = next.count < readLimit
            }
        }
        return false
    }

    /// Carries out one task; returns whether it succeeded (and is complete).
    @discardableResult
    func execute(_ record: AgentTaskRecord) async -> Bool {
        do {
            switch record.task {
            case .openRoom:
                _ = try await ensureRoom(for: record)
            case .relay:
                let target = try await ensureRoom(for: record)
                if let stuck = try await relay([record], to: target).first { throw stuck.error }
            case .closeRoom(let closedBy, let archived, let byVisitor):
                try await closeRoom(record, closedBy: closedBy, archived: archived, endedByVisitor: byVisitor == true)
            case .eraseRoom(let room):
                try await eraseRoom(room)
            case .visitorPage(let page):
                let target = try await ensureRoom(for: record)
                _ = try await postOnce(MattermostPosts.visitorPage(page, linked: await linksPage(page), visitor: target.visitor, words: words), in: target.room,
                                       marker: "page-\(record.id)", record: record)
            case .chatRated(let rating):
                try await chatRated(record, rating: rating)
            case .repliesEmailed:
                try await repliesEmailed(record)
            case .chatTaken(let agent):
                await announceTaken(record, by: agent)
            }
            try await store.completeTask(record.id)
            succeeded()
            return true
        } catch {
            await failed(record, error)
            return false
        }
    }

    /// Relays consecutive visitor messages of one conversation; completes what was posted
    /// even when a later post fails, and schedules the first unposted one for a retry.
    func relayBatch(_ records: [AgentTaskRecord]) async -> Bool {
        guard records.count > 1 else { return await execute(records[0]) }
        do {
            let target = try await ensureRoom(for: records[0])
            let remaining = try await relay(records, to: target)
            guard let stuck = remaining.first else {
                try await store.completeTasks(records.map(\.id))
                succeeded()
                return true
            }
            // Complete what went out; the rest waits for the retry.
            try await store.completeTasks(records.prefix { $0.id != stuck.record.id }.map(\.id))
            await failed(stuck.record, stuck.error)
            return false
        } catch {
            await failed(records[0], error)
            return false
        }
    }

    /// A task went through: the error it may have left is over, but not the event
    /// stream's while the stream is down (the status keeps saying why).
    private func succeeded() {
        // The server answers: an outage's pause is over too.
        _ = outageEnded()
        let standing = standingProblem
        if status.withLock({ $0.lastError != standing && $0.state == .connected }) { update { $0.lastError = standing } }
    }

    private func failed(_ record: AgentTaskRecord, _ error: any Error) async {
        // A room whose channel is gone for good: the chat moves to a new one (no backoff).
        if await reopenIfGone(record, after: error) { return }
        metrics.failedAttempts.increment()
        let mattermost = error as? MattermostError
        var delay = Self.backoff(attempt: record.attempts)
        if let retryAfter = mattermost?.retryAfter {
            delay = retryAfter
            pause(for: retryAfter, outage: false)
        } else if case .unreachable? = mattermost {
            // The server is down: pause everything, a little longer each time.
            let failures = outage.withLock { $0 += 1; return $0 }
            pause(for: Self.backoff(attempt: failures - 1), outage: true)
        } else if mattermost?.isTransient != true {
            // Needs someone to change something: retry slowly (a settings change retries at once).
            delay = min(300, max(delay, 30))
        }
        if mattermost?.isTransient != true { await checkTeam() }
        let problem = teamProblem.withLock { $0 }
        // With the team gone every chat's tasks fail alike: the problem was logged once.
        logger.log(level: problem == nil ? .warning : .debug, "Mattermost task failed; will retry", metadata: [
            "conversation": "\(record.conversationID)", "task": "\(record.task)", "attempt": "\(record.attempts + 1)",
            "retry_in_s": "\(String(format: "%.1f", delay))", "error": "\(error)",
        ])
        update { $0.lastError = problem ?? "\(error)" }
        try? await store.retryTask(record.id, at: .now() + Millis(delay * 1000), error: "\(error)")
    }

    /// Whether the relay user is still in the connection's team (after a failure that
    /// needs a person, at most once a minute): if not, that is what the status says, as
    /// the reason no room can be made ("Invalid team_id", "permissions" said nothing of it).
    func checkTeam() async {
        let now = ContinuousClock.now
        let due = teamCheckedAt.withLock { last -> Bool in
            if let last, now - last < .seconds(60) { return false }
            last = now
            return true
        }
        guard due, let teams = try? await client.teams(of: "me") else { return }
        if teams.contains(where: { $0.id == settings.team.id }) {
            teamProblem.withLock { $0 = nil }
            return
        }
        let problem = teams.contains { $0.name == settings.team.name }
            // The name is there with another id: the team was made again (Mattermost's data
            // replaced at the same address), and the relay user is in it.
            ? "The team \(settings.team.name) in Mattermost is not the one this bot was connected to (it was made again, as when Mattermost's data "
                + "is replaced: its id changed): no new chat's room can be made. Connect the bot again (the dashboard's Mattermost wizard, or "
                + "`baton mattermost connect`); open chats then go on in new rooms."
            : "The relay user \(settings.relayUser.name) is not in the team \(settings.team.name) any more, or the team is gone from Mattermost: "
                + "no new chat's room can be made. Add the relay user to the team again, or connect the bot again (the dashboard's Mattermost wizard, or `baton mattermost connect`)."
        if teamProblem.withLock({ $0 }) == nil { logger.error("\(problem)") }
        teamProblem.withLock { $0 = problem }
    }

    func pause(for seconds: Double, outage: Bool) {
        let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        pausedUntil.withLock { paused in
            if outage { paused.outage = max(paused.outage ?? until, until) } else { paused.rateLimit = max(paused.rateLimit ?? until, until) }
        }
    }

    /// Mattermost answers again after an outage (its event stream opened): the pause the
    /// outage put on the outbox, up to 30 s, is over, and so are the retries it put off;
    /// what visitors wrote meanwhile goes out now. (It waited out the pause, the stream
    /// long back.) A rate limit's pause stays.
    func serverAnswers() async {
        guard outageEnded() else { return }
        do {
            try await store.rescheduleTasks(widgetKey: widgetKey, at: .now())
        } catch {
            logger.error("Reading the outbox failed", metadata: ["error": "\(error)"])
        }
        wakeup.signal()
    }

    /// Ends an outage, if there was one: its count starts over and its pause is lifted.
    /// Returns whether there was.
    private func outageEnded() -> Bool {
        let had = outage.withLock { failures in
            defer { failures = 0 }
            return failures > 0
        }
        if had { pausedUntil.withLock { $0.outage = nil } }
        return had
    }

    /// 0.5 s, 1 s, 2 s … up to 30 s, with ±20 % jitter so retries of many tasks spread out.
    static func backoff(attempt: Int) -> Double {
        let base = min(30, 0.5 * pow(2, Double(min(attempt, 10))))
        return base * Double.random(in: 0.8...1.2)
    }
}
