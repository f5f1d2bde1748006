import BatonCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The Mattermost endpoints Baton uses (docs/mattermost.md lists them).
extension MattermostClient {
    /// Signs in and returns the relay user: logs in with a password, or checks a token
    /// with `GET /users/me`.
    public func signIn() async throws -> MMUser {
        switch credentials {
        case .password:
            if let user = try await logIn(replacing: currentToken) { return user }
            return try await me()
        case .token:
            return try await me()
        }
    }

    public func me() async throws -> MMUser {
        try await request(.GET, "/api/v4/users/me", as: MMUser.self)
    }

    public func user(id: String) async throws -> MMUser {
        try await request(.GET, "/api/v4/users/\(id)", as: MMUser.self)
    }

    /// The users with these usernames; unknown names are missing from the answer.
    public func users(usernames: [String]) async throws -> [MMUser] {
        guard !usernames.isEmpty else { return [] }
        return try await request(.POST, "/api/v4/users/usernames", body: usernames, as: [MMUser].self)
    }

    /// Members of a team whose username or name starts with `prefix` (for autocomplete).
    /// Users whose username or name starts with `prefix`: of the team, or (nil) of the
    /// whole server.
    public func autocompleteUsers(inTeam teamID: String?, prefix: String) async throws -> [MMUser] {
        struct Answer: Decodable { var users: [MMUser]? }
        let query = (teamID.map { [("in_team", $0)] } ?? []) + [("name", prefix)]
        return try await request(.GET, "/api/v4/users/autocomplete", query: query, as: Answer.self).users ?? []
    }

    /// A page of the team's members.
    public func users(inTeam teamID: String, page: Int = 0, perPage: Int = 200) async throws -> [MMUser] {
        try await request(.GET, "/api/v4/users", query: [("in_team", teamID), ("page", "\(page)"), ("per_page", "\(perPage)")], as: [MMUser].self)
    }

    public func teams(of userID: String = "me") async throws -> [MMTeam] {
        try await request(.GET, "/api/v4/users/\(userID)/teams", as: [MMTeam].self)
    }

    public func team(named name: String) async throws -> MMTeam {
        do {
            return try await request(.GET, "/api/v4/teams/name/\(Self.pathSegment(name))", as: MMTeam.self)
        } catch MattermostError.server(404, _, _), MattermostError.forbidden {
            throw MattermostError.teamNotFound(name)
        }
    }

    /// The server's teams, a page at a time (`GET /teams`): every team for a system
    /// administrator, the open ones for anybody else.
    public func allTeams(page: Int, perPage: Int = 200) async throws -> [MMTeam] {
        try await request(.GET, "/api/v4/teams", query: [("page", "\(page)"), ("per_page", "\(perPage)")], as: [MMTeam].self)
    }

    /// Whether the user is in the team now. Mattermost answers a user who left or was
    /// removed with their old membership, `delete_at` set.
    public func isTeamMember(teamID: String, userID: String) async throws -> Bool {
        struct Member: Decodable { var delete_at: Int64? }
        do {
            return try await request(.GET, "/api/v4/teams/\(teamID)/members/\(userID)", as: Member.self).delete_at ?? 0 == 0
        } catch MattermostError.server(404, _, _) {
            return false
        }
    }

    public func addTeamMember(teamID: String, userID: String) async throws {
        try await perform(.POST, "/api/v4/teams/\(teamID)/members", body: ["team_id": teamID, "user_id": userID])
    }

    /// The channel of the team with this name, or nil.
    public func channel(teamID: String, name: String, includeDeleted: Bool = false) async throws -> MMChannel? {
        do {
            return try await request(.GET, "/api/v4/teams/\(teamID)/channels/name/\(Self.pathSegment(name))",
                                     query: includeDeleted ? [("include_deleted", "true")] : [], as: MMChannel.self)
        } catch MattermostError.server(404, _, _) {
            return nil
        }
    }

    /// The team's channels the signed-in user is a member of (the relay user: what it
    /// can announce into).
    public func myChannels(teamID: String) async throws -> [MMChannel] {
        try await request(.GET, "/api/v4/users/me/teams/\(teamID)/channels", as: [MMChannel].self)
    }

