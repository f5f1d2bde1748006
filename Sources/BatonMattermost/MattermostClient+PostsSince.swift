import BatonCore

/// Catching up on a channel: every post changed since a time, however many.
extension MattermostClient {
    /// The channel's posts changed after `since` (ms: new, edited, deleted), oldest first.
    /// Mattermost answers at most 1,000 at a time, usually the first changed: a full answer
    /// is followed by another from the last change in it, until one brings nothing new.
    /// "Usually": the server's query takes 1,000 of the changed posts in whatever order its
    /// database reads them (the reference: "no guarantee that the returned posts will be
    /// consecutive"), so after a full answer the posts made since `since` are read again by
    /// creation too, a page at a time: none is missed, whatever the order was (an edit of
    /// an older post could still be).
    public func posts(channelID: String, since: Int64) async throws -> [MMPost] {
        var found: [MMPost] = [], index: [String: Int] = [:]
        var from = max(1, since)
        var truncated = false
        for _ in 0..<1000 {
            let list = try await request(.GET, "/api/v4/channels/\(channelID)/posts", query: [("since", "\(from)")], as: MMPostList.self)
            var fresh = false
            for post in list.chronological {
                if let at = index[post.id] {
                    if post.updateAt > found[at].updateAt { found[at] = post; fresh = true }
                } else {
                    index[post.id] = found.count
                    found.append(post)
                    fresh = true
                }
            }
            // Replies' roots come along without counting: only the changed posts do.
            let changed = list.posts.values.filter { $0.updateAt > from }
            if changed.count >= Self.postsSinceLimit { truncated = true }
            guard changed.count >= Self.postsSinceLimit, fresh, let last = changed.map(\.updateAt).max() else { break }
            // From the last change's own millisecond: others of that millisecond may be next.
            from = last - 1
        }
        if truncated { try await addPostsMade(in: channelID, since: since, to: &found, index: &index) }
        guard found.count > 1 else { return found }
        // In the order they were made; each answer's own order stands for one millisecond.
        return found.enumerated().sorted { ($0.element.createAt, $0.offset) < ($1.element.createAt, $1.offset) }.map(\.element)
    }

    /// Adds the posts made in the channel after `since` that `found` lacks, read a page at a
    /// time by creation, newest first, back to `since`.
    private func addPostsMade(in channelID: String, since: Int64, to found: inout [MMPost], index: inout [String: Int]) async throws {
        for page in 0..<Self.pagesAfterFullAnswer {
            let list = try await request(.GET, "/api/v4/channels/\(channelID)/posts",
                                         query: [("page", "\(page)"), ("per_page", "\(Self.postsPerPage)")], as: MMPostList.self)
            // Newest first (taken oldest first, as the posts of one millisecond were made);
            // the threads of those posts come along unlisted in `order`.
            let listed = list.order.compactMap { list.posts[$0] }
            for post in listed.reversed() where post.createAt > since && index[post.id] == nil {
                index[post.id] = found.count
                found.append(post)
            }
            if listed.count < Self.postsPerPage || listed.contains(where: { $0.createAt <= since }) { return }
        }
        logger.warning("A catch-up read the newest posts of a channel but not all those made since it was last read: the oldest are skipped",
                       metadata: ["mattermost.channel": "\(channelID)", "posts": "\(Self.pagesAfterFullAnswer * Self.postsPerPage)"])
    }

    /// Most posts one `since` answer holds (the server's `LIMIT 1000`).
    static let postsSinceLimit = 1000
    /// The largest page Mattermost gives (`per_page`), and how many pages of posts made
    /// since a cursor are read after a full `since` answer (20,000 posts).
    static let postsPerPage = 200
    static let pagesAfterFullAnswer = 100
}
