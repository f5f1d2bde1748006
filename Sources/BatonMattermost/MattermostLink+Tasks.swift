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
                if Task.isCancelled { break }
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
        guard let until = pausedUntil.withLock({ $0 }) else { return false }
        return ContinuousClock.now < until
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
        while !Task.isCancelled, !isPaused {
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
                _ = try await postOnce(MattermostPosts.visitorPage(page, visitor: target.visitor, words: words), in: target.room,
                                       marker: "page-\(record.id)", record: record)
            case .chatRated(let rating):
                try await chatRated(record, rating: rating)
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
        outage.withLock { $0 = 0 }
        if status.withLock({ $0.lastError != nil && $0.state == .connected }) { update { $0.lastError = nil } }
    }

    private func failed(_ record: AgentTaskRecord, _ error: any Error) async {
        // A room whose channel is gone for good: the chat moves to a new one (no backoff).
        if await reopenIfGone(record, after: error) { return }
        metrics.failedAttempts.increment()
        let mattermost = error as? MattermostError
        var delay = Self.backoff(attempt: record.attempts)
        if let retryAfter = mattermost?.retryAfter {
            delay = retryAfter
            pause(for: retryAfter)
        } else if case .unreachable? = mattermost {
            // The server is down: pause everything, a little longer each time.
            let failures = outage.withLock { $0 += 1; return $0 }
            pause(for: Self.backoff(attempt: failures - 1))
        } else if mattermost?.isTransient != true {
            // Needs someone to change something: retry slowly (a settings change retries at once).
            delay = min(300, max(delay, 30))
        }
        logger.warning("Mattermost task failed; will retry", metadata: [
            "conversation": "\(record.conversationID)", "task": "\(record.task)", "attempt": "\(record.attempts + 1)",
            "retry_in_s": "\(String(format: "%.1f", delay))", "error": "\(error)",
        ])
        update { $0.lastError = "\(error)" }
        try? await store.retryTask(record.id, at: .now() + Millis(delay * 1000), error: "\(error)")
    }

    func pause(for seconds: Double) {
        let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        pausedUntil.withLock { $0 = max($0 ?? until, until) }
    }

    /// 0.5 s, 1 s, 2 s … up to 30 s, with ±20 % jitter so retries of many tasks spread out.
    static func backoff(attempt: Int) -> Double {
        let base = min(30, 0.5 * pow(2, Double(min(attempt, 10))))
        return base * Double.random(in: 0.8...1.2)
    }

    // MARK: Rooms

    /// The conversation's room, created if needed: channel, agents, transcript (messages up
    /// to the task's message), announcement. Every step is recorded as it completes, so a
    /// retry continues where the last attempt stopped and posts nothing twice. A complete
    /// room is kept in memory (until it closes) with the visitor's name.
    @discardableResult
    func ensureRoom(for record: AgentTaskRecord) async throws -> RelayTarget {
        if let target = relayTargets.withLock({ $0[record.conversationID] }) { return target }
        guard let conversation = try await store.conversation(id: record.conversationID) else {
            throw MattermostError.server(status: 0, id: "", message: "conversation \(record.conversationID) is not stored")
        }
        let visitor = await visitorName(of: conversation)
        var room: Room
        if let existing = try await store.room(for: conversation.id) {
            room = existing
        } else if settings.rooms == .thread {
            // The announcement starts the thread: agents answer under it.
            let visitorRecord = try await store.visitor(id: conversation.visitorID)
            let text = try await announcement(conversation, visitor: visitor, visitorRecord: visitorRecord, link: nil,
                                              earlier: try await earlierChats(of: conversation))
            let root = try await postOnce(text, in: settings.indexChannel.id, marker: "announce-\(conversation.id)", record: record)
            room = Room(conversationID: conversation.id, widgetKey: widgetKey, externalID: root.id, threadChannelID: settings.indexChannel.id,
                        name: MattermostPosts.channelDisplayName(visitor: visitor, topic: conversation.variable("topic"), words: words),
                        link: settings.link(toPost: root.id), announcementID: root.id, cursor: .now() - 1, createdAt: .now())
            try await store.saveRoom(room)
            remember(room)
        } else {
            let channel = try await client.createChannel(
                teamID: settings.team.id, name: MattermostPosts.channelName(for: conversation.id),
                displayName: MattermostPosts.channelDisplayName(visitor: visitor, topic: conversation.variable("topic"), words: words),
                purpose: words(.channelPurpose, ["widget": widgetKey]))
            room = Room(conversationID: conversation.id, widgetKey: widgetKey, externalID: channel.id, name: channel.name,
                        link: settings.link(toChannel: channel.name), cursor: .now() - 1, createdAt: .now())
            try await store.saveRoom(room)
            remember(room)
        }
        if room.transcriptUntil == nil {
            // The agents are in the room's channel (for a thread, the index channel, where
            // they may have left since the connection was made).
            try await client.addChannelMembers(channelID: room.channelID, userIDs: settings.agents.map(\.id))
            if let root = room.rootID { await follow(root) }
            var messages = try await store.messages(in: conversation.id, after: 0, limit: 100_000)
            if let until = record.messageID { messages = messages.filter { $0.id <= until } }
            let visitorRecord = try await store.visitor(id: conversation.visitorID)
            let text = MattermostPosts.transcript(conversation: conversation, visitor: visitor, messages: messages,
                                                  botName: messages.first { $0.role == .bot }?.authorName,
                                                  signedInAs: visitorRecord?.externalID, page: visitorRecord?.page,
                                                  language: visitorRecord?.language, earlier: try await earlierChats(of: conversation),
                                                  closeCommand: settings.closeCommand, internalPrefix: settings.internalPrefix, words: words)
            for (index, part) in MattermostText.split(text, limit: maxPostRunes.withLock { $0 }).enumerated() {
                _ = try await postOnce(part, in: room, marker: "transcript-\(conversation.id)-\(index)", record: record)
            }
            // What the visitor sent the bot, the files themselves (Mattermost takes 10 a post).
            let files = messages.filter { $0.role == .visitor }.flatMap(\.files)
            for (index, start) in stride(from: 0, to: files.count, by: Self.filesPerPost).enumerated() {
                let sent = try await uploaded(Array(files[start..<min(start + Self.filesPerPost, files.count)]), to: room)
                _ = try await postOnce(MattermostPosts.withRefusedFiles(MattermostPosts.filesBeforeHandover(visitor: visitor, words: words), sent.refused, words: words),
                                       in: room, marker: "transcript-files-\(conversation.id)-\(index)", record: record, fileIDs: sent.ids)
            }
            room.transcriptUntil = messages.last?.id ?? 0
            room.agents = settings.agents.map(\.id)
            try await store.saveRoom(room)
            remember(room)
        }
        if room.announcementID == nil {
            let text = try await announcement(conversation, visitor: visitor, visitorRecord: try await store.visitor(id: conversation.visitorID),
                                              link: room.link, earlier: try await earlierChats(of: conversation))
            let post = try await postOnce(text, in: settings.indexChannel.id, marker: "announce-\(conversation.id)", record: record)
            room.announcementID = post.id
            try await store.saveRoom(room)
            remember(room)
        }
        let target = RelayTarget(room: room, visitor: visitor)
        if room.closedAt == nil { relayTargets.withLock { $0[conversation.id] = target } }
        return target
    }

    /// The announcement of a chat in the index channel; `closedBy` once it is closed (by
    /// nobody in particular when it holds nil). A thread's announcement has no link: it is
    /// the thread.
    func announcement(_ conversation: Conversation, visitor: String, visitorRecord: Visitor?, link: String?, earlier: String? = nil,
                      closedBy: String?? = nil, endedByVisitor: Bool = false) async throws -> String {
        let first = try await store.messages(in: conversation.id, after: 0, limit: 100_000).first { $0.role == .visitor }
        return MattermostPosts.announcement(visitor: visitor, email: conversation.variable("email") ?? visitorRecord?.email,
                                            conversation: conversation, firstMessage: first?.text, link: link,
                                            signedInAs: visitorRecord?.externalID, page: visitorRecord?.page,
                                            language: visitorRecord?.language, earlier: earlier, closedBy: closedBy,
                                            endedByVisitor: endedByVisitor, words: words)
    }

    /// A returning visitor's earlier chats with the agents, for a new room's first post and
    /// announcement; nil for a first chat.
    func earlierChats(of conversation: Conversation) async throws -> String? {
        let earlier = try await store.earlierRooms(of: conversation.visitorID, excluding: conversation.id, limit: Self.earlierChatsShown)
        return MattermostPosts.earlierChats(earlier, site: settings.url, now: .now(), words: words)
    }

    /// Earlier chats a new room links to; the rest are counted.
    static let earlierChatsShown = 3

    /// The agents follow a thread room, so that it shows in their Threads view and its
    /// replies notify them. Best effort: the chat works without it (the relay user needs
    /// the right to edit other users; an older server has no threads view).
    func follow(_ root: String, agents: [MattermostSettings.Reference]? = nil) async {
        for agent in agents ?? settings.agents where agent.id != settings.relayUser.id {
            do {
                try await client.followThread(userID: agent.id, teamID: settings.team.id, threadID: root)
            } catch {
                logger.warning("Could not make an agent follow a chat's thread", metadata: [
                    "mattermost.user": "\(agent.name)", "mattermost.post": "\(root)", "error": "\(error)"])
                return
            }
        }
    }

    /// Posts the visitor messages of relay tasks (one conversation's, in order), skipping
    /// those the room's transcript had already. Several messages go out as one post (a line
    /// each) when they fit; a message too long for one post is split. Returns the tasks not
    /// posted, the first with the error that stopped them (empty when all went out).
    @discardableResult
    func relay(_ records: [AgentTaskRecord], to target: RelayTarget) async throws -> [(record: AgentTaskRecord, error: any Error)] {
        let room = target.room
        let wanted = records.filter { ($0.messageID ?? 0) > (room.transcriptUntil ?? 0) }
        guard !wanted.isEmpty else { return [] }
        var messages: [(id: MessageID, text: String, files: [Attachment])]
        if wanted.allSatisfy({ $0.messageText != nil }) {
            messages = wanted.map { ($0.messageID!, $0.messageText!, $0.messageFiles) }
        } else {
            // Tasks read without their texts: read the messages.
            let ids = Set(wanted.compactMap(\.messageID))
            let low = ids.min()!, high = ids.max()!
            messages = try await store.messages(in: records[0].conversationID, after: low - 1, limit: Int(high - low) + 1)
                .filter { ids.contains($0.id) }.map { ($0.id, $0.text, $0.files) }
        }
        let visitor = target.visitor
        let limit = maxPostRunes.withLock { $0 }
        while let first = messages.first {
            let record = records.first { $0.messageID == first.id } ?? records[0]
            do {
                var text = MattermostPosts.visitorMessage(first.text, visitor: visitor)
                if text.unicodeScalars.count > limit || !first.files.isEmpty {
                    // A message of its own: too long for one post, or with files (they go
                    // with its first post).
                    let sent = try await uploaded(first.files, to: room)
                    text = MattermostPosts.withRefusedFiles(text, sent.refused, words: words)
                    for (index, part) in MattermostText.split(text, limit: limit).enumerated() {
                        _ = try await postOnce(part, in: room, marker: "message-\(first.id)-\(index)", record: record,
                                               fileIDs: index == 0 ? sent.ids : [])
                    }
                    messages.removeFirst()
                    metrics.relayedMessages.increment()
                    continue
                }
                // As many following messages as fit in one post.
                var lines = [text], size = text.unicodeScalars.count, last = first.id
                for next in messages.dropFirst().prefix(Self.messagesPerPost - 1) {
                    guard next.files.isEmpty else { break }
                    let line = MattermostPosts.visitorMessage(next.text, visitor: visitor)
                    guard size + 1 + line.unicodeScalars.count <= limit else { break }
                    lines.append(line)
                    size += 1 + line.unicodeScalars.count
                    last = next.id
                }
                let post = try await postOnce(lines.joined(separator: "\n"), in: room, marker: "message-\(first.id)-0",
                                              record: record, through: last)
                // A post made by an earlier attempt may have covered fewer messages.
                let through = post.batonThrough.flatMap(Int64.init) ?? first.id
                let before = messages.count
                messages.removeAll { $0.id <= max(through, first.id) }
                metrics.relayedMessages.increment(by: Int64(before - messages.count))
            } catch {
                let unsent = Set(messages.map(\.id))
                return records.filter { $0.messageID.map(unsent.contains) ?? false }.map { ($0, error) }
            }
        }
        return []
    }

    func closeRoom(_ record: AgentTaskRecord, closedBy: String?, archived: Bool, endedByVisitor: Bool = false) async throws {
        relayTargets.withLock { _ = $0.removeValue(forKey: record.conversationID) }
        guard var room = try await store.room(for: record.conversationID) else { return }
        let conversation = try await store.conversation(id: record.conversationID)
        // A room whose channel is gone for good has nobody left to tell, nothing to archive.
        var gone = false
        if !archived {
            var note = MattermostPosts.closed(by: closedBy, words: words)
            if endedByVisitor {
                let visitor = if let conversation { await visitorName(of: conversation) } else { closedBy ?? words(.visitor) }
                note = MattermostPosts.endedByVisitor(visitor, words: words)
            }
            do {
                _ = try await postOnce(note, in: room, marker: "closed-\(record.conversationID)", record: record)
            } catch {
                guard await channelIsGone(room.channelID, after: error) else { throw error }
                gone = true
            }
        }
        // A thread whose first post was deleted (or whose channel was archived or is gone)
        // has no announcement left to mark.
        if let announcementID = room.announcementID, !((archived || gone) && room.rootID != nil), let conversation {
            let text = try await announcement(conversation, visitor: await visitorName(of: conversation),
                                              visitorRecord: try await store.visitor(id: conversation.visitorID),
                                              link: room.rootID == nil ? room.link : nil, closedBy: .some(closedBy),
                                              endedByVisitor: endedByVisitor)
            _ = try await client.editPost(id: announcementID, message: text)
        }
        // A thread stays: archiving would close the index channel for every chat.
        if settings.archiveOnClose && !archived && !gone && room.rootID == nil { try await client.archiveChannel(id: room.externalID) }
        room.closedAt = .now()
        try await store.saveRoom(room)
        remember(room)
    }

    /// Creates a post at most once. `pending_post_id` makes Mattermost return the first
    /// post for a resend within 30 s; after a failed attempt, and for a task queued before
    /// this link started, the channel's recent posts are searched for the marker first, for
    /// resends after a longer outage or a crash.
    ///
    /// - Parameter through: for a post of several visitor messages, the id of the last one
    ///   (kept in the post's props, so that a retry knows what the first attempt covered).
    func postOnce(_ message: String, in room: Room, marker: String, record: AgentTaskRecord,
                  through: MessageID? = nil, fileIDs: [String] = []) async throws -> MMPost {
        try await postOnce(message, in: room.channelID, thread: room.rootID, marker: marker, record: record, through: through, fileIDs: fileIDs)
    }

    func postOnce(_ message: String, in channelID: String, thread rootID: String? = nil, marker: String, record: AgentTaskRecord,
                  through: MessageID? = nil, fileIDs: [String] = []) async throws -> MMPost {
        if record.attempts > 0 || record.createdAt < startedAt {
            // Tried before, or queued before this link started: perhaps done by a link (or
            // a process) that ended before deleting the task, longer ago than Mattermost's
            // `pending_post_id` remembers. Clocks differ between machines: look well before
            // the task was created.
            let posts = try await client.posts(channelID: channelID, since: record.createdAt - 10 * 60 * 1000)
            if let earlier = posts.first(where: { $0.batonMarker == marker && $0.rootID == (rootID ?? "") }) { return earlier }
        }
        return try await batonPost(message, in: channelID, thread: rootID, conversation: record.conversationID, marker: marker,
                                   through: through, fileIDs: fileIDs)
    }

    /// Creates one of Baton's posts: marked as Baton's (`baton_marker`, `from_baton`), with
    /// group mentions off, and a `pending_post_id` made of the conversation and the marker,
    /// so that a resend within 30 s gets the first post back.
    func batonPost(_ message: String, in channelID: String, thread rootID: String? = nil, conversation: ConversationID, marker: String,
                   through: MessageID? = nil, fileIDs: [String] = []) async throws -> MMPost {
        // Message ids are only unique within one database: with the conversation's (random)
        // id, a Baton on another database posting as the same user (staging and production,
        // or a database started afresh) never gets this post's resend answered with its own.
        let digest = Hex.string(SHA256.hash(data: Array("\(conversation)/\(marker)".utf8)).prefix(10))
        var props: [String: JSONValue] = ["baton_marker": .string(marker), "from_baton": .bool(true), "disable_group_highlight": .bool(true)]
        if let through { props["baton_through"] = .string(String(through)) }
        do {
            let post = try await client.createPost(
                channelID: channelID, message: message, props: props,
                pendingPostID: "\(settings.relayUser.id):\(digest)", rootID: rootID, fileIDs: fileIDs)
            metrics.posts.increment()
            return post
        } catch MattermostError.server(400, let id, _) where (id.contains(".msg.") || id.contains("message_length")) && maxPostRunes.withLock({ $0 }) > 4000 {
            // An older server limits posts to 4,000 runes: split smaller from now on.
            maxPostRunes.withLock { $0 = 4000 }
            throw MattermostError.server(status: 503, id: id, message: "the post was too long for this server; splitting it smaller")
        }
    }
}
