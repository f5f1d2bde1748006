/// `/files…`: upload, download and a file's details.
enum FileRoutes {
    typealias APIError = MattermostSandbox.APIError

    static func register(_ table: inout RouteTable) {
        table.add("POST", "files", upload)
        table.add("GET", "files/{file_id}", download)
        table.add("GET", "files/{file_id}/info", info)
    }

    /// 201 with `file_infos` and `client_ids`. An empty body is refused first; a
    /// `multipart/form-data` body needs its boundary; any other body is one file named by
    /// the `filename` query parameter, as the reference's second form describes.
    static func upload(_ call: Call) throws(APIError) -> Reply {
        let limit = call.core.configuration.maxFileSize
        guard !call.bodyTooLarge else { throw .fileTooLarge(call.query["filename"] ?? "", size: -1, max: limit) }
        guard !call.body.isEmpty else { throw .unreadableUpload("Content-Length should not be 0") }
        let channelID = call.query["channel_id"] ?? ""
        var parts: [MultipartBody.Part]?
        if let media = MediaType(call.contentType), media.type == "multipart/form-data" {
            guard let boundary = media.params["boundary"], !boundary.isEmpty else {
                throw .unreadableUpload("no multipart boundary param in Content-Type")
            }
            do {
                parts = try MultipartBody.parts(of: call.body, boundary: boundary)
            } catch {
                throw .unreadableUpload(error.reason)
            }
        }
        return try call.world { (world: inout World) throws(APIError) in
            let uploaded = if let parts {
                try world.uploadForm(parts, channelID: channelID, by: call.userID)
            } else {
                try world.uploadRaw(call.body, name: call.query["filename"] ?? "", channelID: channelID,
                                    clientID: call.query["client_id"] ?? "", by: call.userID)
            }
            return Reply.json(201) { json in
                json.object { w in
                    w.key("file_infos")
                    w.array(uploaded.infos) { world.write($1, to: &$0) }
                    w.key("client_ids")
                    if let clientIDs = uploaded.clientIDs { w.array(clientIDs) { $0.string($1) } } else { w.null() }
                }
            }
        }
    }

    /// The bytes, with the headers of the real `web.WriteFileResponse`: the served type,
    /// `Content-Disposition` with the name percent-encoded (`inline` for images, video and
    /// audio unless `download=true`), `nosniff`, and no framing.
    static func download(_ call: Call) throws(APIError) -> Reply {
        let fileID = try call.id("file_id")
        let forced = ["1", "t", "T", "true", "TRUE", "True"].contains(call.query["download"] ?? "")
        return try call.world { (world: inout World) throws(APIError) in
            let file = try world.readableFile(fileID, by: call.userID)
            let type = FileNaming.servedType(file.mimeType)
            let name = FileNaming.pathEscape(file.name)
            let disposition = FileNaming.isMedia(type) && !forced ? "inline" : "attachment"
            return Reply(status: 200, body: world.fileContents[fileID] ?? [], contentType: type, headers: [
                ("Cache-Control", "public, max-age=31536000, immutable"),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Disposition", "\(disposition);filename=\"\(name)\"; filename*=UTF-8''\(name)"),
                ("X-Frame-Options", "DENY"),
                ("Content-Security-Policy", "Frame-ancestors 'none'"),
            ])
        }
    }

    static func info(_ call: Call) throws(APIError) -> Reply {
        let fileID = try call.id("file_id")
        return try call.world { (world: inout World) throws(APIError) in
            let file = try world.readableFile(fileID, by: call.userID)
            var reply = Reply.json { world.write(file, to: &$0) }
            reply.headers = [("Cache-Control", "max-age=2592000, private")]
            return reply
        }
    }
}
