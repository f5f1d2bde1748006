/// Channels: creation, membership and archiving.
extension World {
    /// `model.Channel.IsValid` for what a client can set, then the uniqueness of the name.
    mutating func createChannel(team teamID: String, name: String, displayName: String, type: String, purpose: String,
                                header: String, creator creatorID: String) throws(APIError) -> Channel {
        guard teams[teamID] != nil else { throw .invalidParam("team_id") }
        guard Self.isValidChannelName(name) else {
            throw .invalidChannel("name", "Name must be 1 or more lowercase alphanumeric characters.")
        }
        // Runes, as Mattermost counts (`utf8.RuneCountInString`), not characters.
        guard (1...64).contains(displayName.unicodeScalars.count) else {
            throw .invalidChannel("display_name", "Invalid display name.")
        }
        guard type == "O" || type == "P" else { throw .invalidChannel("type", "Invalid type.") }
        guard purpose.count <= 250 else { throw .invalidChannel("purpose", "Invalid purpose.") }
        guard header.count <= 1024 else { throw .invalidChannel("header", "Invalid header.") }
        // The team's channel limit first (the handler's check), then the name (the store's):
        // a retried creation that took the last place gets the limit, not "exists".
        let limit = configuration.maxChannelsPerTeam
        guard channels.values.count(where: { $0.teamID == teamID }) + 1 <= limit else { throw .channelLimit(limit) }
        // Archived channels keep their names: the unique key is (team, name).
        guard channel(team: teamID, name: name) == nil else { throw .channelExists }
        let time = now()
        let channel = Channel(id: Identifiers.newID(), teamID: teamID, name: name, displayName: displayName, type: type,
                              purpose: purpose, header: header, creatorID: creatorID, createAt: time, updateAt: time,
                              deleteAt: 0, lastPostAt: time, totalMessageCount: 0, lastRootPostAt: time,
                              totalRootMessageCount: 0)
        channels[channel.id] = channel
        channelPosts[channel.id] = []
        channelMembers[channel.id] = [:]
        if users[creatorID] != nil {
            joinChannel(creatorID, channel.id, admin: true)
            publish(SocketEvent(name: "channel_created",
                                data: ["channel_id": .json(.string(channel.id)), "team_id": .json(.string(teamID))],
                                broadcast: .init(userID: creatorID)))
        }
        return channel
    }

