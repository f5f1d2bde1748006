/// Posts: creating (with the real server's checks), editing, deleting, and the events.
extension World {
    struct NewPost {
        var channelID: String
        var message: String
        var rootID = ""
        var props: [String: MattermostSandbox.JSON] = [:]
        var pendingPostID = ""
        var fileIDs: [String] = []
    }

    /// `App.CreatePostAsUser`, in the real order of checks: permission (403), archived
    /// channel (400), `pending_post_id` de-duplication, root post (400), message length
    /// (400), file ids (400 past 10); files that cannot be attached are dropped. Returns the
    /// post and whether it is new (false when de-duplicated).
    mutating func createPost(_ draft: NewPost, by userID: String) throws(APIError) -> (post: Post, isNew: Bool) {
        guard let channel = channels[draft.channelID], canPost(userID, channel.id) else { throw .permissions }
        guard channel.deleteAt == 0 else { throw .deletedChannelPost }
        if !draft.pendingPostID.isEmpty, let seen = pendingPosts[draft.pendingPostID],
           ContinuousClock.now - seen.at < configuration.pendingPostWindow,
           let earlier = posts[seen.postID], canRead(userID, channels[earlier.channelID] ?? channel) {
            return (earlier, false)
        }
        if !draft.rootID.isEmpty {
            guard let root = posts[draft.rootID], root.deleteAt == 0, root.rootID.isEmpty else { throw .invalidRootID }
            guard root.channelID == channel.id else {
                throw APIError("api.post.create_post.channel_root_id.app_error", "Invalid ChannelId for RootId parameter.", status: 400)
            }
        }
        let length = draft.message.unicodeScalars.count
        guard length <= configuration.maxPostRunes else { throw .messageTooLong(length, max: configuration.maxPostRunes) }
        guard Self.fileIDsFit(draft.fileIDs) else { throw .invalidFileIDs }
        let post = insertPost(in: channel.id, by: userID, type: "", message: draft.message, rootID: draft.rootID,
                              props: draft.props, pendingPostID: draft.pendingPostID,
                              fileIDs: attachableFiles(draft.fileIDs, in: channel.id, by: userID))
        if !draft.pendingPostID.isEmpty { pendingPosts[draft.pendingPostID] = (post.id, ContinuousClock.now) }
        let time = post.createAt
        channelMembers[channel.id]?[userID]?.lastViewedAt = time
        return (post, true)
    }

    /// `SendEphemeralPost`: a post only `userID` sees, for now (`ephemeral_message` to
    /// their sockets); it is not stored, so no one reads it later. Like the real server it
    /// checks the ids' form only: to an unknown user it goes nowhere.
    mutating func sendEphemeralPost(to userID: String, channelID: String, message: String, rootID: String,
                                    by senderID: String) throws(APIError) -> Post {
        guard Identifiers.isValid(userID) else { throw .invalidParam("user_id") }
        guard !channelID.isEmpty else { throw .invalidParam("channel_id") }
        guard isSystemAdmin(senderID) else { throw .permissions }
        let time = now()
        let post = Post(id: Identifiers.newID(), channelID: channelID, userID: senderID, rootID: rootID, message: message,
                        type: "system_ephemeral", props: [:], createAt: time, updateAt: time, editAt: 0, deleteAt: 0,
                        pendingPostID: "", isPinned: false)
        ephemeralPosts.append((userID, post))
        publish(SocketEvent(name: "ephemeral_message", data: ["post": .json(.string(postText(post)))], broadcast: .init(userID: userID)))
        return post
    }

    /// A system post (join, add, archive …), stored and broadcast like any other post.
    @discardableResult
    mutating func insertSystemPost(in channelID: String, by userID: String, type: String, message: String,
                                   props: [String: MattermostSandbox.JSON]) -> Post {
        insertPost(in: channelID, by: userID, type: type, message: message, rootID: "", props: props, pendingPostID: "")
    }

    private mutating func insertPost(in channelID: String, by userID: String, type: String, message: String, rootID: String,
                                     props: [String: MattermostSandbox.JSON], pendingPostID: String,
                                     fileIDs: [String] = []) -> Post {
        let time = now()
        let post = Post(id: Identifiers.newID(), channelID: channelID, userID: userID, rootID: rootID, message: message,
                        type: type, props: props, createAt: time, updateAt: time, editAt: 0, deleteAt: 0,
                        pendingPostID: pendingPostID, isPinned: false, fileIDs: fileIDs)
        posts[post.id] = post
        for fileID in fileIDs { files[fileID]?.postID = post.id }
        channelPosts[channelID, default: []].append(post.id)
        channels[channelID]?.lastPostAt = time
        channels[channelID]?.totalMessageCount += 1
        if rootID.isEmpty {
            channels[channelID]?.lastRootPostAt = time
            channels[channelID]?.totalRootMessageCount += 1
        } else {
            replyIDs[rootID, default: []].append(post.id)
        }
        let mentioned = mentions(in: post)
        for member in mentioned { channelMembers[channelID]?[member]?.mentionCount += 1 }
        publishPosted(post, mentioning: mentioned)
        for observer in postObservers { observer(post) }
        return post
    }

