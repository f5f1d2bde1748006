/// Inspecting what the sandbox holds, typically after a client acted.
extension MattermostSandbox {
    public func user(named username: String) -> User? {
        core.world.withLock { world in world.users.values.first { $0.username == username.lowercased() } }
    }

    public func user(id: String) -> User? {
        core.world.withLock { $0.users[id] }
    }

    public func team(named name: String) -> Team? {
        core.world.withLock { $0.team(named: name) }
    }

    /// A channel by team (name or id) and channel name, archived ones included.
    public func channel(team: String, name: String) -> Channel? {
        core.world.withLock { world in
            let teamID = world.teams[team] != nil ? team : world.team(named: team)?.id
            return teamID.flatMap { world.channel(team: $0, name: name) }
        }
    }

    public func channel(id: String) -> Channel? {
        core.world.withLock { $0.channels[id] }
    }

    /// Channels of a team (name or id), by name.
    public func channels(team: String) -> [Channel] {
        core.world.withLock { world in
            let teamID = world.teams[team] != nil ? team : world.team(named: team)?.id
            return world.channels.values.filter { $0.teamID == teamID }.sorted { $0.name < $1.name }
        }
    }

    /// User ids of a channel's members, in the order they joined.
    public func members(of channelID: String) -> [String] {
        core.world.withLock { world in
            (world.channelMembers[channelID] ?? [:]).values
                .sorted { ($0.lastUpdateAt, $0.userID) < ($1.lastUpdateAt, $1.userID) }
                .map(\.userID)
        }
    }

    /// Whether a user (id or username) is on a team (name or id).
    public func isMember(_ user: String, ofTeam team: String) -> Bool {
        core.world.withLock { world in
            guard let member = world.user(user) else { return false }
            let teamID = world.teams[team] != nil ? team : world.team(named: team)?.id
            return teamID.map { world.isTeamMember(member.id, $0) } ?? false
        }
    }

    /// Every post of a channel, oldest first: system posts, edited and deleted ones too.
    public func posts(in channelID: String) -> [Post] {
        core.world.withLock { $0.postsOf(channelID) }
    }

    public func post(id: String) -> Post? {
        core.world.withLock { $0.posts[id] }
    }

    /// The ephemeral posts sent to a user (by username), oldest first.
    public func ephemeralPosts(for username: String) -> [Post] {
        core.world.withLock { world in
            guard let user = world.users.values.first(where: { $0.username == username }) else { return [] }
            return world.ephemeralPosts.filter { $0.userID == user.id }.map(\.post)
        }
    }

    /// A file's details, deleted files included.
    public func file(id: String) -> FileInfo? {
        core.world.withLock { $0.files[id] }
    }

    /// The bytes of a file as uploaded.
    public func fileContents(id: String) -> [UInt8]? {
        core.world.withLock { $0.fileContents[id] }
    }

    /// The files attached to a post and not deleted, in the post's order.
    public func files(ofPost postID: String) -> [FileInfo] {
        core.world.withLock { world in world.posts[postID].map { world.files(of: $0) } ?? [] }
    }

    /// Usernames of the users following a thread (given by its root post), sorted.
    public func followers(ofThread rootID: String) -> [String] {
        core.world.withLock { world in (world.threadFollowers[rootID] ?? []).compactMap { world.users[$0]?.username }.sorted() }
    }

    /// User ids behind the authenticated event sockets now open (one per socket).
    public var webSocketUsers: [String] {
        core.world.withLock { world in world.sockets.values.compactMap(\.userID).sorted() }
    }
}
