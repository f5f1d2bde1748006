/// `/teams…`: teams, team members, channels by name.
enum TeamRoutes {
    typealias APIError = MattermostSandbox.APIError

    static func register(_ table: inout RouteTable) {
        table.add("GET", "teams", teams)
        table.add("GET", "teams/name/{name}", teamByName)
        table.add("GET", "teams/{team_id}", team)
        table.add("GET", "teams/{team_id}/members/{user_id}", teamMember)
        table.add("POST", "teams/{team_id}/members", addTeamMember)
        table.add("GET", "teams/{team_id}/channels/name/{channel_name}", channelByName)
    }

    /// Every team for a system administrator, by name, a page at a time (`page`,
    /// `per_page`). Others get the teams open to anyone to join (`allow_open_invite`),
    /// which the stand-in's teams never are.
    static func teams(_ call: Call) throws(APIError) -> Reply {
        let (page, perPage) = call.paging()
        return try call.world { (world: inout World) throws(APIError) in
            let visible = world.isSystemAdmin(call.userID) ? world.teams.values.sorted { $0.name < $1.name } : []
            let shown = visible.dropFirst(page * perPage).prefix(perPage)
            return Reply.json { writer in writer.array(Array(shown)) { world.write($1, viewer: call.userID, to: &$0) } }
        }
    }

    static func teamByName(_ call: Call) throws(APIError) -> Reply {
        let name = call.params["name"] ?? ""
        return try call.world { (world: inout World) throws(APIError) in
            guard let team = world.team(named: name) else { throw .missingTeamByName }
            guard world.isTeamMember(call.userID, team.id) || world.isSystemAdmin(call.userID) else { throw .permissions }
            return Reply.json { world.write(team, viewer: call.userID, to: &$0) }
        }
    }

    static func team(_ call: Call) throws(APIError) -> Reply {
        let teamID = try call.id("team_id")
        return try call.world { (world: inout World) throws(APIError) in
            guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
            guard let team = world.teams[teamID] else { throw .missingTeam }
            return Reply.json { world.write(team, viewer: call.userID, to: &$0) }
        }
    }

    static func teamMember(_ call: Call) throws(APIError) -> Reply {
        let teamID = try call.id("team_id")
        let userID = try call.id("user_id", allowMe: true)
        return try call.world { (world: inout World) throws(APIError) in
            guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
            guard let member = world.teamMembers[teamID]?[userID] else { throw .missingTeamMember }
            return Reply.json { world.write(member, to: &$0) }
        }
    }

    struct NewTeamMember: Decodable {
        var team_id: String?
        var user_id: String?
    }

    /// Team admins and system admins add members; the new member joins `town-square` and
    /// `off-topic`. A user who is a member already gets the existing membership.
    static func addTeamMember(_ call: Call) throws(APIError) -> Reply {
        let teamID = try call.id("team_id")
        let body = try call.decode(NewTeamMember.self, parameter: "team_member")
        guard body.team_id == teamID else { throw .invalidParam("team_id") }
        guard let userID = body.user_id, Identifiers.isValid(userID) else { throw .invalidParam("user_id") }
        return try call.world { (world: inout World) throws(APIError) in
            guard world.isTeamAdmin(call.userID, teamID) else { throw .permissions }
            guard world.teams[teamID] != nil else { throw .missingTeam }
            guard world.users[userID] != nil else { throw .missingUser }
            let member = world.addTeamMember(userID, team: teamID, by: call.userID)
            return Reply.json(201) { world.write(member, to: &$0) }
        }
    }

    /// Archived channels only with `include_deleted=true`; a private channel the caller
    /// cannot read is reported missing, as the real server does.
    static func channelByName(_ call: Call) throws(APIError) -> Reply {
        let teamID = try call.id("team_id")
        let name = call.params["channel_name"] ?? ""
        let includeDeleted = call.query["include_deleted"] == "true"
        return try call.world { (world: inout World) throws(APIError) in
            guard let channel = world.channel(team: teamID, name: name), includeDeleted || channel.deleteAt == 0 else {
                throw .missingChannelByName
            }
            if channel.type == "O" {
                guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
            } else {
                guard world.canRead(call.userID, channel) else { throw .missingChannelByName }
            }
            return Reply.json { world.write(channel, to: &$0) }
        }
    }
}
