import BatonCore
import Foundation
import Synchronization

/// The event listener: agent posts, joins, typing and archived rooms become chat events;
/// after every (re)connect each open room catches up on the posts it missed. (The relay
/// user removed from a room joins again: `MattermostLink+Membership`.)
extension MattermostLink {
    func listenLoop() async {
        var failures = 0
        // Why the stream last failed, as logged (nil once it connected again).
        var reported: String?
        while !Task.isCancelled && !isStopped {
            // A connection that got as far as "connected" starts the backoff over.
            if status.withLock({ $0.state }) == .connected { failures = 0 }
            update { $0.state = .connecting }
            var failure: String?
            do {
                try await MattermostEventSocket.run(client: client, logger: logger, ping: limits.eventStreamPing) { sender in
                    self.sender.withLock { $0 = sender }
                    let standing = self.standingProblem
                    self.update { $0.state = .connected; $0.lastError = standing }
                    self.logger.info("Connected to Mattermost's event stream")
                    await self.serverAnswers()
                    await self.catchUp()
                } onEvent: { event in
                    if self.passOwnPost(event) { return }
                    // A room's events in order, rooms side by side: an agent's message
                    // waits for its own room's earlier events, not for every room's.
                    if let key = self.queueKey(of: event) {
                        self.roomEvents.enqueue(event, key: key) { entry in
                            switch entry {
                            case .item(let event): await self.handle(event)
                            case .overflowed: await self.catchUp(externalID: key)
                            }
                        }
                    } else {
                        await self.handle(event)
                    }
                }
            } catch MattermostError.sessionExpired {
                // The socket refused the token: log in again before reconnecting.
                _ = try? await client.logIn(replacing: try? await client.token())
                failure = MattermostError.sessionExpired.description
            } catch {
                if !Task.isCancelled { failure = "\(error)" }
            }
            sender.withLock { $0 = nil }
            if Task.isCancelled || isStopped { break }
            if failure == nil, status.withLock({ $0.state }) == .connected {
                // Closed without an error: Mattermost closed it (a restart), or it stopped
                // answering pings (a connection that died without a word).
                logger.notice("Mattermost's event stream closed (by Mattermost, or unanswered pings); reconnecting")
            }
            // The stream was up and ended. If it died without a word, the API's pooled
            // connections, on the same path, may be dead too: the catch-up would wait out
            // a read timeout on each it picked. (After a restart of Mattermost they are
            // closed anyway.) The path died before the last ping went unanswered: a
            // client made since then, when another link's stream ended, is left alone.
            if status.withLock({ $0.state }) == .connected {
                client.renewConnections(unlessOpenedAfter: .now - limits.eventStreamPing)
            }
            if status.withLock({ $0.state }) == .connected { failures = 0; reported = nil }
            if let failure {
                // Said once per reason, not at every retry of a Mattermost that stays down:
                // without the stream no agent's reply reaches a visitor.
                if failure != reported {
                    logger.warning("Mattermost's event stream is not connected; agents' replies wait until it is (retrying)",
                                   metadata: ["error": "\(failure)"])
                    reported = failure
                }
                update { $0.lastError = failure }
            }
            update { $0.state = .disconnected }
            try? await Task.sleep(for: .milliseconds(Int64(Self.backoff(attempt: failures) * 1000)))
            failures += 1
        }
        update { $0.state = .disconnected }
    }

    /// Every open room asks for the posts after the last one it handled. Mattermost
    /// replays only a short queue on reconnect, so this is how nothing is missed. Threads
    /// that share a channel read it once for all of them. The index channel, where new
    /// chats are announced, is read only for its threads: without open threads there, the
    /// relay user's membership is checked instead (it may have been removed meanwhile).
    func catchUp() async {
        let open: [Room]
        do {
            open = try await store.openRooms(widgetKey: widgetKey)
        } catch {
            logger.error("Reading open rooms failed", metadata: ["error": "\(error)"])
            return
        }
        open.forEach(remember)
        var threads: [String: [Room]] = [:]
        for room in open {
            if let channel = room.threadChannelID { threads[channel, default: []].append(room) } else { await catchUp([room]) }
        }
        for (_, rooms) in threads.sorted(by: { $0.key < $1.key }) { await catchUp(rooms) }
        if threads[settings.indexChannel.id] == nil { await relayUserLeft(settings.indexChannel.id, catchUp: false) }
    }

