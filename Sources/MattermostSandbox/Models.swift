extension MattermostSandbox {
    /// A Mattermost user account.
    public struct User: Sendable, Hashable, Identifiable {
        public let id: String
        public var username: String
        public var email: String
        public var firstName: String
        public var lastName: String
        public var nickname: String
        /// `system_user`, or `system_user system_admin`.
        public var roles: String
        public var createAt: Int64
        public var updateAt: Int64
        var password: String

        public var isSystemAdmin: Bool { roles.split(separator: " ").contains("system_admin") }
    }

    /// A team; new teams get `town-square` and `off-topic`.
    public struct Team: Sendable, Hashable, Identifiable {
        public let id: String
        public var name: String
        public var displayName: String
        public var createAt: Int64
        public var updateAt: Int64
        var inviteID: String
    }

    /// A public (`O`) or private (`P`) channel of a team.
    public struct Channel: Sendable, Hashable, Identifiable {
        public let id: String
        public var teamID: String
        public var name: String
        public var displayName: String
        /// `O` (public) or `P` (private).
        public var type: String
        public var purpose: String
        public var header: String
        public var creatorID: String
        public var createAt: Int64
        public var updateAt: Int64
        /// Non-zero once archived.
        public var deleteAt: Int64
        public var lastPostAt: Int64
        public var totalMessageCount: Int64
        public var lastRootPostAt: Int64
        public var totalRootMessageCount: Int64

        public var isArchived: Bool { deleteAt != 0 }
    }

    /// A post, user-written or a system post (`type` starting with `system_`).
    public struct Post: Sendable, Hashable, Identifiable {
        public let id: String
        public var channelID: String
        public var userID: String
        /// Empty for a root post.
        public var rootID: String
        public var message: String
        /// Empty for a user post; `system_join_channel`, `system_channel_deleted`, … otherwise.
        public var type: String
        public var props: [String: JSON]
        public var createAt: Int64
        public var updateAt: Int64
        public var editAt: Int64
        public var deleteAt: Int64
        public var pendingPostID: String
        public var isPinned: Bool
        /// The files attached when it was created (`file_ids`).
        public var fileIDs: [String] = []
        /// For an edit's history row (the text before the edit, kept as a deleted post of
        /// its own): the edited post's id.
        public var originalID = ""

        public var isSystemPost: Bool { type.hasPrefix("system_") }
    }
}

/// A user's membership of a team.
struct TeamMembership: Sendable, Hashable {
    var teamID: String
    var userID: String
    var isAdmin: Bool
    var createAt: Int64
    /// When the user left or was removed from the team: the membership stays, and
    /// `GET /teams/{id}/members/{user_id}` still answers it, with this set.
    var deleteAt: Int64 = 0
}

/// A user's membership of a channel.
struct ChannelMembership: Sendable, Hashable {
    var channelID: String
    var userID: String
    var isAdmin: Bool
    var lastViewedAt: Int64
    var lastUpdateAt: Int64
    /// Posts that mentioned the member (`MentionParser`), as the real server counts them.
    var mentionCount: Int64 = 0
}

/// A credential: a login session or a personal access token.
struct Session: Sendable, Hashable {
    var token: String
    var userID: String
    /// Personal access tokens survive `expireSessions()`.
    var isPersonalAccessToken: Bool
    var csrfToken: String
    var isExpired = false
}
