import BatonCore

/// Erasing a chat's traces in Mattermost (`AgentTask.eraseRoom`), when a conversation or a
/// visitor was erased "in Mattermost too" (the dashboard, or the admin API's
/// `?mattermost=erase`): the room, its announcement and any reminder of it go.
///
/// - A channel room is deleted for good where the server allows it
///   (`ServiceSettings.EnableAPIChannelDeletion`). Elsewhere the best the API can do: the
///   channel is unarchived if it was, renamed "Erased chat" (its name showed the visitor's),
///   every post in it deleted (Mattermost keeps deleted posts in its database, hidden from
///   everyone), and archived again.
/// - A thread room goes with its first post, the announcement: Mattermost deletes a
///   thread's replies with it.
/// - The announcement of a channel room, and the reminder of a visitor who waited, are
///   deleted from the index channel (the one of the chat's time, and the one now).
/// - A post in an archived channel (an index channel an admin archived) is deleted with
///   the channel unarchived for it, then archived again.
///
/// Each step is safe to repeat, so a task retried after a failure finishes the job.
extension MattermostLink {
    func eraseRoom(_ room: Room) async throws {
        // This link's memory of the room goes first: later events of it are nobody's.
        rooms.withLock { _ = $0.removeValue(forKey: room.externalID) }
        relayTargets.withLock { _ = $0.removeValue(forKey: room.conversationID) }
        // The index channels the chat was announced in (the one of its time may not be the
        // connection's now): its reminder is in one of them.
        var indexChannels = [settings.indexChannel.id]
        if let channel = room.threadChannelID {
            indexChannels.append(channel)
        } else if let announcement = room.announcementPost, let post = (try? await client.post(id: announcement)) ?? nil {
            indexChannels.append(post.channelID)
        }
        if room.threadChannelID != nil {
            try await deleteEvenArchived(room.externalID)
        } else {
            try await eraseChannel(room.externalID)
            if let announcement = room.announcementPost { try await deleteEvenArchived(announcement) }
        }
        for channel in Set(indexChannels) { try await eraseReminder(of: room, in: channel) }
        logger.notice("Erased a chat's room in Mattermost", metadata: [
            "conversation": "\(room.conversationID)", "mattermost.room": "\(room.externalID)"])
    }

    private func eraseChannel(_ channelID: String) async throws {
        do {
            try await client.deleteChannelPermanently(id: channelID)
            return
        } catch MattermostError.server(401, _, _) {
            // Permanent deletion is turned off on this server: hide what can be hidden.
        }
        let channel: MMChannel
        do {
            channel = try await client.channel(id: channelID)
        } catch MattermostError.server(404, _, _) {
            return
        }
        // Posts of an archived channel cannot be deleted.
        if channel.deleteAt != 0 { try await client.restoreChannel(id: channelID) }
        if channel.displayName != words(.erasedChat) {
            try await client.renameChannel(id: channelID, displayName: words(.erasedChat))
        }
        // The system posts too ("… updated the channel display name from: Grace …"), as far
        // as the server lets them go: one it keeps does not hold the rest up. A server
        // answers a limited number of posts at a time: read again until none is left.
        var kept = Set<String>()
        for _ in 0..<Self.erasureRounds {
            let left = try await client.posts(channelID: channelID, since: 1).filter { $0.deleteAt == 0 && !kept.contains($0.id) }
            if left.isEmpty { break }
            for post in left {
                do {
                    try await client.deletePost(id: post.id)
                } catch where post.isSystem {
                    kept.insert(post.id)
                    logger.warning("Mattermost kept a system post of an erased room", metadata: [
                        "mattermost.post": "\(post.id)", "type": "\(post.type)", "error": "\(error)"])
                }
            }
        }
        try await client.archiveChannel(id: channelID)
    }

    /// Reads of an erased room's posts, at most (each deletes what it found).
    static let erasureRounds = 50

    /// The reminder in an index channel that the visitor was waiting (found by its marker,
    /// among the posts since the room was made).
    private func eraseReminder(of room: Room, in channelID: String) async throws {
        let marker = "remind-\(room.conversationID)"
        let posts: [MMPost]
        do {
            posts = try await client.posts(channelID: channelID, since: room.createdAt)
        } catch MattermostError.server(404, _, _) {
            return  // the channel is gone, and what was in it
        }
        for post in posts where post.batonMarker == marker && post.deleteAt == 0 {
            try await deleteEvenArchived(post.id)
        }
    }

    /// Deletes a post, also in an archived channel (an index channel an admin archived,
    /// which closed its chats): Mattermost deletes no post there, so the channel is
    /// unarchived for it and archived again.
    private func deleteEvenArchived(_ postID: String) async throws {
        do {
            try await client.deletePost(id: postID)
        } catch {
            guard let post = try await client.post(id: postID), let channel = try? await client.channel(id: post.channelID),
                  channel.deleteAt != 0 else { throw error }
            try await client.restoreChannel(id: channel.id)
            try await client.deletePost(id: postID)
            try await client.archiveChannel(id: channel.id)
        }
    }
}
