import BatonCore
import Logging

/// Rooms whose channel is gone from Mattermost for good: deleted permanently by an admin,
/// or left on the old server after the integration was re-linked to another one. Their
/// chats are still open, so each gets a new room (channel or thread, as the connection now
/// says) with the transcript so far and a new announcement, instead of the visitor's
/// messages failing there forever. An archived channel is not gone: archiving closes a chat.
extension MattermostLink {
    /// Whether a channel is gone for good: a current Mattermost answers 404 for a channel
    /// that does not exist, and 403 only for one that exists but the user may not read.
    /// Nil when the server could not say (down, or another error).
    func channelIsGone(_ channelID: String) async -> Bool? {
        do {
            _ = try await client.channel(id: channelID)
            return false
        } catch MattermostError.server(404, _, _) {
            return true
        } catch {
            return nil
        }
    }

    /// Whether a request failed because its channel is gone: posting to a channel that
    /// does not exist answers 403 (no permission on it), reading it 404; then the channel
    /// itself is asked for.
    func channelIsGone(_ channelID: String, after error: any Error) async -> Bool {
        Self.mayMeanGone(error) ? await channelIsGone(channelID) == true : false
    }

    /// The index channel found archived or deleted (at start): said once, as an error, since
    /// new chats then go unannounced.
    func logIndexChannelUnusable() {
        logger.error("The index channel is archived or deleted: new chats are not announced (their rooms work without). Restore it, or choose another in the dashboard's Mattermost wizard.",
                     metadata: ["channel": "\(settings.indexChannel.name)"])
        noteIndexChannelUnusable()
    }

    /// The status says the index channel is unusable (see `indexChannelProblem`); returns
    /// what it says.
    @discardableResult
    func noteIndexChannelUnusable() -> String {
        // Threads start there: in a team full of channels, a channel mode's new chats too.
        let threads = settings.rooms == .thread || channelLimitProblem.withLock { $0 } != nil
        let waits = threads ? "new chats wait until it is restored (their threads start there)"
            : "new chats are not announced (their rooms work without)"
        let problem = "The index channel ~\(settings.indexChannel.name) is archived or deleted: \(waits). Restore it, or choose another in the dashboard's Mattermost wizard."
        indexChannelProblem.withLock { $0 = problem }
        update { $0.lastError = problem }
        return problem
    }

    /// A post in the index channel went through: it is usable again.
    func indexChannelUsable() {
        guard let problem = indexChannelProblem.withLock({ $0.take() }) else { return }
        update { if $0.lastError == problem { $0.lastError = nil } }
    }

    /// Whether a post or edit in the index channel failed because the channel is archived or
    /// gone (an admin's doing): then a chat's own room goes on without its announcement
    /// rather than wait for that to be undone.
    func indexChannelUnusable(after error: any Error) async -> Bool {
        switch error as? MattermostError {
        case .forbidden?, .server(400, _, _)?, .server(404, _, _)?:
            do {
                return try await client.channel(id: settings.indexChannel.id).deleteAt != 0
            } catch MattermostError.server(404, _, _) {
                return true
            } catch {
                return false
            }
        default:
            return false
        }
    }

    /// Tasks that post in the room: one of them failing may mean the room is gone.
    private static func postsInTheRoom(_ task: AgentTask) -> Bool {
        switch task {
        case .relay, .openRoom, .visitorPage: true
        case .closeRoom, .eraseRoom, .chatRated, .repliesEmailed, .chatTaken: false
        }
    }

    private static func mayMeanGone(_ error: any Error) -> Bool {
        switch error as? MattermostError {
        case .forbidden?, .server(404, _, _)?: true
        default: false
        }
    }

    /// After a task of an open room failed as if the room's channel were not there: when
    /// the channel is gone, the chat gets a new room and the task is due again at once; a
    /// chat closed meanwhile has nowhere left to post, and the task is dropped (the message
    /// stays in Baton's transcript; the closing task marks the room closed). Returns
    /// whether the task was dealt with.
    func reopenIfGone(_ record: AgentTaskRecord, after error: any Error) async -> Bool {
        guard Self.postsInTheRoom(record.task), Self.mayMeanGone(error),
              let room = try? await store.room(for: record.conversationID), room.closedAt == nil,
              await channelIsGone(room.channelID, after: error) else { return false }
        if await reopen([room]).contains(room.conversationID) {
            try? await store.retryTask(record.id, at: .now(), error: "\(error)")
            return true
        }
        guard (try? await store.conversation(id: record.conversationID))??.state == .closed else { return false }
        logger.warning("The chat is closed and its room is gone from Mattermost: a message is not relayed", metadata: [
            "conversation": "\(record.conversationID)", "task": "\(record.task)"])
        try? await store.completeTask(record.id)
        return true
    }

    /// Opens new rooms for open chats whose room's channel is gone; returns the chats that
    /// got one. A closed chat keeps its room until its closing task marks it closed (which
    /// copes with the channel being gone). A thread in the index channel the connection
    /// still uses cannot move: that channel is gone too, and only a new index channel
    /// (re-linking) helps, which the log says.
    @discardableResult
    func reopen(_ lost: [Room]) async -> Set<ConversationID> {
        var moved = Set<ConversationID>()
        // Said once for all the threads it held (it was said once per thread).
        let stuck = lost.filter { $0.threadChannelID == settings.indexChannel.id }
        if !stuck.isEmpty {
            logger.error("The index channel is gone from Mattermost; connect the bot to another index channel",
                         metadata: ["mattermost.channel": "\(settings.indexChannel.id)", "open_chats": "\(stuck.count)"])
        }
        for room in lost {
            if room.threadChannelID == settings.indexChannel.id { continue }
            do {
                guard let conversation = try await store.conversation(id: room.conversationID), conversation.state != .closed else { continue }
                relayTargets.withLock { _ = $0.removeValue(forKey: room.conversationID) }
                rooms.withLock { _ = $0.removeValue(forKey: room.externalID) }
                guard try await store.replaceRoom(of: room.conversationID, externalID: room.externalID) else { continue }
                logger.warning("An open chat's room is gone from Mattermost; the chat goes on in a new room", metadata: [
                    "conversation": "\(room.conversationID)", "mattermost.room": "\(room.externalID)"])
                moved.insert(room.conversationID)
                tasksAdded(room.conversationID)
            } catch {
                logger.error("Replacing a chat's lost room failed", metadata: ["conversation": "\(room.conversationID)", "error": "\(error)"])
            }
        }
        return moved
    }
}
