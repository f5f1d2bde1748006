/// Seeding: setting up teams, users and channels before (or while) a client runs.
/// Mistakes in seeding (a duplicate name, an unknown user) stop the test with a message.
extension MattermostSandbox {
    /// A team, with `town-square` and `off-topic`.
    @discardableResult
    public func addTeam(name: String, displayName: String) -> Team {
        core.world.withLock { $0.addTeam(name: name, displayName: displayName) }
    }

    /// A user with an email `username@example.com`; `admin` makes a system admin.
    @discardableResult
    public func addUser(username: String, password: String, firstName: String = "", lastName: String = "",
                        nickname: String = "", email: String = "", admin: Bool = false) -> User {
        core.world.withLock { world in
            do {
                return try world.addUser(username: username, email: email, password: password, firstName: firstName,
                                         lastName: lastName, nickname: nickname, admin: admin)
            } catch {
                preconditionFailure("MattermostSandbox.addUser(\(username)): \(error)")
            }
        }
    }

    /// Makes a user (id or username) a member of a team (name or id); they join
    /// `town-square` and `off-topic`, with the system posts the real server writes.
    public func addToTeam(_ user: String, team: String) {
        core.world.withLock { world in
            let member = world.resolveUser(user)
            let teamID = world.resolveTeam(team)
            world.addTeamMember(member.id, team: teamID, by: member.id)
        }
    }

    /// A channel created by `creator` (id or username), who becomes its admin and member.
    @discardableResult
    public func addChannel(team: String, name: String, displayName: String, type: String = "O", creator: String) -> Channel {
        core.world.withLock { world in
            let teamID = world.resolveTeam(team)
            let user = world.resolveUser(creator)
            do {
                return try world.createChannel(team: teamID, name: name, displayName: displayName, type: type, purpose: "",
                                               header: "", creator: user.id)
            } catch {
                preconditionFailure("MattermostSandbox.addChannel(\(name)): \(error)")
            }
        }
    }

    /// A personal access token for a user (id or username); it survives `expireSessions()`.
    public func personalAccessToken(for user: String) -> String {
        core.world.withLock { world in world.makeToken(for: world.resolveUser(user).id, personal: true).token }
    }

    /// A login session token for a user, as `POST /users/login` would return.
    public func sessionToken(for user: String) -> String {
        core.world.withLock { world in world.makeToken(for: world.resolveUser(user).id, personal: false).token }
    }
}

extension World {
    func resolveUser(_ reference: String) -> User {
        guard let user = user(reference) else { preconditionFailure("MattermostSandbox: no user \(reference)") }
        return user
    }

    func resolveTeam(_ reference: String) -> String {
        if teams[reference] != nil { return reference }
        guard let team = team(named: reference) else { preconditionFailure("MattermostSandbox: no team \(reference)") }
        return team.id
    }
}