    /// Rooms in one channel (a channel room, or threads of one channel) read the posts
    /// after the last one they handled, or learn that the channel was archived (their
    /// chats close) or is gone for good (their chats move to new rooms).
    func catchUp(_ rooms: [Room]) async {
        guard let channelID = rooms.first?.channelID, let since = rooms.map(\.cursor).min() else { return }
        do {
            let channel: MMChannel
            do {
                channel = try await client.channel(id: channelID)
            } catch MattermostError.server(404, _, _) {
                await reopen(rooms)
                return
            }
            if channel.deleteAt != 0 {
                for room in rooms { await roomArchived(room) }
                return
            }
            // From the cursor's own millisecond: posts made in the same millisecond as
            // the last one handled may not have been; those handled are known by id. Only
            // these rooms' posts: another thread's live events keep their own order.
            let ids = Set(rooms.map(\.externalID))
            // Live posts let go while the rooms were stalled, counted before the read: one
            // let go after it is not in what it read.
            let skippedBefore = skippedWhileStalled.withLock { skipped in ids.map { ($0, skipped[$0, default: 0]) } }
            let posts = try await client.posts(channelID: channelID, since: since - 1)
            // Removed while Baton was not listening: no events come from there until it rejoins.
            if posts.contains(where: recordsRelayUserLeaving) { await relayUserLeft(channelID, catchUp: false) }
            // A room whose post could not be stored stops there (its cursor before it); the
            // others go on. A room that got through all of them is no longer stalled.
            var failed = Set<String>()
            for post in posts
            where ids.contains(post.channelID) || ids.contains(post.rootID.isEmpty ? post.id : post.rootID) {
                let key = ids.contains(post.channelID) ? post.channelID : (post.rootID.isEmpty ? post.id : post.rootID)
                guard !failed.contains(key) else { continue }
                if await !handle(post, catchingUp: true) { failed.insert(key) }
            }
            // A room that let a live post go while this read ran stays stalled: its recovery
            // (running while it is) reads again before it goes on.
            // (Under the stalled rooms' lock, as `letGoWhileStalled` counts.)
            stalledRooms.withLock { stalled in
                let through = skippedWhileStalled.withLock { skipped in
                    let done = Set(skippedBefore.filter { skipped[$0.0, default: 0] == $0.1 }.map(\.0)).subtracting(failed)
                    for key in done { skipped[key] = nil }
                    return done
                }
                stalled.subtract(through)
            }
        } catch {
            logger.warning("Catching up a room failed", metadata: ["mattermost.channel": "\(channelID)", "error": "\(error)"])
            // Not read: the rooms stop at their cursors, as a post that could not be stored
            // stops one (a live post would move the cursor past the posts not read, lost),
            // and are read again until it gets through.
            for key in rooms.map(\.externalID) where stalledRooms.withLock({ $0.insert(key).inserted }) { recover(key) }
        }
    }

    /// A room's events came faster than they were handled and some were let go: the room
    /// reads what it missed from Mattermost instead (posts are de-duplicated by id). The
    /// key is a room's id, or a channel whose threads were not known yet: then its threads.
    func catchUp(externalID: String) async {
        logger.warning("Events of a room came faster than they could be handled; reading its posts instead",
                       metadata: ["mattermost.room": "\(externalID)"])
        if let room = try? await room(externalID: externalID) {
            await catchUp([room])
        } else if let threads = try? await openThreads(in: externalID), !threads.isEmpty {
            await catchUp(threads)
        }
    }

