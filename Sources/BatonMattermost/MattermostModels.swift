import BatonCore

/// The Mattermost objects Baton reads, with the fields it uses. Decoding tolerates
/// missing fields where servers differ.

public struct MMUser: Sendable, Codable, Hashable {
    public var id: String
    public var username: String
    public var firstName: String
    public var lastName: String
    public var nickname: String
    public var email: String
    public var roles: String
    public var deleteAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, username, nickname, email, roles
        case firstName = "first_name", lastName = "last_name", deleteAt = "delete_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        username = try c.decode(String.self, forKey: .username)
        firstName = try c.decodeIfPresent(String.self, forKey: .firstName) ?? ""
        lastName = try c.decodeIfPresent(String.self, forKey: .lastName) ?? ""
        nickname = try c.decodeIfPresent(String.self, forKey: .nickname) ?? ""
        email = try c.decodeIfPresent(String.self, forKey: .email) ?? ""
        roles = try c.decodeIfPresent(String.self, forKey: .roles) ?? ""
        deleteAt = try c.decodeIfPresent(Int64.self, forKey: .deleteAt) ?? 0
    }

    public init(id: String, username: String, firstName: String = "", lastName: String = "", nickname: String = "",
                email: String = "", roles: String = "system_user", deleteAt: Int64 = 0) {
        self.id = id
        self.username = username
        self.firstName = firstName
        self.lastName = lastName
        self.nickname = nickname
        self.email = email
        self.roles = roles
        self.deleteAt = deleteAt
    }

    public var isSystemAdmin: Bool { roles.split(separator: " ").contains("system_admin") }

    /// The name agents are shown under in the widget: their full name, else their
    /// nickname, else their username.
    public var displayName: String {
        let full = "\(firstName) \(lastName)".trimmingWhitespace()
        if !full.isEmpty { return full }
        if !nickname.trimmingWhitespace().isEmpty { return nickname.trimmingWhitespace() }
        return username
    }
}

public struct MMTeam: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var displayName: String

    enum CodingKeys: String, CodingKey { case id, name, displayName = "display_name" }

    public init(id: String, name: String, displayName: String) {
        self.id = id
        self.name = name
        self.displayName = displayName
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        displayName = try c.decodeIfPresent(String.self, forKey: .displayName) ?? name
    }
}

public struct MMChannel: Sendable, Codable, Hashable {
    public var id: String
    public var teamID: String
    public var name: String
    public var displayName: String
    public var type: String
    public var deleteAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, type
        case teamID = "team_id", displayName = "display_name", deleteAt = "delete_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        teamID = try c.decodeIfPresent(String.self, forKey: .teamID) ?? ""
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        displayName = try c.decodeIfPresent(String.self, forKey: .displayName) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "O"
        deleteAt = try c.decodeIfPresent(Int64.self, forKey: .deleteAt) ?? 0
    }
}

public struct MMPost: Sendable, Hashable, JSONReadable {
    public var id: String
    public var channelID: String
    public var userID: String
    public var message: String
    public var type: String
    public var createAt: Int64
    public var updateAt: Int64
    public var deleteAt: Int64
    /// When the message was last edited; 0 when never.
    public var editAt: Int64
    public var rootID: String
    /// The props Baton reads back from its own posts: `baton_marker` names what a post is
    /// for (a retry looks for it), `baton_through` the last visitor message a post of
    /// several carries. Other props are passed over.
    public var batonMarker: String?
    public var batonThrough: String?
    /// Whether this is Baton's post of several visitor messages (`message-FIRST-0` through
    /// `baton_through`) and `id` is one of them.
    public func relaysVisitorMessage(_ id: Int64) -> Bool {
        guard let marker = batonMarker, marker.hasPrefix("message-"), marker.hasSuffix("-0"),
              let first = Int64(marker.dropFirst("message-".count).dropLast(2)),
              let last = batonThrough.flatMap(Int64.init) else { return false }
        return first <= id && id <= last
    }

    /// Who a `system_remove_from_channel` post says was removed (`props.removedUserId`).
    public var removedUserID: String?
    /// The ids of the files attached (`file_ids`), in the author's order.
    public var fileIDs: [String] = []
    /// The attached files' details (`metadata.files`): deleted files are not listed.
    public var files: [MMFileInfo] = []

