import BatonCore

/// A closed chat's room stays in Mattermost (unless it is archived), and its thread always
/// does: an agent who writes there, thinking the visitor still reads along, would be
/// talking to nobody, a reply lost without anyone knowing. Baton tells them, once per
/// room and agent, in a note only they see (an ephemeral post, which Mattermost does not
/// keep). Internal notes, edits, deletions and system posts are left alone.
extension MattermostLink {
    func wroteInClosedRoom(_ post: MMPost, room: Room) async {
        guard post.userID != settings.relayUser.id, !post.isSystem, post.deleteAt == 0, post.editAt == 0,
              post.id != room.rootID else { return }
        let text = post.message.trimmingWhitespace()
        guard !text.isEmpty || !post.fileIDs.isEmpty, !text.hasPrefix(settings.internalPrefix) else { return }
        guard toldClosed.withLock({ $0.insert("\(room.externalID) \(post.userID)").inserted }) else { return }
        let visitor = if let conversation = try? await store.conversation(id: room.conversationID) {
            await visitorName(of: conversation)
        } else {
            "The visitor"
        }
        do {
            try await client.createEphemeralPost(for: post.userID, channelID: room.channelID,
                                                 message: MattermostPosts.chatIsClosed(visitor: visitor), rootID: room.rootID)
        } catch {
            // Best effort: the relay user may not be a system admin.
            logger.notice("Telling an agent that the chat is closed failed", metadata: [
                "mattermost.room": "\(room.externalID)", "error": "\(error)"])
        }
    }
}
