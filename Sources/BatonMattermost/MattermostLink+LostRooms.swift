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

    /// Whether a failed request may have failed because its channel is gone: posting to a
    /// channel that does not exist answers 403 (no permission on it), reading it 404.
    static func mayMeanGone(_ error: any Error) -> Bool {
        switch error as? MattermostError {
        case .forbidden?, .server(404, _, _)?: true
        default: false
        }
    }

    /// After a task of an open chat failed as if its room's channel were not there: when
    /// the channel is gone, the chat gets a new room and the task is due again at once.
    /// Returns whether that happened.
    func reopenIfGone(_ record: AgentTaskRecord, after error: any Error) async -> Bool {
        guard Self.mayMeanGone(error), record.task == .relay || record.task == .openRoom,
              let room = try? await store.room(for: record.conversationID), room.closedAt == nil,
              await channelIsGone(room.channelID) == true else { return false }
        await reopen([room])
        try? await store.retryTask(record.id, at: .now(), error: "\(error)")
        return true
    }

    /// Opens new rooms for chats whose room's channel is gone. A chat closed meanwhile only
    /// loses its room (its closing has nothing left to tell agents there). A thread in the
    /// index channel the connection still uses cannot move: that channel is gone too, and
    /// only a new index channel (re-linking) helps, which the log says.
    func reopen(_ lost: [Room]) async {
        for room in lost {
            if let channel = room.threadChannelID, channel == settings.indexChannel.id {
                logger.error("The index channel is gone from Mattermost; connect the bot to another index channel",
                             metadata: ["mattermost.channel": "\(channel)"])
                continue
            }
            relayTargets.withLock { _ = $0.removeValue(forKey: room.conversationID) }
            rooms.withLock { _ = $0.removeValue(forKey: room.externalID) }
            do {
                let open = try await store.conversation(id: room.conversationID).map { $0.state != .closed } ?? false
                guard try await store.replaceRoom(of: room.conversationID, externalID: room.externalID, reopen: open) else { continue }
                logger.warning("An open chat's room is gone from Mattermost; the chat goes on in a new room", metadata: [
                    "conversation": "\(room.conversationID)", "mattermost.room": "\(room.externalID)"])
                if open { tasksAdded(room.conversationID) }
            } catch {
                logger.error("Replacing a chat's lost room failed", metadata: ["conversation": "\(room.conversationID)", "error": "\(error)"])
            }
        }
    }
}
