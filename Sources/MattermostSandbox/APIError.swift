extension MattermostSandbox {
    /// An error as the real server reports it: the JSON body
    /// `{"id", "message", "detailed_error", "request_id", "status_code"}` and the status.
    /// The acting methods (`post(as:in:_:)`, …) throw it for the same reasons the REST API
    /// would refuse.
    public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The translation id, e.g. `api.context.session_expired.app_error`.
        public var id: String
        public var message: String
        public var detailedError: String
        public var statusCode: Int

        public init(_ id: String, _ message: String, status: Int, detailed: String = "") {
            self.id = id
            self.message = message
            self.statusCode = status
            self.detailedError = detailed
        }

        public var description: String { "\(statusCode) \(id): \(message)" }

        func json(requestID: String) -> [UInt8] {
            var writer = GoJSONWriter()
            writer.object { json in
                json.field("id", id)
                json.field("message", message)
                json.field("detailed_error", detailedError)
                json.field("request_id", requestID)
                json.field("status_code", statusCode)
            }
            return writer.bytes
        }
    }
}

/// The errors the handlers share, with the real ids and English messages.
extension MattermostSandbox.APIError {
    static let sessionExpired = Self("api.context.session_expired.app_error", "Invalid or expired session, please login again.", status: 401)
    static let permissions = Self("api.context.permissions.app_error", "You do not have the appropriate permissions.", status: 403)
    static let notFound404 = Self("api.context.404.app_error", "Sorry, we could not find the page.", status: 404)
    static let invalidCredentials = Self("api.user.login.invalid_credentials_email_username", "Enter a valid email or username and/or password.", status: 401)
    static let blankPassword = Self("api.user.login.blank_pwd.app_error", "Password field must not be blank", status: 400)
    static let missingUser = Self("app.user.missing_account.const", "Unable to find the user.", status: 404)
    static let missingChannel = Self("app.channel.get.existing.app_error", "Unable to find the existing channel.", status: 404)
    static let missingChannelByName = Self("app.channel.get_by_name.missing.app_error", "Channel does not exist.", status: 404)
    static let missingTeamByName = Self("app.team.get_by_name.missing.app_error", "Unable to find the existing team.", status: 404)
    static let missingTeam = Self("app.team.get.find.app_error", "Unable to find the existing team.", status: 404)
    static let missingTeamMember = Self("app.team.get_member.missing.app_error", "No team member found for that user ID and team ID.", status: 404)
    static let missingPost = Self("app.post.get.app_error", "Unable to get post.", status: 404)
    static let channelExists = Self("store.sql_channel.save_channel.exists.app_error", "A channel with that name already exists on the same team.", status: 400)
    static func channelLimit(_ limit: Int) -> Self {
        Self("api.channel.create_channel.max_channel_limit.app_error", "Unable to create more than \(limit) channels for current team.", status: 400)
    }
    static func editTimeLimit(_ seconds: Int) -> Self {
        Self("api.post.update_post.permissions_time_limit.app_error", "Post edit is only allowed for \(seconds) seconds. Please ask your System Administrator for details.", status: 400)
    }
    static let deletedChannelPost = Self("api.post.create_post.can_not_post_to_deleted.error", "Can not post to deleted channel.", status: 400)
    static let deletedChannelEdit = Self("api.post.patch_post.can_not_update_post_in_deleted.error", "Can not update a post in a deleted channel.", status: 400)
    static let invalidRootID = Self("api.post.create_post.root_id.app_error", "Invalid RootId parameter.", status: 400)
    static let channelArchived = Self("api.channel.delete_channel.deleted.app_error", "The channel has been archived or deleted.", status: 400)
    static let usernameExists = Self("app.user.save.username_exists.app_error", "An account with that username already exists.", status: 400)
    static let emailExists = Self("app.user.save.email_exists.app_error", "An account with that email already exists.", status: 400)

    static let missingFile = Self("app.file_info.get.app_error", "Unable to get the file info.", status: 404)
    static let invalidFileIDs = Self("model.post.is_valid.file_ids.app_error", "Invalid file ids.", status: 400)
    static let conflictingChannelIDs = Self("api.file.upload_file.multiple_channel_ids.app_error",
                                            "Unable to upload file(s). Multiple conflicting channel_ids.", status: 400)

    /// The upload's body could not be read as the request says it is.
    static func unreadableUpload(_ detail: String) -> Self {
        Self("api.file.upload_file.read_request.app_error", "Unable to upload file(s). Error reading or parsing request data.",
             status: 400, detailed: detail)
    }

    static func wrongClientIDCount(_ clientIDs: Int, files: Int) -> Self {
        Self("api.file.upload_file.incorrect_number_of_client_ids.app_error",
             "Unable to upload file(s). Have \(clientIDs) client_ids for \(files) files.", status: 400)
    }

    static func fileTooLarge(_ name: String, size: Int64, max: Int64) -> Self {
        Self("api.file.upload_file.too_large_detailed.app_error",
             "Unable to upload file \(name). \(size) bytes exceeds the maximum allowed \(max) bytes.", status: 413)
    }

    static func invalidParam(_ name: String) -> Self {
        Self("api.context.invalid_param.app_error", "Invalid \(name) parameter.", status: 400)
    }

    static func invalidBodyParam(_ name: String) -> Self {
        Self("api.context.invalid_body_param.app_error", "Invalid or missing \(name) in request body.", status: 400)
    }

    static func invalidURLParam(_ name: String) -> Self {
        Self("api.context.invalid_url_param.app_error", "Invalid or missing \(name) parameter in request URL.", status: 400)
    }

    static func cannotDeleteDefault(_ channel: String) -> Self {
        Self("api.channel.delete_channel.cannot.app_error", "Unable to delete the default channel \(channel).", status: 400)
    }

    static func messageTooLong(_ length: Int, max: Int) -> Self {
        Self("model.post.is_valid.msg.app_error",
             "Invalid message.", status: 400,
             detailed: "Length=\(length) MaxLength=\(max)")
    }

    static func invalidChannel(_ field: String, _ message: String) -> Self {
        Self("model.channel.is_valid.\(field).app_error", message, status: 400)
    }
}
