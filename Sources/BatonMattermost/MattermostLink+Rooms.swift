import BatonCore

/// Rooms: a conversation's room made step by step (channel or thread, agents, transcript,
/// announcement), each step recorded so a retry goes on where the last attempt stopped;
/// and the room closed (the note, the announcement marked, the channel archived).
extension MattermostLink {
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
            room = try await threadRoom(for: conversation, visitor: visitor, record: record)
        } else {
            let name = MattermostPosts.channelName(for: conversation.id)
            var made: MMChannel?
            do {
                made = try await client.createChannel(
                    teamID: settings.team.id, name: name,
                    displayName: MattermostPosts.channelDisplayName(visitor: visitor, topic: conversation.variable("topic"), words: words),
                    purpose: words(.channelPurpose, ["widget": widgetKey]))
            } catch let error as MattermostError where error.isChannelLimit {
                // A retry whose first answer was lost: the channel took the team's last place.
                made = try await client.channel(teamID: settings.team.id, name: name)
            }
            if let channel = made {
                teamProblem.withLock { $0 = nil }
                channelLimitLifted()
                room = Room(conversationID: conversation.id, widgetKey: widgetKey, externalID: channel.id, name: channel.name,
                            link: settings.link(toChannel: channel.name), cursor: .now() - 1, createdAt: .now())
                try await store.saveRoom(room)
                remember(room)
            } else {
                // The team is full (2,000 channels by default, archived ones counted): the
                // chat goes to a thread in the index channel rather than wait for an admin.
                noteChannelLimit()
                room = try await threadRoom(for: conversation, visitor: visitor, record: record)
            }
        }
        if room.transcriptUntil == nil {
            // The agents are in the room's channel (for a thread, the index channel, where
            // they may have left since the connection was made).
            let left = try await client.addChannelMembers(channelID: room.channelID, userIDs: settings.agents.map(\.id), teamID: settings.team.id)
            noteAgentsLeftOut(left)
            if let root = room.rootID { await follow(root) }
            var messages = try await store.messages(in: conversation.id, after: 0, limit: 100_000)
            if let until = record.messageID { messages = messages.filter { $0.id <= until } }
            let visitorRecord = try await store.visitor(id: conversation.visitorID)
            let text = MattermostPosts.transcript(conversation: conversation, visitor: visitor, messages: messages,
                                                  botName: messages.first { $0.role == .bot }?.authorName,
                                                  signedInAs: visitorRecord?.externalID, page: visitorRecord?.page,
                                                  pageLinked: await linksPage(visitorRecord?.page),
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
            room.internalPrefix = settings.internalPrefix
            room.closeCommand = settings.closeCommand
            room.agents = settings.agents.map(\.id).filter { !left.contains($0) }
            try await store.saveRoom(room)
            remember(room)
        }
        if room.announcementID == nil {
            let text = try await announcement(conversation, visitor: visitor, visitorRecord: try await store.visitor(id: conversation.visitorID),
                                              link: room.link, earlier: try await earlierChats(of: conversation))
            do {
                let post = try await postOnce(text, in: settings.indexChannel.id, marker: "announce-\(conversation.id)", record: record)
                room.announcementID = post.id
                indexChannelUsable()
            } catch {
                // The index channel archived or deleted: the room works without its
                // announcement (the default agents are in it) rather than hold the chat's
                // messages until an admin restores the channel. "" says none is to come.
                guard await indexChannelUnusable(after: error) else { throw error }
                logger.error("The index channel is archived or deleted: a chat was not announced. Restore it, or choose another in the dashboard's Mattermost wizard.",
                             metadata: ["channel": "\(settings.indexChannel.name)", "conversation": "\(conversation.id)"])
                noteIndexChannelUnusable()
                room.announcementID = ""
            }
            try await store.saveRoom(room)
            remember(room)
        }
        let target = RelayTarget(room: room, visitor: visitor)
        if room.closedAt == nil { relayTargets.withLock { $0[conversation.id] = target } }
        return target
    }

    /// A room that is a thread in the index channel: the announcement starts it, and agents
    /// answer under it.
    private func threadRoom(for conversation: Conversation, visitor: String, record: AgentTaskRecord) async throws -> Room {
        let visitorRecord = try await store.visitor(id: conversation.visitorID)
        let text = try await announcement(conversation, visitor: visitor, visitorRecord: visitorRecord, link: nil,
                                          earlier: try await earlierChats(of: conversation))
        let root: MMPost
        do {
            root = try await postOnce(text, in: settings.indexChannel.id, marker: "announce-\(conversation.id)", record: record)
        } catch {
            // The chat waits for the channel (its thread starts there), saying why.
            guard await indexChannelUnusable(after: error) else { throw error }
            throw MattermostError.forbidden(noteIndexChannelUnusable())
        }
        indexChannelUsable()
        let room = Room(conversationID: conversation.id, widgetKey: widgetKey, externalID: root.id, threadChannelID: settings.indexChannel.id,
                        name: MattermostPosts.channelDisplayName(visitor: visitor, topic: conversation.variable("topic"), words: words),
                        link: settings.link(toPost: root.id), announcementID: root.id, cursor: .now() - 1, createdAt: .now())
        try await store.saveRoom(room)
        remember(room)
        return room
    }

    /// Whether agents get the visitor's page as a link: only on a site the widget is
    /// allowed on (`MattermostText.page`).
    func linksPage(_ page: VisitedPage?) async -> Bool {
        guard let page, let origin = WebOrigin.of(url: page.url), let widget = try? await store.widget(key: widgetKey) else { return false }
        return widget.settings.allowedOrigins.compactMap(WebOrigin.canonical).contains(origin)
    }

    /// The visitor's first message, read a page at a time: it is nearly always among the
    /// first few (after the bot's greeting), however long the chat went on.
    private func firstVisitorMessage(in conversation: ConversationID) async throws -> Message? {
        var after = MessageID(0)
        while true {
            let page = try await store.messages(in: conversation, after: after, limit: 50)
            if let found = page.first(where: { $0.role == .visitor }) { return found }
            guard page.count == 50, let last = page.last else { return nil }
            after = last.id
        }
    }

    /// The announcement of a chat in the index channel; `closedBy` once it is closed (by
    /// nobody in particular when it holds nil). A thread's announcement has no link: it is
    /// the thread.
    func announcement(_ conversation: Conversation, visitor: String, visitorRecord: Visitor?, link: String?, earlier: String? = nil,
                      takenBy: String? = nil, closedBy: String?? = nil, endedByVisitor: Bool = false) async throws -> String {
        let first = try await firstVisitorMessage(in: conversation.id)
        return MattermostPosts.announcement(visitor: visitor, email: conversation.variable("email") ?? visitorRecord?.email,
                                            conversation: conversation, firstMessage: first?.text, link: link,
                                            signedInAs: visitorRecord?.externalID, page: visitorRecord?.page,
                                            pageLinked: await linksPage(visitorRecord?.page),
                                            language: visitorRecord?.language, earlier: earlier, takenBy: takenBy, closedBy: closedBy,
                                            endedByVisitor: endedByVisitor, words: words)
    }

    /// An agent took the chat (the first to join it or write in it), or joined it after
    /// another: its announcement says who, all of them, so that the other agents see it is
    /// in hand and whose. Best effort: a failure is logged, and the chat's next tasks do
    /// not wait for it. (In the outbox, so that a close queued after it marks the
    /// announcement last.)
    func announceTaken(_ record: AgentTaskRecord, by agent: String) async {
        do {
            guard let room = try await store.room(for: record.conversationID),
                  let conversation = try await store.conversation(id: record.conversationID) else { return }
            let visitor = await visitorName(of: conversation)
            // Every agent who joined, in order (this one may not be recorded yet).
            var agents: [String] = []
            for id in room.joinedAgents {
                if let name = await user(id)?.displayName, !agents.contains(name) { agents.append(name) }
            }
            if !agents.contains(agent) { agents.append(agent) }
            // The first agent marks the reminder, even when the chat closed meanwhile (its
            // close leaves a taken chat's reminder).
            if agent == agents[0] { await markReminder(of: room, visitor: visitor, takenBy: agent) }
            guard room.closedAt == nil, let announcementID = room.announcementPost, conversation.state != .closed else { return }
            let text = try await announcement(conversation, visitor: visitor,
                                              visitorRecord: try await store.visitor(id: conversation.visitorID),
                                              link: room.rootID == nil ? room.link : nil, earlier: try await earlierChats(of: conversation),
                                              takenBy: agents.joined(separator: ", "))
            _ = try await client.editPost(id: announcementID, message: text)
        } catch let error as MattermostError where error.isEditTimeLimit {
            noteEditTimeLimit(error)
        } catch {
            logger.warning("Marking a chat's announcement as taken failed", metadata: ["conversation": "\(record.conversationID)", "error": "\(error)"])
        }
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
        // One refused agent does not keep the others from following (it stopped at the
        // first); the refusals are logged together.
        var refused: [String] = [], lastError: (any Error)?
        for agent in agents ?? settings.agents where agent.id != settings.relayUser.id {
            do {
                try await client.followThread(userID: agent.id, teamID: settings.team.id, threadID: root)
            } catch {
                refused.append(agent.name)
                lastError = error
            }
        }
        if let lastError {
            logger.warning("Could not make agents follow a chat's thread", metadata: [
                "mattermost.users": "\(refused.joined(separator: ", "))", "mattermost.post": "\(root)", "error": "\(lastError)"])
        }
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
        if let announcementID = room.announcementPost, !((archived || gone) && room.rootID != nil), let conversation {
            let text = try await announcement(conversation, visitor: await visitorName(of: conversation),
                                              visitorRecord: try await store.visitor(id: conversation.visitorID),
                                              link: room.rootID == nil ? room.link : nil, closedBy: .some(closedBy),
                                              endedByVisitor: endedByVisitor)
            do {
                _ = try await client.editPost(id: announcementID, message: text)
            } catch let error as MattermostError where error.isEditTimeLimit {
                // Mattermost lets posts be edited for a while only: the announcement stays
                // as it was rather than hold the close for ever (the room was told).
                noteEditTimeLimit(error)
            } catch {
                // Marking it closed waits for nobody: the room was told.
                guard room.rootID == nil, await indexChannelUnusable(after: error) else { throw error }
                logger.warning("The index channel is archived or deleted: a closed chat's announcement was not marked",
                               metadata: ["channel": "\(settings.indexChannel.name)", "conversation": "\(record.conversationID)"])
            }
        }
        // A reminder that nobody joined: the chat ended without anybody (one taken was
        // marked so when it was taken).
        if room.joinedAgents.isEmpty, let conversation { await markReminder(of: room, visitor: await visitorName(of: conversation), takenBy: nil) }
        // A thread stays: archiving would close the index channel for every chat.
        if settings.archiveOnClose && !archived && !gone && room.rootID == nil { try await client.archiveChannel(id: room.externalID) }
        room.closedAt = .now()
        try await store.saveRoom(room)
        remember(room)
    }
}