    public func channel(id: String) async throws -> MMChannel {
        try await request(.GET, "/api/v4/channels/\(id)", as: MMChannel.self)
    }

    /// Creates a channel; when one of that name exists already (a retry after a lost
    /// answer), returns it.
    public func createChannel(teamID: String, name: String, displayName: String, type: String = "O",
                              purpose: String = "", header: String = "") async throws -> MMChannel {
        struct Body: Encodable {
            var team_id, name, display_name, type, purpose, header: String
        }
        do {
            return try await request(.POST, "/api/v4/channels",
                                     body: Body(team_id: teamID, name: name, display_name: displayName, type: type, purpose: purpose, header: header),
                                     as: MMChannel.self)
        } catch MattermostError.server(400, let id, let message) where id.contains("exists") {
            if let existing = try await channel(teamID: teamID, name: name, includeDeleted: true) { return existing }
            throw MattermostError.server(status: 400, id: id, message: message)
        }
    }

    /// Archives a channel (Mattermost's "delete"). Archiving an archived channel succeeds.
    public func archiveChannel(id: String) async throws {
        do {
            try await perform(.DELETE, "/api/v4/channels/\(id)")
        } catch MattermostError.server(let status, _, _) where status == 400 || status == 404 {
            if (try? await channel(id: id))?.deleteAt ?? 1 != 0 { return }
            throw MattermostError.channelNotFound(id)
        }
    }

    /// Deletes a channel for good, with its posts and files (`permanent=true`): only where
    /// the server allows it (`ServiceSettings.EnableAPIChannelDeletion`; otherwise it
    /// answers 401 `api.user.delete_channel.not_enabled.app_error`). A channel that is not
    /// there is fine.
    public func deleteChannelPermanently(id: String) async throws {
        do {
            try await perform(.DELETE, "/api/v4/channels/\(id)", query: [("permanent", "true")])
        } catch MattermostError.server(404, _, _) {
            return
        }
    }

    /// Unarchives a channel (`manage_team`).
    public func restoreChannel(id: String) async throws {
        try await perform(.POST, "/api/v4/channels/\(id)/restore")
    }

    /// Changes a channel's display name (a system post in the channel says so).
    public func renameChannel(id: String, displayName: String) async throws {
        try await perform(.PUT, "/api/v4/channels/\(id)/patch", body: ["display_name": displayName])
    }

    /// Adds one user to a channel (`user_id`, which every server takes). A user already in
    /// the channel is fine.
    public func addChannelMember(channelID: String, userID: String) async throws {
        try await perform(.POST, "/api/v4/channels/\(channelID)/members", body: ["user_id": userID])
    }

    /// Adds users to a channel: in one call with `user_ids` where the server takes it,
    /// else one by one (older servers). Users no longer in the
    /// channel's team (who left it or were removed) cannot be added: they are left out,
    /// and returned, rather than keep the others out. Any other refusal is thrown.
    @discardableResult
    public func addChannelMembers(channelID: String, userIDs: [String], teamID: String) async throws -> [String] {
        guard !userIDs.isEmpty else { return [] }
        if userIDsSupported.withLock({ $0 }) {
            do {
                try await perform(.POST, "/api/v4/channels/\(channelID)/members", body: ["user_ids": userIDs])
                return []
            } catch MattermostError.server(400, "api.context.invalid_param.app_error", _) {
                // An older server: it wants `user_id`. Remember, and add them one by one.
                userIDsSupported.withLock { $0 = false }
            } catch MattermostError.server(let status, _, _) where [400, 404].contains(status) && userIDs.count > 1 {
                // Perhaps one of them is no longer in the team: one by one, below.
            }
        }
        var left: [String] = []
        for userID in userIDs {
            do {
                try await addChannelMember(channelID: channelID, userID: userID)
            } catch MattermostError.server(let status, let id, let message) where [400, 404].contains(status) {
                guard try await !isTeamMember(teamID: teamID, userID: userID) else { throw MattermostError.server(status: status, id: id, message: message) }
                left.append(userID)
            }
        }
        return left
    }

