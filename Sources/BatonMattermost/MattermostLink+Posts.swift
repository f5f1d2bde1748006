import BatonCore
import Crypto

/// Baton's posts: visitor messages relayed (several to a post when they fit), and every
/// post made at most once (a marker and `pending_post_id`).
extension MattermostLink {
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
                                              record: record, through: last, relaying: first.id)
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

    /// Creates a post at most once. `pending_post_id` makes Mattermost return the first
    /// post for a resend within 30 s; after a failed attempt, and for a task queued before
    /// this link started, the channel's recent posts are searched for the marker first, for
    /// resends after a longer outage or a crash.
    ///
    /// - Parameters:
    ///   - through: for a post of several visitor messages, the id of the last one (kept in
    ///     the post's props, so that a retry knows what the first attempt covered).
    ///   - relaying: for a post of visitor messages, the first one's id: an earlier post
    ///     that carried it among others counts as this one (a process that stopped after
    ///     posting D3 to D7 together, before it deleted their tasks, may start again on D4).
    func postOnce(_ message: String, in room: Room, marker: String, record: AgentTaskRecord,
                  through: MessageID? = nil, relaying: MessageID? = nil, fileIDs: [String] = []) async throws -> MMPost {
        try await postOnce(message, in: room.channelID, thread: room.rootID, marker: marker, record: record, through: through,
                           relaying: relaying, fileIDs: fileIDs)
    }

    func postOnce(_ message: String, in channelID: String, thread rootID: String? = nil, marker: String, record: AgentTaskRecord,
                  through: MessageID? = nil, relaying: MessageID? = nil, fileIDs: [String] = []) async throws -> MMPost {
        if record.attempts > 0 || record.createdAt < startedAt {
            // Tried before, or queued before this link started: perhaps done by a link (or
            // a process) that ended before deleting the task, longer ago than Mattermost's
            // `pending_post_id` remembers. Clocks differ between machines: look well before
            // the task was created.
            // Not a deleted post: Mattermost keeps an edited post's earlier text as a deleted
            // copy (its `original_id` the post's) with the same props, the marker among them.
            let posts = try await client.posts(channelID: channelID, since: record.createdAt - 10 * 60 * 1000)
                .filter { $0.rootID == (rootID ?? "") && $0.deleteAt == 0 }
            if let earlier = posts.first(where: { $0.batonMarker == marker }) { return earlier }
            if let relaying, let earlier = posts.first(where: { $0.relaysVisitorMessage(relaying) }) { return earlier }
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
