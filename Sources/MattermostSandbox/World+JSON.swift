/// The JSON of each model, member for member as the real server writes it (Go struct order).
///
/// Where the reference and the server disagree on a type, the field is left out rather than
/// sent in a shape the reference forbids: `timezone` (the server sends
/// `"useAutomaticTimezone": "true"`, a string, where the reference says boolean) and
/// `policy_id` of a team (the server sends `null` where the reference says string).
extension World {
    static let userNotifyProps: MattermostSandbox.JSON = [
        "channel": "true", "comments": "never", "desktop": "mention", "desktop_sound": "true",
        "desktop_threads": "all", "email": "true", "email_threads": "all", "first_name": "false",
        "mention_keys": "", "push": "mention", "push_status": "online", "push_threads": "all",
    ]

    static let channelNotifyProps: MattermostSandbox.JSON = [
        "desktop": "default", "email": "default", "ignore_channel_mentions": "default",
        "mark_unread": "all", "push": "default",
    ]

    /// A user as `viewerID` sees it: others are sanitized (no notify props, no password date).
    func write(_ user: User, viewer viewerID: String?, to json: inout GoJSONWriter) {
        let isSelf = user.id == viewerID
        json.object { w in
            w.field("id", user.id)
            w.field("create_at", user.createAt)
            w.field("update_at", user.updateAt)
            w.field("delete_at", Int64(0))
            w.field("username", user.username)
            w.field("auth_data", "")
            w.field("auth_service", "")
            w.field("email", user.email)
            if isSelf { w.field("email_verified", true) }
            w.field("nickname", user.nickname)
            w.field("first_name", user.firstName)
            w.field("last_name", user.lastName)
            w.field("position", "")
            w.field("roles", user.roles)
            if isSelf {
                w.field("notify_props", Self.userNotifyProps)
                w.field("last_password_update", user.createAt)
            }
            w.field("locale", "en")
            w.field("disable_welcome_email", false)
        }
    }

    func write(_ team: Team, viewer viewerID: String?, to json: inout GoJSONWriter) {
        let privileged = viewerID.map { isTeamAdmin($0, team.id) } ?? false
        json.object { w in
            w.field("id", team.id)
            w.field("create_at", team.createAt)
            w.field("update_at", team.updateAt)
            w.field("delete_at", Int64(0))
            w.field("display_name", team.displayName)
            w.field("name", team.name)
            w.field("description", "")
            w.field("email", privileged ? "admin@\(team.name).example.com" : "")
            w.field("type", "O")
            w.field("company_name", "")
            w.field("allowed_domains", "")
            w.field("invite_id", privileged ? team.inviteID : "")
            w.field("allow_open_invite", false)
            w.nullField("scheme_id")
            w.nullField("group_constrained")
            w.field("cloud_limits_archived", false)
        }
    }

    func write(_ channel: Channel, to json: inout GoJSONWriter) {
        json.object { w in
            w.field("id", channel.id)
            w.field("create_at", channel.createAt)
            w.field("update_at", channel.updateAt)
            w.field("delete_at", channel.deleteAt)
            w.field("team_id", channel.teamID)
            w.field("type", channel.type)
            w.field("display_name", channel.displayName)
            w.field("name", channel.name)
            w.field("header", channel.header)
            w.field("purpose", channel.purpose)
            w.field("last_post_at", channel.lastPostAt)
            w.field("total_msg_count", channel.totalMessageCount)
            w.field("extra_update_at", Int64(0))
            w.field("creator_id", channel.creatorID)
            w.nullField("scheme_id")
            w.nullField("props")
            w.nullField("group_constrained")
            w.nullField("shared")
            w.field("total_msg_count_root", channel.totalRootMessageCount)
            w.nullField("policy_id")
            w.field("last_root_post_at", channel.lastRootPostAt)
        }
    }

    func write(_ member: TeamMembership, to json: inout GoJSONWriter) {
        json.object { w in
            w.field("team_id", member.teamID)
            w.field("user_id", member.userID)
            w.field("roles", member.isAdmin ? "team_user team_admin" : "team_user")
            w.field("delete_at", member.deleteAt)
            w.field("scheme_guest", false)
            w.field("scheme_user", true)
            w.field("scheme_admin", member.isAdmin)
            w.field("explicit_roles", "")
            w.field("create_at", member.createAt)
        }
    }

    func write(_ member: ChannelMembership, to json: inout GoJSONWriter) {
        let channel = channels[member.channelID]
        json.object { w in
            w.field("channel_id", member.channelID)
            w.field("user_id", member.userID)
            w.field("roles", member.isAdmin ? "channel_user channel_admin" : "channel_user")
            w.field("last_viewed_at", member.lastViewedAt)
            w.field("msg_count", channel?.totalMessageCount ?? 0)
            w.field("mention_count", member.mentionCount)
            w.field("mention_count_root", member.mentionCount)
            w.field("urgent_mention_count", Int64(0))
            w.field("msg_count_root", channel?.totalRootMessageCount ?? 0)
            w.field("notify_props", Self.channelNotifyProps)
            w.field("last_update_at", member.lastUpdateAt)
            w.field("scheme_guest", false)
            w.field("scheme_user", true)
            w.field("scheme_admin", member.isAdmin)
            w.field("explicit_roles", "")
        }
    }

    func write(_ post: Post, to json: inout GoJSONWriter) {
        let thread = replies(to: post.rootID.isEmpty ? post.id : post.rootID, in: post.channelID)
        json.object { w in
            w.field("id", post.id)
            w.field("create_at", post.createAt)
            w.field("update_at", post.updateAt)
            w.field("edit_at", post.editAt)
            w.field("delete_at", post.deleteAt)
            w.field("is_pinned", post.isPinned)
            w.field("user_id", post.userID)
            w.field("channel_id", post.channelID)
            w.field("root_id", post.rootID)
            w.field("original_id", post.originalID)
            w.field("message", post.message)
            w.field("type", post.type)
            w.field("props", .object(post.props))
            w.field("hashtags", "")
            w.key("file_ids")
            w.array(post.fileIDs) { $0.string($1) }
            w.field("pending_post_id", post.pendingPostID)
            w.field("reply_count", Int64(thread.count))
            w.field("last_reply_at", thread.last?.createAt ?? 0)
            w.nullField("participants")
            w.key("metadata")
            let attached = files(of: post)
            w.object { metadata in
                guard !attached.isEmpty else { return }
                metadata.key("files")
                metadata.array(attached) { write($1, to: &$0) }
            }
        }
    }

    /// The post as the string the `posted` and `post_edited` events carry.
    func postText(_ post: Post) -> String {
        var writer = GoJSONWriter()
        write(post, to: &writer)
        return writer.text
    }

    /// A `PostList`: `order` as given, `posts` keyed by id (sorted, as a Go map).
    func writePostList(order: [String], posts listed: [Post], next: String = "", previous: String = "",
                       hasNext: Bool = false, to json: inout GoJSONWriter) {
        json.object { w in
            w.key("order")
            w.array(order) { $0.string($1) }
            w.key("posts")
            w.object { map in
                for post in listed.sorted(by: { $0.id < $1.id }) {
                    map.key(post.id)
                    write(post, to: &map)
                }
            }
            w.field("next_post_id", next)
            w.field("prev_post_id", previous)
            w.field("has_next", hasNext)
            w.field("first_inaccessible_post_time", Int64(0))
        }
    }
}
