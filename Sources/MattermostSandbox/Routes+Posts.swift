/// `/posts…` and the post list of a channel.
enum PostRoutes {
    typealias APIError = MattermostSandbox.APIError
    typealias JSON = MattermostSandbox.JSON

    static func register(_ table: inout RouteTable) {
        table.add("POST", "posts", createPost)
        table.add("POST", "posts/ephemeral", createEphemeralPost)
        table.add("GET", "posts/{post_id}", getPost)
        table.add("DELETE", "posts/{post_id}", deletePost)
        table.add("PUT", "posts/{post_id}/patch", patchPost)
    }

    struct NewPost: Decodable {
        var channel_id: String?
        var message: String?
        var root_id: String?
        var props: [String: JSON]?
        var pending_post_id: String?
        var file_ids: [String]?
    }

    /// 201 with the post; a retry with the same `pending_post_id` within the window gets
    /// the first post back (still 201) and creates nothing.
    static func createPost(_ call: Call) throws(APIError) -> Reply {
        let body = try call.decode(NewPost.self, parameter: "post")
        var props = body.props ?? [:]
        // The real server strips these before saving (`Post.SanitizeProps`).
        props["add_channel_member"] = nil
        props["force_notification"] = nil
        let draft = World.NewPost(channelID: body.channel_id ?? "", message: body.message ?? "", rootID: body.root_id ?? "",
                                  props: props, pendingPostID: body.pending_post_id ?? "", fileIDs: body.file_ids ?? [])
        return try call.world { (world: inout World) throws(APIError) in
            let (post, _) = try world.createPost(draft, by: call.userID)
            return Reply.json(201) { world.write(post, to: &$0) }
        }
    }

    struct EphemeralRequest: Decodable {
        struct Draft: Decodable {
            var channel_id: String?
            var message: String?
            var root_id: String?
        }
        var user_id: String?
        var post: Draft?
    }

    /// 201 with the post, which only `user_id` sees (system admins only).
    static func createEphemeralPost(_ call: Call) throws(APIError) -> Reply {
        let body = try call.decode(EphemeralRequest.self, parameter: "post")
        return try call.world { (world: inout World) throws(APIError) in
            let post = try world.sendEphemeralPost(to: body.user_id ?? "", channelID: body.post?.channel_id ?? "",
                                                   message: body.post?.message ?? "", rootID: body.post?.root_id ?? "", by: call.userID)
            return Reply.json(201) { world.write(post, to: &$0) }
        }
    }

    static func getPost(_ call: Call) throws(APIError) -> Reply {
        let postID = try call.id("post_id")
        return try call.world { (world: inout World) throws(APIError) in
            guard let post = world.posts[postID], post.deleteAt == 0 else { throw .missingPost }
            guard let channel = world.channels[post.channelID], world.canRead(call.userID, channel) else { throw .permissions }
            return Reply.json { world.write(post, to: &$0) }
        }
    }

    static func deletePost(_ call: Call) throws(APIError) -> Reply {
        let postID = try call.id("post_id")
        try call.world { (world: inout World) throws(APIError) in
            guard let post = world.posts[postID], post.deleteAt == 0 else { throw .permissions }
            guard post.userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            _ = try world.deletePost(postID, by: call.userID)
        }
        return .statusOK
    }

    struct Patch: Decodable {
        var message: String?
        var props: [String: JSON]?
        var is_pinned: Bool?
        var file_ids: [String]?
        var has_reactions: Bool?
    }

    /// Authors edit their own posts, system admins anyone's; a missing post is a 403, as
    /// on the real server.
    static func patchPost(_ call: Call) throws(APIError) -> Reply {
        let postID = try call.id("post_id")
        let patch = try call.decode(Patch.self, parameter: "post")
        return try call.world { (world: inout World) throws(APIError) in
            guard let post = world.posts[postID], post.deleteAt == 0 else { throw .permissions }
            guard post.userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            let patched = try world.patchPost(postID, message: patch.message, props: patch.props, isPinned: patch.is_pinned)
            return Reply.json { world.write(patched, to: &$0) }
        }
    }

    /// `since` (posts updated after it), `after`/`before` a post, or a page, newest first.
    static func postsForChannel(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        var since: Int64 = 0
        if let text = call.query["since"], !text.isEmpty {
            guard let value = Int64(text) else { throw .invalidParam("since") }
            since = value
        }
        let after = call.query["after"] ?? ""
        let before = call.query["before"] ?? ""
        guard after.isEmpty || Identifiers.isValid(after) else { throw .invalidParam("after") }
        guard before.isEmpty || Identifiers.isValid(before) else { throw .invalidParam("before") }
        let (page, perPage) = call.paging()
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canRead(call.userID, channel) else { throw .permissions }
            let list: World.PostListPage
            if since > 0 {
                let configuration = call.core.configuration
                list = world.postsSince(channelID, since: since, limit: configuration.maxPostsSince, newestFirst: configuration.postsSinceNewestFirst)
            } else if !after.isEmpty {
                list = world.posts(channelID, around: after, after: true, page: page, perPage: perPage)
            } else if !before.isEmpty {
                list = world.posts(channelID, around: before, after: false, page: page, perPage: perPage)
            } else {
                list = world.postsPage(channelID, page: page, perPage: perPage)
            }
            return Reply.json {
                world.writePostList(order: list.order.map(\.id), posts: list.order + list.related, next: list.next,
                                    previous: list.previous, hasNext: list.hasNext, to: &$0)
            }
        }
    }
}
