/// `/users…`: login, profiles, lookups, typing.
enum UserRoutes {
    typealias APIError = MattermostSandbox.APIError

    static func register(_ table: inout RouteTable) {
        table.add("POST", "users/login", session: false, login)
        table.add("POST", "users/logout", logout)
        table.add("GET", "users/{user_id}", getUser)
        table.add("POST", "users/usernames", usersByUsernames)
        table.add("POST", "users", createUser)
        table.add("GET", "users", listUsers)
        table.add("GET", "users/autocomplete", autocomplete)
        table.add("GET", "users/{user_id}/teams", teamsOfUser)
        table.add("POST", "users/{user_id}/typing", typing)
        table.add("PUT", "users/{user_id}/teams/{team_id}/threads/{thread_id}/following", followThread)
    }

    /// Like the real handler, the body is read as a map of strings (any other shape reads
    /// as empty); an empty password is a 400, and every other failure, a missing login id
    /// included, is masked as 401 `invalid_credentials_email_username`.
    static func login(_ call: Call) throws(APIError) -> Reply {
        let fields = (try? call.decode([String: String].self, parameter: "login")) ?? [:]
        let password = fields["password"] ?? ""
        guard !password.isEmpty else { throw .blankPassword }
        let loginID = (fields["login_id"] ?? "").lowercased()
        let (session, user) = try call.world { (world: inout World) throws(APIError) in
            guard let user = world.users.values.first(where: { $0.username == loginID || $0.email == loginID }),
                  user.password == password else { throw .invalidCredentials }
            return (world.makeToken(for: user.id, personal: false), user)
        }
        var reply = Reply.json { writer in call.core.world.withLock { $0.write(user, viewer: user.id, to: &writer) } }
        let age = "Max-Age=2592000; SameSite=Lax"
        reply.headers = [
            ("Token", session.token),
            ("Set-Cookie", "MMAUTHTOKEN=\(session.token); Path=/; \(age); HttpOnly"),
            ("Set-Cookie", "MMUSERID=\(user.id); Path=/; \(age)"),
            ("Set-Cookie", "MMCSRF=\(session.csrfToken); Path=/; \(age)"),
        ]
        return reply
    }

    /// Ends the session; answers 200 `{"status":"OK"}` (the reference says 201) and clears
    /// the cookies.
    static func logout(_ call: Call) throws(APIError) -> Reply {
        let token = call.session?.token ?? ""
        call.core.world.withLock { $0.sessions[token] = nil }
        var reply = Reply.statusOK
        reply.headers = ["MMAUTHTOKEN", "MMUSERID", "MMCSRF"].map { ("Set-Cookie", "\($0)=; Path=/; Max-Age=0") }
        return reply
    }

    static func getUser(_ call: Call) throws(APIError) -> Reply {
        let userID = try call.id("user_id", allowMe: true)
        return try call.world { (world: inout World) throws(APIError) in
            guard let user = world.users[userID] else { throw .missingUser }
            guard world.canSee(call.userID, user.id) else { throw .permissions }
            return Reply.json { world.write(user, viewer: call.userID, to: &$0) }
        }
    }

    static func usersByUsernames(_ call: Call) throws(APIError) -> Reply {
        let names = try call.decode([String].self, parameter: "usernames").map { $0.lowercased() }
        return call.core.world.withLock { world in
            let found = names.compactMap { name in world.users.values.first { $0.username == name } }
                .filter { world.canSee(call.userID, $0.id) }
            return Reply.json { writer in writer.array(found) { world.write($1, viewer: call.userID, to: &$0) } }
        }
    }

    struct NewUser: Decodable {
        var username: String?
        var email: String?
        var password: String?
        var first_name: String?
        var last_name: String?
        var nickname: String?
    }

    static func createUser(_ call: Call) throws(APIError) -> Reply {
        let draft = try call.decode(NewUser.self, parameter: "user")
        guard call.core.world.withLock({ $0.isSystemAdmin(call.userID) }) else { throw .permissions }
        guard let password = draft.password, password.count >= 8 else {
            throw APIError("model.user.is_valid.pwd_length.app_error", "Your password must contain at least 8 characters.", status: 400)
        }
        return try call.world { (world: inout World) throws(APIError) in
            let user = try world.addUser(username: draft.username ?? "", email: draft.email ?? "", password: password,
                                         firstName: draft.first_name ?? "", lastName: draft.last_name ?? "",
                                         nickname: draft.nickname ?? "", admin: false)
            return Reply.json(201) { world.write(user, viewer: call.userID, to: &$0) }
        }
    }

