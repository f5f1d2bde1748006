/// Files: storing an upload, who may read a file, attaching files to a post, and their JSON.
extension World {
    /// `upload_file` in a channel: members and system admins; a channel that does not
    /// exist is a 403 too, as the real permission check finds no channel to grant it on.
    /// The real server takes uploads into archived channels (they can never be attached:
    /// posting there is refused).
    func checkCanUpload(_ userID: String, _ channelID: String) throws(APIError) {
        guard channels[channelID] != nil, canPost(userID, channelID) else { throw .permissions }
    }

    /// `UploadFileX` after the caller's checks: the size limit (413), then the file is
    /// stored with its name, extension and type derived as the real server derives them.
    mutating func storeFile(named rawName: String, contents: ArraySlice<UInt8>, in channelID: String,
                            by userID: String) throws(APIError) -> FileInfo {
        let name = FileNaming.base(rawName)
        let size = Int64(contents.count)
        guard size <= configuration.maxFileSize else { throw .fileTooLarge(name, size: size, max: configuration.maxFileSize) }
        let fileExtension = FileNaming.fileExtension(of: name)
        let time = now()
        let file = FileInfo(id: Identifiers.newID(), userID: userID, postID: "", channelID: channelID, createAt: time,
                            updateAt: time, deleteAt: 0, name: name, fileExtension: fileExtension, size: size,
                            mimeType: FileNaming.mimeType(forExtension: fileExtension), width: 0, height: 0,
                            hasPreviewImage: false)
        files[file.id] = file
        fileContents[file.id] = Array(contents)
        return file
    }

    /// `GET /files/{id}` and `/info`: a deleted or unknown file is a 404; the uploader may
    /// read it, and once it is attached, the members of its post's channel and system
    /// admins (the real check is `read_channel` on the post's channel, which public-channel
    /// outsiders lack). Nobody else reads a file not attached yet.
    func readableFile(_ fileID: String, by userID: String) throws(APIError) -> FileInfo {
        guard let file = files[fileID], file.deleteAt == 0 else { throw .missingFile }
        guard file.userID != userID else { return file }
        guard !file.postID.isEmpty else { throw .permissions }
        let channelID = posts[file.postID]?.channelID ?? file.channelID
        guard isSystemAdmin(userID) || isChannelMember(userID, channelID) else { throw .permissions }
        return file
    }

    /// `Post.IsValid`: the ids written as a JSON array may be at most 300 runes long,
    /// which makes 10 ids the most a post can have.
    static func fileIDsFit(_ fileIDs: [String]) -> Bool {
        var writer = GoJSONWriter()
        writer.array(fileIDs) { $0.string($1) }
        return writer.text.unicodeScalars.count <= 300
    }

    /// `attachFilesToPost`: the files that exist, were uploaded by the author into this
    /// channel and are not attached yet, each once; the real server drops the others
    /// from the post without an error.
    func attachableFiles(_ fileIDs: [String], in channelID: String, by userID: String) -> [String] {
        var taken = Set<String>()
        return fileIDs.filter { fileID in
            guard let file = files[fileID], file.deleteAt == 0, file.postID.isEmpty, file.userID == userID,
                  file.channelID == channelID else { return false }
            return taken.insert(fileID).inserted
        }
    }

    /// Deleting a post deletes its files: they answer 404 from then on.
    mutating func deleteFiles(of post: Post, at time: Int64) {
        for fileID in post.fileIDs where files[fileID]?.postID == post.id {
            files[fileID]?.deleteAt = time
            files[fileID]?.updateAt = time
        }
    }

    /// The post's files that are not deleted, in the post's order (`metadata.files`).
    func files(of post: Post) -> [FileInfo] {
        post.fileIDs.compactMap { files[$0] }.filter { $0.postID == post.id && $0.deleteAt == 0 }
    }

    /// A `FileInfo` as Go writes it: `post_id`, `width`, `height` and `has_preview_image`
    /// left out when empty (`omitempty`), `mini_preview` null.
    func write(_ file: FileInfo, to json: inout GoJSONWriter) {
        json.object { w in
            w.field("id", file.id)
            w.field("user_id", file.userID)
            if !file.postID.isEmpty { w.field("post_id", file.postID) }
            w.field("channel_id", file.channelID)
            w.field("create_at", file.createAt)
            w.field("update_at", file.updateAt)
            w.field("delete_at", file.deleteAt)
            w.field("name", file.name)
            w.field("extension", file.fileExtension)
            w.field("size", file.size)
            w.field("mime_type", file.mimeType)
            if file.width != 0 { w.field("width", file.width) }
            if file.height != 0 { w.field("height", file.height) }
            if file.hasPreviewImage { w.field("has_preview_image", true) }
            w.nullField("mini_preview")
            w.field("remote_id", "")
            w.field("archived", false)
        }
    }
}