    /// The open thread rooms in a channel.
    func openThreads(in channelID: String) async throws -> [Room] {
        try await store.openRooms(widgetKey: widgetKey).filter { $0.threadChannelID == channelID }
    }

    /// Events of one room are handled in order: the key of its queue is the room's id
    /// (a known thread's root post, else the channel).
    func queueKey(of event: MattermostEvent) -> String? {
        if let post = event.post, let room = cachedRoom(of: post) { return room.externalID }
        if event.event == "typing", let parent = event.parentID, rooms.withLock({ $0[parent] != nil }) { return parent }
        // A channel's own events (`user_removed` sent to the relay user names it in `data`).
        return event.channelID ?? event.dataChannelID
    }

    /// Baton's own posts come back as `posted` events, one per relayed post: they only
    /// move a cached room's cursor (in memory, as `handle(_ post:)` would), here, without
    /// queueing them behind the room's other events. Returns whether `event` was one.
    func passOwnPost(_ event: MattermostEvent) -> Bool {
        guard event.event == "posted", let post = event.post, post.userID == settings.relayUser.id else { return false }
        noteEvent()
        guard let key = cachedRoom(of: post)?.externalID else { return true }
        // A stalled room stays at its cursor: its catch-up reads from there (moved past
        // the posts it missed, it found nothing and let the room go on without them).
        guard !letGoWhileStalled(key) else { return true }
        rooms.withLock { rooms in
            guard var room = rooms[key], room.cursor < post.createAt else { return }
            room.cursor = post.createAt
            rooms[key] = room
        }
        return true
    }

    func handle(_ event: MattermostEvent) async {
        noteEvent()
        switch event.event {
        case "posted":
            if let post = event.post {
                await handle(post)
                await repliedUnderReminder(post)
            }
        case "post_edited":
            if let post = event.post { await handle(post) }
        case "post_deleted":
            // The real server sends the post as it was before the deletion: `delete_at` 0.
            if var post = event.post {
                if post.deleteAt == 0 { post.deleteAt = max(Millis.now(), post.updateAt) }
                await handle(post)
            }
        case "typing":
            guard let channel = event.channelID, let userID = event.userID, userID != settings.relayUser.id else { return }
            // In a thread room, or anywhere in a channel room (its threads included).
            var found: Room?
            if let parent = event.parentID { found = try? await room(externalID: parent) }
            if found == nil { found = try? await room(externalID: channel) }
            guard let room = found, let user = await user(userID) else { return }
            try? await chat.agentTyping(room.conversationID, name: user.displayName, active: true)
        case "user_removed":
            if let channel = channelLeft(by: event) { await relayUserLeft(channel, catchUp: true) }
        case "channel_deleted":
            guard let channel = event.dataChannelID ?? event.channelID else { return }
            if let room = try? await room(externalID: channel) {
                await roomArchived(room)
            } else if let threads = try? await openThreads(in: channel) {
                // The channel of thread rooms: nobody can answer there any more.
                for room in threads { await roomArchived(room) }
            }
        default:
            break
        }
    }