    private func publishPosted(_ post: Post, mentioning mentioned: [String]) {
        guard let channel = channels[post.channelID] else { return }
        let sender = post.isSystemPost ? "System" : "@\(users[post.userID]?.username ?? "")"
        var data: [String: SocketEvent.Value] = [
            "channel_display_name": .json(.string(channel.displayName)),
            "channel_name": .json(.string(channel.name)),
            "channel_type": .json(.string(channel.type)),
            "post": .json(.string(postText(post))),
            "sender_name": .json(.string(sender)),
            "set_online": .json(.bool(true)),
            "team_id": .json(.string(channel.teamID)),
        ]
        if !mentioned.isEmpty {
            var writer = GoJSONWriter()
            writer.array(mentioned) { $0.string($1) }
            data["mentions"] = .json(.string(writer.text))
        }
        publish(SocketEvent(name: "posted", data: data, broadcast: .init(channelID: channel.id)))
    }

    /// Channel members other than the author a user post mentions (`MentionParser`):
    /// by `@username`, or all of them with `@all`, `@channel` or `@here`.
    private func mentions(in post: Post) -> [String] {
        guard !post.isSystemPost, post.message.utf8.contains(UInt8(ascii: "@")) else { return [] }
        let members = (channelMembers[post.channelID] ?? [:]).keys.filter { $0 != post.userID }
        let keywords = Set(members.compactMap { users[$0].map { "@" + $0.username.lowercased() } })
        let found = MentionParser.mentions(in: post.message, keywords: keywords)
        let everyone = !found.isDisjoint(with: ["@all", "@channel", "@here"])
        return members.filter { everyone || found.contains("@" + (users[$0]?.username.lowercased() ?? "")) }.sorted()
    }

    /// `PUT /posts/{id}/patch` after the caller's permission check: 400 in an archived
    /// channel or over the length limit; sets `edit_at` and `update_at`; `post_edited`.
    mutating func patchPost(_ postID: String, message: String?, props: [String: MattermostSandbox.JSON]?,
                            isPinned: Bool?) throws(APIError) -> Post {
        guard var post = posts[postID], post.deleteAt == 0 else { throw .permissions }
        let limit = configuration.postEditTimeLimit
        if limit != -1, let message, message != post.message, now() > post.createAt + Int64(limit) * 1000 {
            throw .editTimeLimit(limit)
        }
        guard channels[post.channelID]?.deleteAt == 0 else { throw .deletedChannelEdit }
        if let message {
            let length = message.unicodeScalars.count
            guard length <= configuration.maxPostRunes else { throw .messageTooLong(length, max: configuration.maxPostRunes) }
        }
        let time = now()
        if let message, message != post.message {
            // The real server keeps the text before the edit as a post of its own, deleted
            // at once, which `since` answers list with the rest.
            var history = Post(id: Identifiers.newID(), channelID: post.channelID, userID: post.userID, rootID: post.rootID,
                               message: post.message, type: post.type, props: post.props, createAt: post.createAt, updateAt: time,
                               editAt: post.editAt, deleteAt: time, pendingPostID: post.pendingPostID, isPinned: post.isPinned,
                               fileIDs: post.fileIDs)
            history.originalID = post.id
            editHistory[post.channelID, default: []].append(history)
            post.message = message
            post.editAt = time
        }
        if let props { post.props = props }
        if let isPinned { post.isPinned = isPinned }
        post.updateAt = time
        posts[postID] = post
        publish(SocketEvent(name: "post_edited", data: ["post": .json(.string(postText(post)))],
                            broadcast: .init(channelID: post.channelID)))
        return post
    }

    /// Deletes a post (and, for a root, its replies, as the real server does) and the
    /// post's own files.
    mutating func deletePost(_ postID: String, by userID: String) throws(APIError) -> Post {
        guard var post = posts[postID], post.deleteAt == 0 else { throw .missingPost }
        guard channels[post.channelID]?.deleteAt == 0 else {
            throw APIError("api.post.delete_post.can_not_delete_post_in_deleted.error", "Can not delete a post in an archived channel.",
                           status: 400)
        }
        let time = now()
        // The event carries the post as it was read before the deletion (`delete_at` 0),
        // as the real server's `DeletePost` marshals it.
        let before = post
        post.deleteAt = time
        post.updateAt = time
        posts[postID] = post
        publish(SocketEvent(name: "post_deleted",
                            data: ["post": .json(.string(postText(before))), "delete_by": .json(.string(userID))],
                            broadcast: .init(channelID: post.channelID)))
        deleteFiles(of: post, at: time)
        if post.rootID.isEmpty {
            for reply in replies(to: post.id, in: post.channelID) {
                posts[reply.id]?.deleteAt = time
                posts[reply.id]?.updateAt = time
            }
        }
        return post
    }

    /// Typing in a channel (or a thread): everyone in the channel but the typist.
    func publishTyping(_ userID: String, in channelID: String, parentID: String) {
        publish(SocketEvent(name: "typing",
                            data: ["parent_id": .json(.string(parentID)), "user_id": .json(.string(userID))],
                            broadcast: .init(omitUsers: [userID], channelID: channelID)))
    }
}
