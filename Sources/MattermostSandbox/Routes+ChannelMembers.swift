/// A member of a channel, a user's channels, and changing a channel's properties.
enum ChannelMemberRoutes {
    typealias APIError = MattermostSandbox.APIError

    static let missingMember = APIError("app.channel.get_member.missing.app_error",
                                        "No channel member found for that user ID and channel ID.", status: 404)

    static func register(_ table: inout RouteTable) {
        table.add("GET", "channels/{channel_id}/members/{user_id}", member)
        table.add("POST", "channels/{channel_id}/members/ids", membersByIDs)
        table.add("DELETE", "channels/{channel_id}/members/{user_id}", removeMember)
        table.add("PUT", "channels/{channel_id}/patch", patchChannel)
        table.add("GET", "users/{user_id}/teams/{team_id}/channels", channelsOfUser)
    }

    static func member(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let userID = try call.id("user_id", allowMe: true)
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID], world.canRead(call.userID, channel) else { throw .permissions }
            guard let member = world.channelMembers[channelID]?[userID] else { throw missingMember }
            return Reply.json { world.write(member, to: &$0) }
        }
    }

    /// `GetChannelMembersByIds`: the members among the users named (an empty list when none
    /// is one); anyone who may read the channel may ask.
    static func membersByIDs(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let userIDs = try call.decode([String].self, parameter: "user_ids")
        guard !userIDs.isEmpty else { throw APIError.invalidParam("user_ids") }
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.canRead(call.userID, channel) else { throw .permissions }
            let members = world.channelMembers[channelID] ?? [:]
            let found = Array(Set(userIDs)).sorted().compactMap { members[$0] }
            return Reply.json { writer in writer.array(found) { world.write($1, to: &$0) } }
        }
    }

    /// Members leave; channel members and admins remove others (never from town-square).
    static func removeMember(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let userID = try call.id("user_id", allowMe: true)
        try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            let mayRemoveOthers = world.isChannelMember(call.userID, channelID) || world.isTeamAdmin(call.userID, channel.teamID)
            guard userID == call.userID || mayRemoveOthers else { throw .permissions }
            guard world.isChannelMember(userID, channelID) else { throw missingMember }
            try world.removeChannelMember(userID, from: channelID, by: call.userID)
        }
        return .statusOK
    }

    struct Patch: Decodable {
        var name: String?
        var display_name: String?
        var header: String?
        var purpose: String?
    }

    /// Channel members may change a channel's properties (the default permission scheme).
    static func patchChannel(_ call: Call) throws(APIError) -> Reply {
        let channelID = try call.id("channel_id")
        let patch = try call.decode(Patch.self, parameter: "channel")
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channels[channelID] else { throw .missingChannel }
            guard world.isChannelMember(call.userID, channelID) || world.isTeamAdmin(call.userID, channel.teamID) else {
                throw .permissions
            }
            let patched = try world.patchChannel(channelID, name: patch.name, displayName: patch.display_name,
                                                 header: patch.header, purpose: patch.purpose, by: call.userID)
            return Reply.json { world.write(patched, to: &$0) }
        }
    }

    /// The channels of a team a user belongs to; archived ones with `include_deleted=true`.
    static func channelsOfUser(_ call: Call) throws(APIError) -> Reply {
        let userID = try call.id("user_id", allowMe: true)
        let teamID = try call.id("team_id")
        let includeDeleted = call.query["include_deleted"] == "true"
        return try call.world { (world: inout World) throws(APIError) in
            guard userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            guard world.teams[teamID] != nil else { throw .missingTeam }
            guard world.isTeamMember(userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
            let channels = world.channels.values
                .filter { $0.teamID == teamID && world.isChannelMember(userID, $0.id) && (includeDeleted || $0.deleteAt == 0) }
                .sorted { $0.name < $1.name }
            return Reply.json { writer in writer.array(channels) { world.write($1, to: &$0) } }
        }
    }
}
