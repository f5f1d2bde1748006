import BatonCore

/// What happens in the room of a closed chat.
///
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
        guard !text.isEmpty || !post.fileIDs.isEmpty, !isInternal(text, in: room) else { return }
        let first = toldClosed.withLock { told in
            // Kept while Baton runs; a long-running one starts over now and then.
            if told.count >= 10_000 { told.removeAll() }
            return told.insert("\(room.externalID) \(post.userID)").inserted
        }
        guard first else { return }
        let conversation = try? await store.conversation(id: room.conversationID)
        let visitor = if let conversation { await visitorName(of: conversation) } else { words(.theVisitor) }
        // A visitor who came back is in a newer chat: the agent is pointed there.
        let newChat = if let conversation {
            (try? await store.earlierRooms(of: conversation.visitorID, excluding: conversation.id, limit: 1))?.rooms.first {
                $0.closedAt == nil && $0.createdAt > room.createdAt
            }?.link
        } else { String?.none }
        do {
            try await client.createEphemeralPost(for: post.userID, channelID: room.channelID,
                                                 message: MattermostPosts.chatIsClosed(visitor: visitor, newChat: newChat, words: words),
                                                 rootID: room.rootID)
        } catch {
            // Best effort: the relay user may not be a system admin.
            logger.notice("Telling an agent that the chat is closed failed", metadata: [
                "mattermost.room": "\(room.externalID)", "error": "\(error)"])
        }
    }
}

extension MattermostLink {
    /// An agent replied under the index channel's reminder that a visitor waits (a post of
    /// its own, with a reply arrow like any): the visitor sees nothing of that thread. The
    /// agent is told so, once per reminder, with the link to the chat itself.
    func repliedUnderReminder(_ post: MMPost) async {
        guard post.channelID == settings.indexChannel.id, !post.rootID.isEmpty, post.userID != settings.relayUser.id,
              !post.isSystem, post.deleteAt == 0, post.editAt == 0,
              (try? await room(externalID: post.rootID)) == nil,
              let root = try? await client.post(id: post.rootID), root.userID == settings.relayUser.id,
              let marker = root.batonMarker, marker.hasPrefix("remind-") else { return }
        let conversationID = ConversationID(String(marker.dropFirst("remind-".count)))
        guard let room = try? await store.room(for: conversationID),
              toldClosed.withLock({ $0.insert("reminder \(root.id) \(post.userID)").inserted }) else { return }
        let visitor = if let conversation = try? await store.conversation(id: conversationID) {
            await visitorName(of: conversation)
        } else {
            words(.theVisitor)
        }
        do {
            try await client.createEphemeralPost(for: post.userID, channelID: post.channelID,
                                                 message: MattermostPosts.reminderReply(visitor: visitor, link: room.link, words: words),
                                                 rootID: root.id)
        } catch {
            logger.notice("Telling an agent where the chat is failed", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
        }
    }

    /// The visitor rated the chat after it ended: the room is told.
    func chatRated(_ record: AgentTaskRecord, rating: ChatRating) async throws {
        try await tellRoomEvenArchived(record, marker: "rated-\(record.conversationID)", what: "rating") { visitor in
            MattermostPosts.rated(rating, visitor: visitor, words: words)
        }
    }

    /// The replies the visitor had not seen were emailed to them: the room is told (one
    /// note per email).
    func repliesEmailed(_ record: AgentTaskRecord) async throws {
        try await tellRoomEvenArchived(record, marker: "emailed-\(record.id)", what: "note of the email") { visitor in
            MattermostPosts.repliesEmailed(visitor: visitor, words: words)
        }
    }

    /// Posts a note for the conversation of `record` in its room (its thread, or its
    /// channel); an archived channel takes no posts, so then in the announcement's thread
    /// in the index channel. A room whose channel or thread is gone gets nothing.
    private func tellRoomEvenArchived(_ record: AgentTaskRecord, marker: String, what: String,
                                      _ note: (_ visitor: String) -> String) async throws {
        guard let room = try await store.room(for: record.conversationID),
              let conversation = try await store.conversation(id: record.conversationID) else { return }
        let text = note(await visitorName(of: conversation))
        do {
            var open = room.rootID != nil
            if !open { open = try await client.channel(id: room.channelID).deleteAt == 0 }
            if open {
                _ = try await postOnce(text, in: room, marker: marker, record: record)
            } else if let announcementID = room.announcementPost, let announcement = try await client.post(id: announcementID) {
                _ = try await postOnce(text, in: announcement.channelID, thread: announcement.id, marker: marker, record: record)
            }
        } catch MattermostError.server(let status, _, _) where status == 404 || status == 400 {
            logger.notice("The chat's room is gone: its \(what) is not posted", metadata: ["conversation": "\(record.conversationID)"])
        }
    }
}
