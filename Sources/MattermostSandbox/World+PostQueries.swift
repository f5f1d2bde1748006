/// The post lists of `GET /channels/{id}/posts`.
extension World {
    struct PostListPage {
        var order: [Post]
        var related: [Post]
        var next = ""
        var previous = ""
        var hasNext = false
    }

    /// Posts updated after `since` (edited and deleted ones too), at most `limit` of them,
    /// plus the roots of any replies among them, newest first; no cursors, as the real
    /// server answers.
    func postsSince(_ channelID: String, since: Int64, limit: Int, newestFirst: Bool = false) -> PostListPage {
        // The edit history rows too, each where it was made (by creation, as the posts are).
        let all = (postsOf(channelID) + (editHistory[channelID] ?? [])).enumerated()
            .sorted { ($0.element.createAt, $0.offset) < ($1.element.createAt, $1.offset) }.map(\.element)
        let changed = all.filter { $0.updateAt > since }
        let picked = newestFirst
            ? Set(changed.suffix(limit).map(\.id))
            : Set(changed.enumerated().sorted { ($0.element.updateAt, $0.offset) < ($1.element.updateAt, $1.offset) }.prefix(limit).map(\.element.id))
        let pickedPosts = all.filter { picked.contains($0.id) }
        let rootIDs = Set(pickedPosts.map(\.rootID).filter { !$0.isEmpty })
        let included = all.filter { picked.contains($0.id) || rootIDs.contains($0.id) }
        return PostListPage(order: included.reversed(), related: [])
    }

    /// A page of live posts, newest first, with the threads of those posts in `posts`.
    func postsPage(_ channelID: String, page: Int, perPage: Int) -> PostListPage {
        let live = postsOf(channelID).filter { $0.deleteAt == 0 }.reversed()
        let slice = Array(live.dropFirst(page * perPage).prefix(perPage))
        return withCursors(PostListPage(order: slice, related: threads(of: slice, in: channelID)), in: channelID)
    }

    /// Live posts just after (older → newer) or before a post, newest first.
    func posts(_ channelID: String, around postID: String, after: Bool, page: Int, perPage: Int) -> PostListPage {
        let live = postsOf(channelID).filter { $0.deleteAt == 0 }
        guard let index = live.firstIndex(where: { $0.id == postID }) else { return PostListPage(order: [], related: []) }
        var result: PostListPage
        if after {
            let later = live[(index + 1)...]
            let slice = Array(later.dropFirst(page * perPage).prefix(perPage))
            result = PostListPage(order: slice.reversed(), related: threads(of: slice, in: channelID))
            result.hasNext = later.count > (page + 1) * perPage
            result = withCursors(result, in: channelID)
            if page == 0 { result.previous = postID }
            if slice.count < perPage { result.next = "" }
        } else {
            let earlier = live[..<index].reversed()
            let slice = Array(earlier.dropFirst(page * perPage).prefix(perPage))
            result = withCursors(PostListPage(order: slice, related: threads(of: slice, in: channelID)), in: channelID)
            if page == 0 { result.next = postID }
            if slice.count < perPage { result.previous = "" }
        }
        return result
    }

    /// Roots of replies in the list and replies to roots in it, for the `posts` map.
    private func threads(of listed: [Post], in channelID: String) -> [Post] {
        let listedIDs = Set(listed.map(\.id))
        let threadIDs = Set(listed.map { $0.rootID.isEmpty ? $0.id : $0.rootID })
        return postsOf(channelID).filter { post in
            post.deleteAt == 0 && !listedIDs.contains(post.id)
                && (threadIDs.contains(post.id) || threadIDs.contains(post.rootID))
        }
    }

    /// `next_post_id`: the post right after the newest listed; `prev_post_id`: the one
    /// right before the oldest (`GetNextPostIdFromPostList` and its twin).
    private func withCursors(_ page: PostListPage, in channelID: String) -> PostListPage {
        var page = page
        let live = postsOf(channelID).filter { $0.deleteAt == 0 }
        if let newest = page.order.first, let index = live.firstIndex(where: { $0.id == newest.id }), index + 1 < live.count {
            page.next = live[index + 1].id
        }
        if let oldest = page.order.last, let index = live.firstIndex(where: { $0.id == oldest.id }), index > 0 {
            page.previous = live[index - 1].id
        }
        return page
    }
}
