/// Acting as users, as if they used the Mattermost app: each change writes the posts and
/// broadcasts the events the real server would. Users are given by id or username.
/// Refusals throw `APIError`, for the same reasons the REST API would refuse.
extension MattermostSandbox {
    /// A post (a reply when `rootID` is given); broadcasts `posted`. `files` are ids the
    /// author uploaded into the channel (`upload(as:in:name:data:)`); as on the real server,
    /// those that cannot be attached are dropped, and more than 10 are refused.
    @discardableResult
    public func post(as user: String, in channelID: String, _ message: String, rootID: String? = nil,
                     props: [String: JSON] = [:], files: [String] = []) throws(APIError) -> Post {
        try act { (world: inout World) throws(APIError) in
            let author = try world.actor(user)
            let draft = World.NewPost(channelID: channelID, message: message, rootID: rootID ?? "", props: props, fileIDs: files)
            return try world.createPost(draft, by: author.id).post
        }
    }

    /// The user uploads a file into a channel, to attach to a post with `post(…, files:)`.
    /// Refused like `POST /files`: 403 outside the channel, 413 over `maxFileSize`.
    @discardableResult
    public func upload(as user: String, in channelID: String, name: String, data: [UInt8]) throws(APIError) -> FileInfo {
        try act { (world: inout World) throws(APIError) in
            let uploader = try world.actor(user)
            try world.checkCanUpload(uploader.id, channelID)
            return try world.storeFile(named: name, contents: data[...], in: channelID, by: uploader.id)
        }
    }

    /// The user starts typing in a channel (or a thread); broadcasts `typing` to the others.
    public func typing(as user: String, in channelID: String, parentID: String = "") throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let typist = try world.actor(user)
            guard world.canPost(typist.id, channelID) else { throw .permissions }
            world.publishTyping(typist.id, in: channelID, parentID: parentID)
        }
    }

    /// The user joins a public channel by following a link: membership,
    /// `system_join_channel`, `user_added`. Private channels cannot be joined this way.
    public func join(_ user: String, channel channelID: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let member = try world.actor(user)
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard channel.type == "O", channel.deleteAt == 0 else { throw .permissions }
            _ = try world.addChannelMember(member.id, to: channelID, by: member.id)
        }
    }

    /// `actor` (a channel member or an admin) adds `user`, who must be on the team:
    /// `system_add_to_channel`, `user_added`.
    public func addToChannel(_ user: String, channel channelID: String, by actor: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let member = try world.actor(user)
            let adder = try world.actor(actor)
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.isChannelMember(adder.id, channelID) || world.isTeamAdmin(adder.id, channel.teamID) else {
                throw .permissions
            }
            _ = try world.addChannelMember(member.id, to: channelID, by: adder.id)
        }
    }

    /// The user leaves (or `by` removes them from) a channel: the system post, then
    /// `user_removed` to the channel and to the user.
    public func removeFromChannel(_ user: String, channel channelID: String, by remover: String? = nil) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let member = try world.actor(user)
            let actor = try remover.map { (reference: String) throws(APIError) in try world.actor(reference) } ?? member
            try world.removeChannelMember(member.id, from: channelID, by: actor.id)
        }
    }

    /// `remover` (a team admin) takes `user` off a team, as the real server's
    /// `RemoveUserFromTeam` does: the user leaves the team's channels, town-square says so,
    /// `leave_team` goes to the team, and the membership stays with `delete_at` set.
    /// Adding them to a team channel is then refused (400) until they join the team again.
    public func removeFromTeam(_ user: String, team: String, by remover: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let member = try world.actor(user)
            let actor = try world.actor(remover)
            let teamID = world.resolveTeam(team)
            guard world.isTeamAdmin(actor.id, teamID) else { throw .permissions }
            guard world.isTeamMember(member.id, teamID) else { throw .missingTeamMember }
            let time = world.now()
            for channel in world.channels.values where channel.teamID == teamID && world.isChannelMember(member.id, channel.id) {
                world.channelMembers[channel.id]?[member.id] = nil
            }
            if let square = world.channel(team: teamID, name: "town-square") {
                world.insertSystemPost(in: square.id, by: actor.id, type: "system_remove_from_team",
                                       message: "\(member.username) was removed from the team.",
                                       props: ["removedUserId": .string(member.id), "removedUsername": .string(member.username),
                                               "userId": .string(actor.id), "username": .string(actor.username)])
            }
            world.teamMembers[teamID]?[member.id]?.deleteAt = time
            world.publish(SocketEvent(name: "leave_team", data: ["team_id": .json(.string(teamID)), "user_id": .json(.string(member.id))],
                                      broadcast: .init(teamID: teamID)))
        }
    }

    /// Archives a channel: `system_channel_deleted`, `delete_at`, `channel_deleted`. The
    /// user must be a member of the channel, a team admin or a system admin (`canArchive`).
    public func archive(_ channelID: String, by user: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let actor = try world.actor(user)
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canArchive(actor.id, channel) else { throw .permissions }
            try world.archive(channelID, by: actor.id)
        }
    }

    /// Restores an archived channel (`POST /channels/{id}/restore`, as its route does).
    public func restore(_ channelID: String, by user: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let actor = try world.actor(user)
            _ = try world.restore(channelID, by: actor.id)
        }
    }

    /// Deletes a channel for good (`DELETE /channels/{id}?permanent=true` by a system
    /// admin): it, its posts and members are gone, and no event says so.
    public func deletePermanently(_ channelID: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in try world.permanentlyDelete(channelID) }
    }

    /// Changes a channel's display name, header or purpose (nil leaves one alone): a system
    /// post for each change, then `channel_updated`. Members and admins may do it.
    @discardableResult
    public func patchChannel(_ channelID: String, displayName: String? = nil, header: String? = nil, purpose: String? = nil,
                             by user: String) throws(APIError) -> Channel {
        try act { (world: inout World) throws(APIError) in
            let actor = try world.actor(user)
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.isChannelMember(actor.id, channelID) || world.isTeamAdmin(actor.id, channel.teamID) else { throw .permissions }
            return try world.patchChannel(channelID, name: nil, displayName: displayName, header: header, purpose: purpose,
                                          by: actor.id)
        }
    }

    /// Edits a post's message: `edit_at`/`update_at`, `post_edited`.
    @discardableResult
    public func editPost(_ postID: String, message: String, by user: String) throws(APIError) -> Post {
        try act { (world: inout World) throws(APIError) in
            let editor = try world.actor(user)
            guard let post = world.posts[postID], post.userID == editor.id || editor.isSystemAdmin else { throw .permissions }
            return try world.patchPost(postID, message: message, props: nil, isPinned: nil)
        }
    }

    /// Deletes a post: `delete_at`/`update_at`, `post_deleted`.
    public func deletePost(_ postID: String, by user: String) throws(APIError) {
        try act { (world: inout World) throws(APIError) in
            let actor = try world.actor(user)
            _ = try world.deletePost(postID, by: actor.id)
        }
    }

    private func act<R: Sendable>(_ body: (inout World) throws(APIError) -> R) throws(APIError) -> R {
        try core.world.withLock { (world: inout World) throws(APIError) -> R in try body(&world) }
    }
}