    /// One post of a room, live or from a catch-up; a room's posts are handled one at a
    /// time, in order, and the room's cursor moves past each. A post that could not be
    /// stored (the database away) leaves the cursor before it and the room stalled: its
    /// live posts wait for a catch-up, tried until it gets through. Returns false then.
    @discardableResult
    func handle(_ post: MMPost, catchingUp: Bool = false) async -> Bool {
        guard let key = try? await room(of: post)?.externalID else { return true }
        return await channelLocks.withLock(key) { () -> Bool in
            // Stalled: what comes live now is read again, in order, by the catch-up.
            if !catchingUp, letGoWhileStalled(key) { return true }
            guard let found = try? await room(externalID: key) else { return true }
            guard found.closedAt == nil else {
                await wroteInClosedRoom(post, room: found)
                await correctedAfterClose(post, room: found)
                return true
            }
            if post.id == found.rootID {
                // A thread's first post (the announcement, Baton's): deleting it closes the chat.
                if post.deleteAt != 0 { await roomArchived(found) }
                return true
            }
            var room = found
            guard await relay(post, room: &room) else {
                let first = stalledRooms.withLock { $0.insert(key).inserted }
                if first { recover(key) }
                return false
            }
            room.cursor = max(room.cursor, post.createAt)
            guard room.cursor != found.cursor || room.joinedAgents != found.joinedAgents else { return true }
            remember(room)
            // Baton's own posts move the cursor in memory only: a catch-up after a restart
            // reads them again and skips them, so saving each would be a write per relayed
            // message for nothing. The next agent post saves the cursor.
            if post.userID == settings.relayUser.id, room.joinedAgents == found.joinedAgents { return true }
            do {
                try await store.advanceRoom(room.conversationID, cursor: room.cursor, joinedAgents: room.joinedAgents)
            } catch {
                logger.warning("Saving a room's cursor failed", metadata: ["mattermost.room": "\(room.externalID)", "error": "\(error)"])
            }
            return true
        }
    }

    /// Whether room `key` is stalled; if so, counts a live post let go (a catch-up already
    /// reading then reads again).
    func letGoWhileStalled(_ key: String) -> Bool {
        stalledRooms.withLock { stalled in
            guard stalled.contains(key) else { return false }
            skippedWhileStalled.withLock { $0[key, default: 0] += 1 }
            return true
        }
    }

    /// A stalled room's catch-up, tried with growing waits (1 s to 30 s) until it got
    /// through every post since the cursor.
    func recover(_ key: String) {
        background.start {
            var wait = 1.0
            while !Task.isCancelled, !self.isStopped, self.stalledRooms.withLock({ $0.contains(key) }) {
                try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                wait = min(wait * 2, 30)
                if let room = try? await self.room(externalID: key) {
                    await self.catchUp([room])
                } else if let threads = try? await self.openThreads(in: key), !threads.isEmpty {
                    await self.catchUp(threads)
                } else {
                    // Not to be read yet (the database still away): tried again.
                    continue
                }
            }
        }
    }