    /// `GET /users` with `in_team` or `in_channel` (and paging), sorted by username.
    static func listUsers(_ call: Call) throws(APIError) -> Reply {
        let (page, perPage) = call.paging()
        return try call.world { (world: inout World) throws(APIError) in
            var candidates = Array(world.users.values)
            if let teamID = call.query["in_team"] {
                guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
                candidates = candidates.filter { world.isTeamMember($0.id, teamID) }
            }
            if let channelID = call.query["in_channel"] {
                guard let channel = world.channels[channelID], world.canRead(call.userID, channel) else { throw .permissions }
                candidates = candidates.filter { world.isChannelMember($0.id, channelID) }
            }
            let visible = candidates.filter { world.canSee(call.userID, $0.id) }.sorted { $0.username < $1.username }
            let slice = visible.dropFirst(page * perPage).prefix(perPage)
            return Reply.json { writer in writer.array(slice) { world.write($1, viewer: call.userID, to: &$0) } }
        }
    }

    /// `in_team`/`in_channel` as the real server reads them (the reference calls them
    /// `team_id`/`channel_id`; both spellings are accepted).
    static func autocomplete(_ call: Call) throws(APIError) -> Reply {
        let teamID = call.query["in_team"] ?? call.query["team_id"]
        let channelID = call.query["in_channel"] ?? call.query["channel_id"]
        let prefix = (call.query["name"] ?? "").lowercased()
        let limit = max(1, Int(call.query["limit"] ?? "") ?? 100)
        return try call.world { (world: inout World) throws(APIError) in
            let matches = world.users.values.filter { user in
                prefix.isEmpty || [user.username, user.firstName, user.lastName, user.nickname, "\(user.firstName) \(user.lastName)"]
                    .contains { $0.lowercased().hasPrefix(prefix) }
            }
            .filter { world.canSee(call.userID, $0.id) }
            .sorted { $0.username < $1.username }
            var users = matches
            var outOfChannel: [World.User]?
            if let channelID {
                guard let channel = world.channels[channelID], world.canRead(call.userID, channel) else { throw .permissions }
                users = matches.filter { world.isChannelMember($0.id, channelID) }
                outOfChannel = matches.filter { !world.isChannelMember($0.id, channelID) && world.isTeamMember($0.id, channel.teamID) }
            } else if let teamID {
                guard world.isTeamMember(call.userID, teamID) || world.isSystemAdmin(call.userID) else { throw .permissions }
                users = matches.filter { world.isTeamMember($0.id, teamID) }
            }
            return Reply.json { writer in
                writer.object { json in
                    json.key("users")
                    json.array(users.prefix(limit)) { world.write($1, viewer: call.userID, to: &$0) }
                    if let outOfChannel {
                        json.key("out_of_channel")
                        json.array(outOfChannel.prefix(limit)) { world.write($1, viewer: call.userID, to: &$0) }
                    }
                }
            }
        }
    }

    static func teamsOfUser(_ call: Call) throws(APIError) -> Reply {
        let userID = try call.id("user_id", allowMe: true)
        return try call.world { (world: inout World) throws(APIError) in
            guard userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            let teams = world.teams.values.filter { world.isTeamMember(userID, $0.id) }.sorted { $0.name < $1.name }
            return Reply.json { writer in writer.array(teams) { world.write($1, viewer: call.userID, to: &$0) } }
        }
    }

    struct TypingRequest: Decodable {
        var channel_id: String?
        var parent_id: String?
    }

    static func typing(_ call: Call) throws(APIError) -> Reply {
        let userID = try call.id("user_id", allowMe: true)
        let request = try call.decode(TypingRequest.self, parameter: "typing_request")
        let channelID = request.channel_id ?? ""
        guard Identifiers.isValid(channelID) else { throw .invalidParam("channel_id") }
        try call.world { (world: inout World) throws(APIError) in
            guard userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            guard world.canPost(userID, channelID) else { throw .permissions }
            world.publishTyping(userID, in: channelID, parentID: request.parent_id ?? "")
        }
        return .statusOK
    }

    /// The user follows a thread (collapsed reply threads). Like the real server: only the
    /// user or someone who may edit other users (a system admin), and only a root post of a
    /// channel of that team that the caller and the user can read; else 403 (also for a
    /// post that does not exist).
    static func followThread(_ call: Call) throws(APIError) -> Reply {
        let userID = try call.id("user_id", allowMe: true)
        let teamID = try call.id("team_id")
        let threadID = try call.id("thread_id")
        try call.world { (world: inout World) throws(APIError) in
            guard userID == call.userID || world.isSystemAdmin(call.userID) else { throw .permissions }
            guard world.users[userID] != nil else { throw .missingUser }
            guard world.teams[teamID] != nil else { throw .missingTeam }
            guard let root = world.posts[threadID], root.deleteAt == 0, root.rootID.isEmpty,
                  let channel = world.channels[root.channelID], channel.teamID == teamID,
                  world.canRead(call.userID, channel), world.canRead(userID, channel) else { throw .permissions }
            world.threadFollowers[threadID, default: []].insert(userID)
        }
        return .statusOK
    }
}

extension World {
    /// Users see themselves, everyone if they are system admins, and whoever shares a team.
    func canSee(_ viewerID: String, _ userID: String) -> Bool {
        viewerID == userID || isSystemAdmin(viewerID)
            || teamMembers.values.contains { $0[viewerID] != nil && $0[userID] != nil }
    }
}