extension World {
    /// A user named by id or username, or the real server's 404 for a missing account.
    func actor(_ reference: String) throws(APIError) -> User {
        guard let user = user(reference) else { throw .missingUser }
        return user
    }

    /// `RemoveUserFromChannel`: the leave/remove post while still a member, then the
    /// membership goes, then `user_removed` to the channel and to the removed user.
    mutating func removeChannelMember(_ userID: String, from channelID: String, by actorID: String) throws(APIError) {
        guard let channel = channels[channelID] else { throw .missingChannel }
        guard channel.name != "town-square" else {
            throw APIError("api.channel.remove.default.app_error", "Unable to remove user from the default channel town-square.", status: 400)
        }
        guard isChannelMember(userID, channelID), let user = users[userID] else { return }
        if actorID == userID {
            insertSystemPost(in: channelID, by: userID, type: "system_leave_channel", message: "\(user.username) left the channel.",
                             props: ["username": .string(user.username)])
        } else {
            let actor = users[actorID] ?? user
            insertSystemPost(in: channelID, by: actorID, type: "system_remove_from_channel",
                             message: "\(user.username) removed from the channel.",
                             props: ["removedUserId": .string(userID), "removedUsername": .string(user.username),
                                     "userId": .string(actor.id), "username": .string(actor.username)])
        }
        channelMembers[channelID]?[userID] = nil
        publish(SocketEvent(name: "user_removed",
                            data: ["user_id": .json(.string(userID)), "remover_id": .json(.string(actorID))],
                            broadcast: .init(channelID: channelID)))
        publish(SocketEvent(name: "user_removed",
                            data: ["channel_id": .json(.string(channelID)), "remover_id": .json(.string(actorID))],
                            broadcast: .init(userID: userID)))
    }
}