    /// Makes a user follow a thread: it shows in their Threads view and its replies notify
    /// them, as if they had replied. (Collapsed reply threads; Mattermost 5.29 and later.)
    public func followThread(userID: String, teamID: String, threadID: String) async throws {
        try await perform(.PUT, "/api/v4/users/\(userID)/teams/\(teamID)/threads/\(threadID)/following")
    }

    /// Whether a user is a member of a channel (`POST /channels/{id}/members/ids`, which
    /// answers the members among the users named).
    public func isChannelMember(channelID: String, userID: String) async throws -> Bool {
        struct Member: Decodable { var user_id: String }
        return try await request(.POST, "/api/v4/channels/\(channelID)/members/ids", body: [userID], as: [Member].self)
            .contains { $0.user_id == userID }
    }

    public func channelMemberIDs(channelID: String) async throws -> [String] {
        struct Member: Decodable { var user_id: String }
        return try await request(.GET, "/api/v4/channels/\(channelID)/members", query: [("per_page", "200")], as: [Member].self).map(\.user_id)
    }

    /// Creates a post. `pendingPostID` makes a resend within 30 s return the first post.
    /// `fileIDs` attaches files the relay user uploaded into the channel (`uploadFile`);
    /// the server drops, without an error, any it cannot attach (see `MMPost.fileIDs`).
    public func createPost(channelID: String, message: String, props: [String: JSONValue] = [:],
                           pendingPostID: String? = nil, rootID: String? = nil, fileIDs: [String] = []) async throws -> MMPost {
        // Written directly: a relayed message is a post, so this is the busiest request.
        var body = JSONWriter(capacity: 128 + message.utf8.count)
        body.object { body in
            body.field("channel_id", channelID)
            body.field("message", message)
            body.key("props")
            JSONValue.object(props).write(to: &body)
            if let pendingPostID { body.field("pending_post_id", pendingPostID) }
            if let rootID { body.field("root_id", rootID) }
            if !fileIDs.isEmpty {
                body.key("file_ids")
                body.array(fileIDs) { $0.string($1) }
            }
        }
        let (_, _, data) = try await call(.POST, "/api/v4/posts", encodedBody: ByteBuffer(bytes: body.bytes))
        return try decode(MMPost.self, from: data, path: "/api/v4/posts")
    }

    /// Shows `message` to one user only, in a channel (or a thread), for now: Mattermost
    /// does not keep it (`POST /posts/ephemeral`, for system admins).
    public func createEphemeralPost(for userID: String, channelID: String, message: String, rootID: String? = nil) async throws {
        var body = JSONWriter(capacity: 128 + message.utf8.count)
        body.object { body in
            body.field("user_id", userID)
            body.key("post")
            body.object { post in
                post.field("channel_id", channelID)
                post.field("message", message)
                if let rootID { post.field("root_id", rootID) }
            }
        }
        _ = try await call(.POST, "/api/v4/posts/ephemeral", encodedBody: ByteBuffer(bytes: body.bytes))
    }

    /// Deletes a post (and, for a thread's first post, its replies). A post that is gone
    /// already is fine: the server refuses to delete it, and then does not have it.
    public func deletePost(id: String) async throws {
        do {
            try await perform(.DELETE, "/api/v4/posts/\(id)")
        } catch {
            // Versions answer 400, 403 or 404 for a post that is gone; ask for it.
            guard try await post(id: id) == nil else { throw error }
        }
    }

    /// A post, or nil when it is not there (or deleted).
    public func post(id: String) async throws -> MMPost? {
        do {
            return try await request(.GET, "/api/v4/posts/\(id)", as: MMPost.self)
        } catch MattermostError.server(404, _, _) {
            return nil
        }
    }

    public func editPost(id: String, message: String) async throws -> MMPost {
        try await request(.PUT, "/api/v4/posts/\(id)/patch", body: ["message": message], as: MMPost.self)
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
