/// Users, teams and sessions.
extension World {
    mutating func addUser(username: String, email: String, password: String, firstName: String, lastName: String,
                          nickname: String, admin: Bool) throws(APIError) -> User {
        let name = username.lowercased()
        guard Self.isValidUsername(name) else {
            throw APIError("model.user.is_valid.username.app_error",
                           "Username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols \".\", \"-\", and \"_\".", status: 400)
        }
        guard users.values.allSatisfy({ $0.username != name }) else { throw .usernameExists }
        let address = email.isEmpty ? "\(name)@example.com" : email.lowercased()
        guard address.contains("@") else {
            throw APIError("model.user.is_valid.email.app_error", "Please enter a valid email.", status: 400)
        }
        guard users.values.allSatisfy({ $0.email != address }) else { throw .emailExists }
        let time = now()
        let user = User(id: Identifiers.newID(), username: name, email: address, firstName: firstName, lastName: lastName,
                        nickname: nickname, roles: admin ? "system_user system_admin" : "system_user",
                        createAt: time, updateAt: time, password: password)
        users[user.id] = user
        return user
    }

    /// `model.IsValidUsername`: 3–22 of a-z 0-9 . - _, starting with a letter.
    static func isValidUsername(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...22).contains(bytes.count), let first = bytes.first, (0x61...0x7A).contains(first) else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || [0x2E, 0x2D, 0x5F].contains($0) }
    }

    mutating func addTeam(name: String, displayName: String) -> Team {
        precondition(team(named: name) == nil, "MattermostSandbox: a team named \(name) exists already")
        let time = now()
        let team = Team(id: Identifiers.newID(), name: name, displayName: displayName, createAt: time, updateAt: time,
                        inviteID: Identifiers.newID())
        teams[team.id] = team
        teamMembers[team.id] = [:]
        for (channelName, title) in [("town-square", "Town Square"), ("off-topic", "Off-Topic")] {
            let channel = Channel(id: Identifiers.newID(), teamID: team.id, name: channelName, displayName: title, type: "O",
                                  purpose: "", header: "", creatorID: "", createAt: time, updateAt: time, deleteAt: 0,
                                  lastPostAt: time, totalMessageCount: 0, lastRootPostAt: time, totalRootMessageCount: 0)
            channels[channel.id] = channel
            channelMembers[channel.id] = [:]
            channelPosts[channel.id] = []
        }
        return team
    }

    /// Joins (or, with a different `actorID`, adds) a user to a team and its default
    /// channels, with the system posts and events the real server makes. Returns the
    /// membership, which is the existing one when the user was a member already.
    @discardableResult
    mutating func addTeamMember(_ userID: String, team teamID: String, by actorID: String) -> TeamMembership {
        if let existing = teamMembers[teamID]?[userID], existing.deleteAt == 0 { return existing }
        guard let user = users[userID] else { preconditionFailure("MattermostSandbox: no user \(userID)") }
        let actor = users[actorID] ?? user
        let membership = TeamMembership(teamID: teamID, userID: userID, isAdmin: false, createAt: now())
        teamMembers[teamID, default: [:]][userID] = membership
        publish(SocketEvent(name: "added_to_team", data: ["team_id": .json(.string(teamID)), "user_id": .json(.string(userID))],
                            broadcast: .init(userID: userID)))
        for name in ["town-square", "off-topic"] {
            guard let channel = channel(team: teamID, name: name) else { continue }
            joinChannel(userID, channel.id)
            var message = "\(user.username) joined the channel."
            var type = "system_join_channel"
            var props: [String: MattermostSandbox.JSON] = ["username": .string(user.username)]
            if name == "town-square" {
                if actor.id == user.id {
                    (message, type) = ("\(user.username) joined the team.", "system_join_team")
                } else {
                    (message, type) = ("\(user.username) added to the team by \(actor.username).", "system_add_to_team")
                    props = ["userId": .string(actor.id), "username": .string(actor.username),
                             "addedUserId": .string(user.id), "addedUsername": .string(user.username)]
                }
            }
            insertSystemPost(in: channel.id, by: actor.id == user.id || name != "town-square" ? user.id : actor.id,
                             type: type, message: message, props: props)
        }
        return membership
    }

    /// Makes a login session or a personal access token for a user.
    mutating func makeToken(for userID: String, personal: Bool) -> Session {
        let session = Session(token: Identifiers.newID(), userID: userID, isPersonalAccessToken: personal,
                              csrfToken: personal ? "" : Identifiers.newID())
        sessions[session.token] = session
        return session
    }

    /// Every login session stops working; personal access tokens keep working.
    mutating func expireSessions() {
        for token in sessions.keys where sessions[token]?.isPersonalAccessToken == false {
            sessions[token]?.isExpired = true
        }
    }
}
