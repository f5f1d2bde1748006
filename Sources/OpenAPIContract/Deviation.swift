extension OpenAPIContract {
    /// A way the real Mattermost server departs from its reference, accepted on purpose.
    ///
    /// Each one is documented in `shared/mattermost-api/README.md`; nothing else is excused.
    public enum Deviation: String, Sendable, CaseIterable, Hashable {
        /// `POST /api/v4/users/login` answers 200 where the reference says 201 (same body).
        case loginAnswers200
        /// Over a rate limit the server answers 429 with a plain-text body, not `AppError`.
        case rateLimitInPlainText
        /// `POST /api/v4/channels/{channel_id}/members` also takes `{"user_ids": [...]}`
        /// (up to 1,000) and then answers 201 with an array of `ChannelMember`.
        case addChannelMembersByUserIDs
        /// `GET /api/v4/files/{file_id}` answers 200 with the file's bytes, served as the
        /// file's type; the reference documents no 200 at all.
        case fileDownloadAnswers200
        /// `POST /api/v4/files` with the file as the raw body and no `client_id` answers
        /// `"client_ids": null` where the reference says an array.
        case uploadAnswersNullClientIDs
    }
}

extension Set where Element == OpenAPIContract.Deviation {
    /// Every deviation the README documents for the real server.
    public static var mattermostServer: Self { Set(OpenAPIContract.Deviation.allCases) }
}

/// The schemas the deviations need, written out as the README describes them.
enum DeviationSchemas {
    static let addChannelMembersPath = "/api/v4/channels/{channel_id}/members"
    static let uploadPath = "/api/v4/files"
    static let downloadPath = "/api/v4/files/{file_id}"

    static let userIDsRequest: JSONValue = .object([
        "type": .string("object"),
        "required": .array([.string("user_ids")]),
        "properties": .object([
            "user_ids": .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
            "post_root_id": .object(["type": .string("string")]),
        ]),
    ])

    static let channelMembersResponse: JSONValue = .object([
        "type": .string("array"),
        "items": .object(["$ref": .string("#/components/schemas/ChannelMember")]),
    ])

    static let maxUserIDs = 1000
}