    /// Relay-user posts, system posts and internal notes stay in Mattermost; `!close`
    /// closes; anything else reaches the visitor, after a notice the first time its
    /// author speaks. Returns false when the post could not be stored and must be read
    /// again (the database or Mattermost away; a refusal for good is no reason to).
    private func relay(_ post: MMPost, room: inout Room) async -> Bool {
        guard post.userID != settings.relayUser.id else { return true }
        do {
            // A deletion, or an edit of a post the visitor has: a correction. (An edited
            // post the visitor never got, made during an outage or a note turned into a
            // message, goes out below as it is now.)
            let known = post.editAt != 0 ? try await chat.store.message(externalID: post.id) != nil : false
            if post.deleteAt != 0 || known {
                try await corrected(post, room: room)
                return true
            }
            if post.isSystem {
                if post.type == "system_join_channel", let user = await user(post.userID) {
                    try await chat.agentJoined(room.conversationID, name: user.displayName, externalID: "join-\(room.externalID)-\(post.userID)")
                    if !room.joinedAgents.contains(post.userID) { room.joinedAgents.append(post.userID) }
                }
                return true
            }
            let text = post.message.trimmingWhitespace()
            guard !text.isEmpty || !post.fileIDs.isEmpty, !isInternal(text, in: room) else { return true }
            let name = await user(post.userID)?.displayName ?? "An agent"
            if isCloseCommand(text, in: room) {
                // An edit closes nothing (a note edited into the command, which the visitor
                // never had, as much as a reply): the command is posted anew to close.
                if post.editAt == 0 { try await chat.closeConversation(room.conversationID, closedBy: name) }
                return true
            }
            if !room.joinedAgents.contains(post.userID) {
                try await chat.agentJoined(room.conversationID, name: name, externalID: "join-\(room.externalID)-\(post.userID)")
                room.joinedAgents.append(post.userID)
            }
            var files: [Attachment] = []
            if !post.fileIDs.isEmpty {
                // Seen before (a catch-up after the live event): not fetched again.
                guard try await chat.store.message(externalID: post.id) == nil else { return true }
                files = try await agentFiles(of: post, room: room)
                // Nothing the visitor can get (the agents were told).
                if files.isEmpty && text.isEmpty { return true }
            }
            try await chat.agentMessage(room.conversationID, name: name, agentID: post.userID,
                                        text: MattermostEmoji.replacingShortcodes(in: post.message),
                                        files: files, externalID: post.id)
        } catch let error as ChatError {
            logger.error("Relaying an agent post failed", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
        } catch let error as MattermostError where !error.isTransient {
            // Mattermost refuses for good (a file gone): reading it again would not help.
            logger.error("Relaying an agent post failed", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
        } catch {
            logger.error("Relaying an agent post failed; the room's posts from it are read again", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
            return false
        }
        return true
    }

    /// Whether an agent's (trimmed) post is an internal note: it starts with the prefix the
    /// room's agents were told, or with the connection's (changed since, or a room older
    /// than Baton's keeping them).
    func isInternal(_ text: String, in room: Room) -> Bool {
        text.hasPrefix(settings.internalPrefix) || room.internalPrefix.map { text.hasPrefix($0) } == true
    }

    /// Whether an agent's (trimmed) post is the close command, in any case: the room's, as
    /// its agents were told, or the connection's.
    private func isCloseCommand(_ text: String, in room: Room) -> Bool {
        let text = text.lowercased()
        return text == settings.closeCommand.lowercased() || room.closeCommand.map { text == $0.lowercased() } == true
    }

    /// An agent corrected, after the chat closed, a post the visitor has: the closed chat's
    /// transcript reads as corrected (the widget shows it while that chat is the visitor's
    /// latest). New posts there stay in Mattermost (`wroteInClosedRoom`).
    private func correctedAfterClose(_ post: MMPost, room: Room) async {
        guard post.userID != settings.relayUser.id, post.editAt != 0 || post.deleteAt != 0 else { return }
        do {
            guard try await chat.store.message(externalID: post.id) != nil else { return }
            try await corrected(post, room: room)
        } catch {
            logger.error("Relaying an agent's correction failed", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
        }
    }

    /// An agent edited or deleted a post the visitor has (live, or found by a catch-up):
    /// the visitor sees the new text, or that it was deleted. A post edited into an
    /// internal note, or into the close command (which closes nothing as an edit), counts
    /// as deleted for the visitor. Each edit is told once (named by its `edit_at`).
    private func corrected(_ post: MMPost, room: Room) async throws {
        if post.deleteAt != 0 {
            try await chat.agentEdited(room.conversationID, original: post.id, text: "", externalID: "\(post.id):deleted")
            return
        }
        let text = post.message.trimmingWhitespace()
        let hidden = (text.isEmpty && post.fileIDs.isEmpty) || isInternal(text, in: room)
            || isCloseCommand(text, in: room)
        try await chat.agentEdited(room.conversationID, original: post.id, text: hidden ? "" : MattermostEmoji.replacingShortcodes(in: post.message),
                                   deleted: hidden,
                                   externalID: "\(post.id):edit:\(post.editAt)")
    }

    /// The room was archived in Mattermost (or its thread deleted): the chat is closed.
    func roomArchived(_ room: Room) async {
        do {
            try await chat.closeConversation(room.conversationID, closedBy: nil, roomArchived: true)
        } catch {
            logger.error("Closing an archived room's chat failed", metadata: ["mattermost.room": "\(room.externalID)", "error": "\(error)"])
        }
    }
}
