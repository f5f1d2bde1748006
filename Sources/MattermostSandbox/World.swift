/// Everything the sandbox knows — users, teams, channels, posts, sessions and the open
/// event sockets — in one value guarded by one lock (`SandboxCore.world`).
///
/// Keeping the sockets here too means a change and the events it causes happen under the
/// same lock: every socket sees events in the order the changes were made.
struct World: Sendable {
    typealias User = MattermostSandbox.User
    typealias Team = MattermostSandbox.Team
    typealias Channel = MattermostSandbox.Channel
    typealias Post = MattermostSandbox.Post
    typealias FileInfo = MattermostSandbox.FileInfo
    typealias APIError = MattermostSandbox.APIError

    let configuration: MattermostSandbox.Configuration

    var users: [String: User] = [:]
    var teams: [String: Team] = [:]
    var channels: [String: Channel] = [:]
    var posts: [String: Post] = [:]
    /// Each channel's edit history rows (`patchPost`), oldest first: only `since` answers
    /// show them, as the real server's do.
    var editHistory: [String: [Post]] = [:]
    /// Post ids of each channel in creation order.
    var channelPosts: [String: [String]] = [:]
    /// Reply ids by root post id, oldest first: a post's JSON carries its thread's size,
    /// which must not cost a scan of the channel per post.
    var replyIDs: [String: [String]] = [:]
    /// Uploaded files by id, and their bytes (kept apart: infos are copied often).
    var files: [String: FileInfo] = [:]
    var fileContents: [String: [UInt8]] = [:]
    /// Root post id → the users following that thread.
    var threadFollowers: [String: Set<String>] = [:]
    /// team id → user id → membership.
    var teamMembers: [String: [String: TeamMembership]] = [:]
    /// channel id → user id → membership.
    var channelMembers: [String: [String: ChannelMembership]] = [:]
    /// token → session (login sessions and personal access tokens).
    var sessions: [String: Session] = [:]
    /// pending_post_id → the post it created and when, for `deduplicateCreatePost`.
    var pendingPosts: [String: (postID: String, at: ContinuousClock.Instant)] = [:]
    /// Ephemeral posts sent (`POST /posts/ephemeral`), with the one user each was for; the
    /// real server keeps none of them, this list is for tests to read.
    var ephemeralPosts: [(userID: String, post: Post)] = []
    /// connection id → open event socket.
    var sockets: [String: SocketSubscriber] = [:]
    /// Sockets frozen by `freezeWebSockets`: open, out of `sockets`, dropped at the end.
    var frozenSockets: [SocketSubscriber] = []
    var socketsSilenced = false
    /// Called for every post created, under the world lock (`MattermostSandbox.onPost`).
    var postObservers: [@Sendable (Post) -> Void] = []
    private var lastMillis: Int64 = 0

    init(configuration: MattermostSandbox.Configuration) {
        self.configuration = configuration
    }

    /// The current time in milliseconds; never earlier than a time already handed out, but
    /// two changes in the same millisecond share it, as on the real server.
    mutating func now() -> Int64 {
        lastMillis = max(lastMillis, Identifiers.nowMillis())
        return lastMillis
    }

    // MARK: Lookups

    /// A user by id or, failing that, by username.
    func user(_ reference: String) -> User? {
        users[reference] ?? users.values.first { $0.username == reference }
    }

    func team(named name: String) -> Team? {
        teams.values.first { $0.name == name }
    }

    func channel(team teamID: String, name: String) -> Channel? {
        channels.values.first { $0.teamID == teamID && $0.name == name }
    }

    func isTeamMember(_ userID: String, _ teamID: String) -> Bool {
        teamMembers[teamID]?[userID].map { $0.deleteAt == 0 } ?? false
    }

    func isChannelMember(_ userID: String, _ channelID: String) -> Bool {
        channelMembers[channelID]?[userID] != nil
    }

    func isSystemAdmin(_ userID: String) -> Bool {
        users[userID]?.isSystemAdmin ?? false
    }

    func isTeamAdmin(_ userID: String, _ teamID: String) -> Bool {
        isSystemAdmin(userID) || teamMembers[teamID]?[userID]?.isAdmin == true
    }

    /// `delete_public_channel` / `delete_private_channel`, as the default permission scheme
    /// grants them: every member of the channel (`channel_user` has both), team admins and
    /// system admins. A team member outside the channel may not.
    func canArchive(_ userID: String, _ channel: Channel) -> Bool {
        isChannelMember(userID, channel.id) || isTeamAdmin(userID, channel.teamID)
    }

    /// Read access: members, system admins, and team members for public channels.
    func canRead(_ userID: String, _ channel: Channel) -> Bool {
        isSystemAdmin(userID) || isChannelMember(userID, channel.id)
            || (channel.type == "O" && isTeamMember(userID, channel.teamID))
    }

    /// `create_post`: channel members and system admins.
    func canPost(_ userID: String, _ channelID: String) -> Bool {
        isSystemAdmin(userID) || isChannelMember(userID, channelID)
    }

    /// The session behind a token, if it is known and not expired.
    func session(for token: String) -> Session? {
        guard let session = sessions[token], !session.isExpired, users[session.userID] != nil else { return nil }
        return session
    }

    /// Posts of a channel in creation order.
    func postsOf(_ channelID: String) -> [Post] {
        (channelPosts[channelID] ?? []).compactMap { posts[$0] }
    }

    /// Replies to a root post, oldest first.
    func replies(to rootID: String, in channelID: String) -> [Post] {
        (replyIDs[rootID] ?? []).compactMap { posts[$0] }.filter { $0.channelID == channelID && $0.rootID == rootID && $0.deleteAt == 0 }
    }
}
