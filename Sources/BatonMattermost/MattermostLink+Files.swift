import BatonCore

/// Files both ways: a visitor's files are uploaded to the room's channel and posted with
/// the message; an agent's files are fetched from Mattermost and stored for the visitor.
extension MattermostLink {
    /// A visitor's files on their way to Mattermost: the ids to attach, and the names of
    /// those Mattermost refused for good (too large for it, files turned off, no right to
    /// upload), which go without: the message is not held up by a file that never will.
    struct UploadedFiles {
        var ids: [String] = []
        var refused: [String] = []
    }

    /// Uploads a visitor's files to the room's channel, each once: a retry reuses what an
    /// earlier attempt uploaded to that channel. A file no longer stored is left out.
    func uploaded(_ files: [Attachment], to room: Room) async throws -> UploadedFiles {
        guard !files.isEmpty else { return UploadedFiles() }
        // The files' bytes are read and built into requests off the event loops.
        return try await withTaskExecutorPreference(limits.fileExecutor) { try await upload(files, to: room) }
    }

    private func upload(_ files: [Attachment], to room: Room) async throws -> UploadedFiles {
        var result = UploadedFiles()
        for attachment in files {
            guard let record = try await store.fileRecord(id: attachment.id) else { continue }
            if let known = record.mattermostID, try await isUploaded(known, to: room.channelID) {
                result.ids.append(known)
                continue
            }
            // Read part by part straight into the request's body.
            var upload = FileUpload(channelID: room.channelID, name: attachment.name, contentType: attachment.contentType,
                                    size: Int(record.attachment.size))
            guard try await store.readContent(of: record, parts: { upload.append($0) }) else { continue }
            let info: MMFileInfo
            do {
                info = try await client.uploadFile(upload)
            } catch let error as MattermostError where Self.refusesFile(error) {
                logger.warning("Mattermost refused a visitor's file; the message goes without it", metadata: [
                    "conversation": "\(room.conversationID)", "file": "\(attachment.id)", "error": "\(error)"])
                result.refused.append(attachment.name)
                continue
            }
            try await store.setMattermostID(info.id, of: attachment.id)
            result.ids.append(info.id)
        }
        return result
    }

    /// Whether a file uploaded before is in `channelID`: Mattermost attaches a file only to a
    /// post in the channel it was uploaded to, and drops any other without a word, so a
    /// room made again (its channel deleted for good, or the chat moved to another server)
    /// gets the transcript's files uploaded anew. An older server that does not say a
    /// file's channel is taken at its word.
    private func isUploaded(_ fileID: String, to channelID: String) async throws -> Bool {
        do {
            let info = try await client.fileInfo(id: fileID)
            return info.deleteAt == 0 && (info.channelID.isEmpty || info.channelID == channelID)
        } catch MattermostError.server(let status, _, _) where status == 403 || status == 404 {
            return false
        } catch MattermostError.forbidden {
            return false
        }
    }

    /// An upload refusal that trying again will not change.
    static func refusesFile(_ error: MattermostError) -> Bool {
        switch error {
        case .forbidden: true
        case .server(let status, _, _): [400, 403, 404, 413, 501].contains(status)
        default: false
        }
    }

    /// Stores the files of an agent's post for the visitor of `room`. Files over the size
    /// limit (or all of them, when files are off) stay in Mattermost, and the agents are
    /// told in the room.
    func agentFiles(of post: MMPost, room: Room) async throws -> [Attachment] {
        guard let conversation = try await store.conversation(id: room.conversationID) else { return [] }
        var infos = post.files
        if Set(infos.map(\.id)) != Set(post.fileIDs) {
            // An event or list without the files' metadata: ask for it.
            infos = []
            for id in post.fileIDs { infos.append(try await client.fileInfo(id: id)) }
        }
        let policy = chat.policy
        // Downloaded bytes are copied and stored off the event loops.
        let (stored, refused) = try await withTaskExecutorPreference(limits.fileExecutor) {
            try await fetch(infos, for: conversation.visitorID, policy: policy)
        }
        if !refused.isEmpty {
            let text = MattermostPosts.filesNotPassedOn(refused.map(\.name), limit: policy.filesEnabled ? policy.maxFileBytes : nil, words: words)
            do {
                _ = try await client.createPost(channelID: room.channelID, message: text, props: ["from_baton": .bool(true)], rootID: room.rootID)
            } catch {
                logger.warning("Could not tell the agents a file was not passed on", metadata: ["mattermost.post": "\(post.id)", "error": "\(error)"])
            }
        }
        return stored
    }

    /// Downloads and stores the files the policy lets through; returns them and the ones refused.
    private func fetch(_ infos: [MMFileInfo], for visitor: VisitorID, policy: ChatPolicy) async throws
        -> (stored: [Attachment], refused: [MMFileInfo]) {
        var stored: [Attachment] = [], refused: [MMFileInfo] = []
        for info in infos.prefix(policy.maxFilesPerMessage) {
            guard policy.filesEnabled, info.size <= Int64(policy.maxFileBytes) else {
                refused.append(info)
                continue
            }
            let (data, type) = try await client.downloadFile(id: info.id, maxBytes: policy.maxFileBytes)
            let attachment = Attachment(id: .newFile(), name: Attachment.cleanName(info.name),
                                        contentType: Attachment.cleanType(info.mimeType.isEmpty ? type : info.mimeType),
                                        size: Int64(data.count))
            try await store.saveFile(StoredFile(attachment: attachment, visitorID: visitor, mattermostID: info.id, data: data))
            stored.append(attachment)
        }
        return (stored, refused)
    }
}