    /// `model.IsValidChannelIdentifier`: 1–64 of a-z 0-9 - _, beginning with a letter or
    /// digit (the real pattern is `^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$`).
    static func isValidChannelName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        let isAlphanumeric = { (byte: UInt8) in (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Adds the membership record only (no post, no event).
    mutating func joinChannel(_ userID: String, _ channelID: String, admin: Bool = false) {
        guard channelMembers[channelID]?[userID] == nil else { return }
        let time = now()
        channelMembers[channelID, default: [:]][userID] = ChannelMembership(channelID: channelID, userID: userID, isAdmin: admin,
                                                                          lastViewedAt: time, lastUpdateAt: time)
        guard let channel = channels[channelID] else { return }
        var data: [String: SocketEvent.Value] = ["team_id": .json(.string(channel.teamID)), "user_id": .json(.string(userID))]
        if let user = users[userID] {
            var writer = GoJSONWriter()
            write(user, viewer: nil, to: &writer)
            data["user"] = .encoded(writer.bytes)
        }
        publish(SocketEvent(name: "user_added", data: data, broadcast: .init(channelID: channelID)))
    }

    /// `POST /channels/{id}/members` for one user, after the caller's permission check:
    /// the user must be on the team; a new member gets `system_join_channel` (added
    /// themselves) or `system_add_to_channel` (added by someone else).
    mutating func addChannelMember(_ userID: String, to channelID: String, by actorID: String) throws(APIError) -> ChannelMembership {
        guard let channel = channels[channelID] else { throw .missingChannel }
        guard let user = users[userID] else { throw .missingUser }
        if let existing = channelMembers[channelID]?[userID] { return existing }
        guard let membership = teamMembers[channel.teamID]?[userID] else { throw .missingTeamMember }
        guard membership.deleteAt == 0 else {
            throw APIError("api.channel.add_user.to.channel.failed.deleted.app_error", "Failed to add user to channel because they have been removed from the team.",
                           status: 400)
        }
        joinChannel(userID, channelID)
        if actorID == userID {
            insertSystemPost(in: channelID, by: userID, type: "system_join_channel", message: "\(user.username) joined the channel.",
                             props: ["username": .string(user.username)])
        } else {
            let actor = users[actorID] ?? user
            insertSystemPost(in: channelID, by: actorID, type: "system_add_to_channel",
                             message: "\(user.username) added to the channel by \(actor.username).",
                             props: ["userId": .string(actor.id), "username": .string(actor.username),
                                     "addedUserId": .string(user.id), "addedUsername": .string(user.username)])
        }
        return channelMembers[channelID]![userID]!
    }

    /// Archives a channel: the `system_channel_deleted` post first, then `delete_at`, then
    /// `channel_deleted` to the whole team, in the real server's order.
    mutating func archive(_ channelID: String, by actorID: String) throws(APIError) {
        guard let channel = channels[channelID] else { throw .missingChannel }
        guard channel.deleteAt == 0 else { throw .channelArchived }
        guard channel.name != "town-square" else { throw .cannotDeleteDefault("town-square") }
        if let actor = users[actorID] {
            insertSystemPost(in: channelID, by: actorID, type: "system_channel_deleted",
                             message: "\(actor.username) archived the channel.", props: ["username": .string(actor.username)])
        }
        let time = now()
        channels[channelID]?.deleteAt = time
        channels[channelID]?.updateAt = time
        publish(SocketEvent(name: "channel_deleted",
                            data: ["channel_id": .json(.string(channelID)), "delete_at": .json(.int(time))],
                            broadcast: .init(teamID: channel.teamID)))
    }

    /// `RestoreChannel`: `delete_at` back to 0, the `system_channel_restored` post, then
    /// `channel_restored` to the team. A channel that is not archived is refused (400).
    mutating func restore(_ channelID: String, by actorID: String) throws(APIError) -> Channel {
        guard let channel = channels[channelID] else { throw .missingChannel }
        guard channel.deleteAt != 0 else {
            throw APIError("api.channel.restore_channel.restored.app_error", "Unable to unarchive channel. The channel is not archived.",
                           status: 400)
        }
        let time = now()
        channels[channelID]?.deleteAt = 0
        channels[channelID]?.updateAt = time
        if let actor = users[actorID] {
            insertSystemPost(in: channelID, by: actorID, type: "system_channel_restored",
                             message: "\(actor.username) unarchived the channel.", props: ["username": .string(actor.username)])
        }
        publish(SocketEvent(name: "channel_restored", data: ["channel_id": .json(.string(channelID))],
                            broadcast: .init(teamID: channel.teamID)))
        return channels[channelID]!
    }

    /// `PermanentDeleteChannel`: the channel, its posts (and their files), members and
    /// thread followers are gone, as if never made. The real server sends no event for it:
    /// clients learn of it when the channel answers 404 (and posting to it 403).
    mutating func permanentlyDelete(_ channelID: String) throws(APIError) {
        guard channels[channelID] != nil else { throw .missingChannel }
        for postID in channelPosts[channelID] ?? [] {
            for fileID in posts[postID]?.fileIDs ?? [] {
                files[fileID] = nil
                fileContents[fileID] = nil
            }
            posts[postID] = nil
            replyIDs[postID] = nil
            threadFollowers[postID] = nil
        }
        channelPosts[channelID] = nil
        editHistory[channelID] = nil
        channelMembers[channelID] = nil
        channels[channelID] = nil
    }
}

extension World {
    /// `PatchChannel`: the changed fields, a system post for each of display name, header
    /// and purpose (in the real server's wording), then `channel_updated`.
    mutating func patchChannel(_ channelID: String, name: String?, displayName: String?, header: String?, purpose: String?,
                               by actorID: String) throws(APIError) -> Channel {
        guard var channel = channels[channelID] else { throw .missingChannel }
        guard channel.deleteAt == 0 else {
            throw APIError("api.channel.update_channel.deleted.app_error", "The channel has been archived or deleted.", status: 400)
        }
        let before = channel
        if let name, name != channel.name {
            guard Self.isValidChannelName(name) else { throw .invalidChannel("name", "Name must be 1 or more lowercase alphanumeric characters.") }
            guard self.channel(team: channel.teamID, name: name) == nil else { throw .channelExists }
            channel.name = name
        }
        if let displayName {
            // Runes, as Mattermost counts (`utf8.RuneCountInString`), not characters.
        guard (1...64).contains(displayName.unicodeScalars.count) else { throw .invalidChannel("display_name", "Invalid display name.") }
            channel.displayName = displayName
        }
        if let header {
            guard header.count <= 1024 else { throw .invalidChannel("header", "Invalid header.") }
            channel.header = header
        }
        if let purpose {
            guard purpose.count <= 250 else { throw .invalidChannel("purpose", "Invalid purpose.") }
            channel.purpose = purpose
        }
        channel.updateAt = now()
        channels[channelID] = channel
        let username = users[actorID]?.username ?? ""
        if before.displayName != channel.displayName {
            insertSystemPost(in: channelID, by: actorID, type: "system_displayname_change",
                             message: "\(username) updated the channel display name from: \(before.displayName) to: \(channel.displayName)",
                             props: ["username": .string(username), "old_displayname": .string(before.displayName),
                                     "new_displayname": .string(channel.displayName)])
        }
        if before.header != channel.header {
            let message = before.header.isEmpty ? "\(username) updated the channel header to: \(channel.header)"
                : channel.header.isEmpty ? "\(username) removed the channel header (was: \(before.header))"
                : "\(username) updated the channel header from: \(before.header) to: \(channel.header)"
            insertSystemPost(in: channelID, by: actorID, type: "system_header_change", message: message,
                             props: ["username": .string(username), "old_header": .string(before.header),
                                     "new_header": .string(channel.header)])
        }
        if before.purpose != channel.purpose {
            let message = before.purpose.isEmpty ? "\(username) updated the channel purpose to: \(channel.purpose)"
                : channel.purpose.isEmpty ? "\(username) removed the channel purpose (was: \(before.purpose))"
                : "\(username) updated the channel purpose from: \(before.purpose) to: \(channel.purpose)"
            insertSystemPost(in: channelID, by: actorID, type: "system_purpose_change", message: message,
                             props: ["username": .string(username), "old_purpose": .string(before.purpose),
                                     "new_purpose": .string(channel.purpose)])
        }
        var writer = GoJSONWriter()
        write(channel, to: &writer)
        publish(SocketEvent(name: "channel_updated", data: ["channel": .json(.string(writer.text))],
                            broadcast: .init(channelID: channelID)))
        return channel
    }
}
