/// `/channels…`: create, read, archive, members.
enum ChannelRoutes {
    typealias APIError = MattermostSandbox.APIError
    typealias JSON = MattermostSandbox.JSON

    static func register(_ table: inout RouteTable) {
        table.add("POST", "channels", createChannel)
        table.add("GET", "channels/{channel_id}", getChannel)
        table.add("DELETE", "channels/{channel_id}", archiveChannel)
        table.add("POST", "channels/{channel_id}/restore", restoreChannel)
        table.add("POST", "channels/{channel_id}/members", addMembers)
        table.add("GET", "channels/{channel_id}/members", listMembers)
        table.add("GET", "channels/{channel_id}/posts", PostRoutes.postsForChannel)
    }

    struct NewChannel: Decodable {
        var team_id: String?
        var name: String?
        var display_name: String?
        var type: String?
        var purpose: String?
        var header: String?
    }

    static func createChannel(_ call: Call) throws(APIError) -> Reply {
        let draft = try call.decode(NewChannel.self, parameter: "channel")
        guard let teamID = draft.team_id, !teamID.isEmpty else {
            throw APIError("api.channel.create_channel.missing_team_id.error", "Missing team_id in request body", status: 400)
        }
        guard let displayName = draft.display_name, !displayName.isEmpty else {
            throw APIError("api.channel.create_channel.missing_display_name.error", "Missing display_name in request body", status: 400)
        }
        return try call.world { (world: inout World) throws(APIError) in
            guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
            let channel = try world.createChannel(team: teamID, name: draft.name ?? "", displayName: displayName,
                                                  type: draft.type ?? "", purpose: draft.purpose ?? "",
                                                  header: draft.header ?? "", creator: call.userID)
            return Reply.json(201) { world.write(channel, to: &$0) }
        }
    }

    static func getChannel(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canRead(call.userID, channel) else { throw .permissions }
            return Reply.json { world.write(channel, to: &$0) }
        }
    }

    /// The channel's members, team admins and system admins may archive (`canArchive`); with
    /// `permanent=true` the channel is deleted for good, where the server allows it
    /// (`enableAPIChannelDeletion`, else 401).
    static func archiveChannel(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let permanent = call.query["permanent"] == "true"
        let allowed = call.core.configuration.enableAPIChannelDeletion
        try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canArchive(call.userID, channel) else { throw .permissions }
            guard permanent else { return try world.archive(channelID, by: call.userID) }
            guard allowed else {
                throw APIError("api.user.delete_channel.not_enabled.app_error",
                               "Permanent channel deletion feature is not enabled. Please contact your System Administrator.", status: 401)
            }
            try world.permanentlyDelete(channelID)
        }
        return .statusOK
    }

    /// `manage_team`: team admins and system admins unarchive a channel.
    static func restoreChannel(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.isTeamAdmin(call.userID, channel.teamID) else { throw .permissions }
            let restored = try world.restore(channelID, by: call.userID)
            return Reply.json { world.write(restored, to: &$0) }
        }
    }

    /// `{"user_id"}` → one `ChannelMember`; `{"user_ids": [...]}` (≤ 1,000, newer servers)
    /// → an array. Adding others needs channel membership (or admin); joining a public
    /// channel needs team membership. The users must be on the team (404 otherwise).
    static func addMembers(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let body = (try? call.decode([String: JSON].self, parameter: "user_id")) ?? [:]
        var userIDs: [String]
        let asList: Bool
        if call.core.configuration.supportsUserIDsOnAddMember, case .array(let list)? = body["user_ids"] {
            userIDs = list.compactMap(\.stringValue)
            guard userIDs.count == list.count, (1...1000).contains(userIDs.count), userIDs.allSatisfy(Identifiers.isValid) else {
                throw .invalidParam("user_ids")
            }
            asList = true
        } else {
            guard let userID = body["user_id"]?.stringValue, Identifiers.isValid(userID) else { throw .invalidParam("user_id") }
            userIDs = [userID]
            asList = false
        }
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard channel.deleteAt == 0 else {
                throw APIError("api.channel.add_user_to_channel.deleted.app_error", "The channel has been archived or deleted.", status: 400)
            }
            let isManager = world.isChannelMember(call.userID, channelID) || world.isTeamAdmin(call.userID, channel.teamID)
            for userID in userIDs {
                let selfJoinsPublic = userID == call.userID && channel.type == "O" && world.isTeamMember(userID, channel.teamID)
                guard isManager || selfJoinsPublic else { throw .permissions }
            }
            var members: [ChannelMembership] = []
            for userID in userIDs { members.append(try world.addChannelMember(userID, to: channelID, by: call.userID)) }
            return Reply.json(201) { writer in
                if asList {
                    writer.array(members) { world.write($1, to: &$0) }
                } else {
                    world.write(members[0], to: &writer)
                }
            }
        }
    }

    static func listMembers(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let (page, perPage) = call.paging()
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canRead(call.userID, channel) else { throw .permissions }
            let members = (world.channelMembers[channelID] ?? [:]).values
                .sorted { ($0.lastUpdateAt, $0.userID) < ($1.lastUpdateAt, $1.userID) }
            let slice = members.dropFirst(page * perPage).prefix(perPage)
            return Reply.json { writer in writer.array(slice) { world.write($1, to: &$0) } }
        }
    }
}