    /// Reads a post: `id` is required; a missing or null field reads as empty (an
    /// `update_at` as `create_at`); a field of another type makes it no post. The files
    /// are the exception: a file id or a file's details that cannot be read are passed
    /// over, so a post whose attachments look new still relays its message.
    public init(reading json: inout JSONReader) throws {
        var id: String?
        var (channelID, userID, message, type, rootID) = ("", "", "", "", "")
        var (createAt, updateAt, deleteAt, editAt): (Int64, Int64?, Int64, Int64) = (0, nil, 0, 0)
        var (marker, through, removed): (String?, String?, String?)
        var (fileIDs, files): ([String], [MMFileInfo]) = ([], [])
        try json.members { key, json in
            switch key {
            case "id": id = try json.string()
            case "channel_id": channelID = try json.stringOrNull() ?? ""
            case "user_id": userID = try json.stringOrNull() ?? ""
            case "message": message = try json.stringOrNull() ?? ""
            case "type": type = try json.stringOrNull() ?? ""
            case "root_id": rootID = try json.stringOrNull() ?? ""
            case "create_at": createAt = try json.int64OrNull() ?? 0
            case "update_at": updateAt = try json.int64OrNull()
            case "delete_at": deleteAt = try json.int64OrNull() ?? 0
            case "edit_at": editAt = try json.int64OrNull() ?? 0
            case "props":
                // Some servers send `props: ""` for empty props: it is passed over.
                guard try json.kind() == .object else { return }
                try json.members { key, json in
                    switch key {
                    case "baton_marker": marker = try? json.stringOrNull()
                    case "baton_through": through = try? json.stringOrNull()
                    case "removedUserId": removed = try? json.stringOrNull()
                    default: break
                    }
                }
            case "file_ids":
                guard try json.kind() == .array else { return }
                try json.elements { json in
                    if let fileID = try? json.string() { fileIDs.append(fileID) }
                }
            case "metadata":
                guard try json.kind() == .object else { return }
                try json.members { key, json in
                    guard key == "files", try json.kind() == .array else { return }
                    try json.elements { json in
                        if let file = try? MMFileInfo(reading: &json) { files.append(file) }
                    }
                }
            default: break
            }
        }
        guard let id else { throw JSONReader.Failure.invalid(offset: json.offset, reason: "a post has an id") }
        (self.id, self.channelID, self.userID, self.message, self.type, self.rootID) = (id, channelID, userID, message, type, rootID)
        (self.createAt, self.updateAt, self.deleteAt, self.editAt) = (createAt, updateAt ?? createAt, deleteAt, editAt)
        (batonMarker, batonThrough, removedUserID, self.fileIDs, self.files) = (marker, through, removed, fileIDs, files)
    }

    /// A post the server wrote itself (join, leave, archive...): never relayed.
    public var isSystem: Bool { type.hasPrefix("system_") }
}

public struct MMPostList: Sendable, JSONReadable {
    public var order: [String] = []
    public var posts: [String: MMPost] = [:]

    public init(reading json: inout JSONReader) throws {
        try json.members { key, json in
            switch key {
            case "order":
                if try json.readNull() { return }
                var order: [String] = []
                try json.elements { order.append(try $0.string()) }
                self.order = order
            case "posts":
                if try json.readNull() { return }
                var posts: [String: MMPost] = [:]
                try json.members { key, json in posts[key.name] = try MMPost(reading: &json) }
                self.posts = posts
            default: break
            }
        }
    }

    /// The posts, oldest first. The server's `order` (newest first) is the truth: posts
    /// made in the same millisecond cannot be ordered by `create_at`.
    public var chronological: [MMPost] {
        var seen = Set<String>()
        var result = order.reversed().compactMap { id -> MMPost? in
            guard seen.insert(id).inserted else { return nil }
            return posts[id]
        }
        // Posts the order does not list (it should list all) go by time.
        let rest = posts.values.filter { !seen.contains($0.id) }.sorted { ($0.createAt, $0.id) < ($1.createAt, $1.id) }
        result.append(contentsOf: rest)
        return result.count == rest.count ? rest : result
    }
}

/// A file uploaded to Mattermost (`FileInfo`), as an upload answers it and as a post's
/// `metadata.files` lists it. Missing or null fields read as empty or 0; a field of another
/// type makes it no file info.
public struct MMFileInfo: Sendable, Hashable, JSONReadable {
    public var id: String
    /// The uploader (`user_id`).
    public var userID: String
    /// Empty until the file is attached to a post.
    public var postID: String
    public var channelID: String
    public var name: String
    /// The name's extension, lowercased, without the dot (`extension`).
    public var ext: String
    public var size: Int64
    /// What the server took the file for, from its extension (`mime_type`); empty when the
    /// server does not know the extension.
    public var mimeType: String
    /// Non-zero once deleted (with its post).
    public var deleteAt: Int64

    public init(id: String, userID: String = "", postID: String = "", channelID: String = "", name: String = "",
                ext: String = "", size: Int64 = 0, mimeType: String = "", deleteAt: Int64 = 0) {
        (self.id, self.userID, self.postID, self.channelID) = (id, userID, postID, channelID)
        (self.name, self.ext, self.size, self.mimeType, self.deleteAt) = (name, ext, size, mimeType, deleteAt)
    }

    public init(reading json: inout JSONReader) throws {
        var info = MMFileInfo(id: "")
        try json.members { key, json in
            switch key {
            case "id": info.id = try json.stringOrNull() ?? ""
            case "user_id": info.userID = try json.stringOrNull() ?? ""
            case "post_id": info.postID = try json.stringOrNull() ?? ""
            case "channel_id": info.channelID = try json.stringOrNull() ?? ""
            case "name": info.name = try json.stringOrNull() ?? ""
            case "extension": info.ext = try json.stringOrNull() ?? ""
            case "size": info.size = try json.int64OrNull() ?? 0
            case "mime_type": info.mimeType = try json.stringOrNull() ?? ""
            case "delete_at": info.deleteAt = try json.int64OrNull() ?? 0
            default: break
            }
        }
        self = info
    }
}

/// Mattermost's error body: `{"id", "message", "detailed_error", "request_id", "status_code"}`.
public struct MMAppError: Sendable, Codable, Hashable {
    public var id: String
    public var message: String
    public var detailedError: String?
    public var statusCode: Int?

    enum CodingKeys: String, CodingKey {
        case id, message
        case detailedError = "detailed_error", statusCode = "status_code"
    }
}
