/// `POST /files`: a raw body (`uploadFileSimple`) or a multipart form (`uploadFileMultipart`
/// and its legacy mode), with the real server's checks in its order.
extension World {
    /// What an upload answers: `file_infos`, and `client_ids` (nil is written as null, as
    /// the real server answers a raw upload without `client_id`).
    struct Uploaded {
        var infos: [FileInfo] = []
        var clientIDs: [String]? = []
    }

    /// A raw body, named by the `filename` query parameter.
    mutating func uploadRaw(_ contents: [UInt8], name: String, channelID: String, clientID: String,
                            by userID: String) throws(APIError) -> Uploaded {
        guard Identifiers.isValid(channelID) else { throw .invalidURLParam("channel_id") }
        guard !name.isEmpty else { throw .invalidURLParam("filename") }
        try checkCanUpload(userID, channelID)
        let file = try storeFile(named: name, contents: contents[...], in: channelID, by: userID)
        return Uploaded(infos: [file], clientIDs: clientID.isEmpty ? nil : [clientID])
    }

    /// A form. The real server reads it until `channel_id` or the first file: `channel_id`
    /// first (or in the query) streams the form, a file first falls back to the legacy mode.
    /// A form with neither uploads nothing and still answers 201.
    mutating func uploadForm(_ parts: [MultipartBody.Part], channelID: String, by userID: String) throws(APIError) -> Uploaded {
        let named = parts.filter { !$0.formName.isEmpty }
        guard channelID.isEmpty else { return try uploadStreamed(named, channelID: channelID, by: userID) }
        var clientIDs = 0
        for part in named {
            if part.isFile { return try uploadLegacy(named, by: userID) }
            switch part.formName {
            case "channel_id": return try uploadStreamed(named, channelID: "", by: userID)
            case "client_ids": clientIDs += 1
            default: throw .invalidParam(part.formName)
            }
        }
        guard clientIDs == 0 else { throw .wrongClientIDCount(clientIDs, files: 0) }
        return Uploaded()
    }

    /// Fields are read as they come: `channel_id` (one value only), `client_ids` (one per
    /// file, or none at all), nothing else; each file is checked and stored as it comes.
    private mutating func uploadStreamed(_ parts: [MultipartBody.Part], channelID initial: String,
                                         by userID: String) throws(APIError) -> Uploaded {
        var channelID = initial
        var clientIDs: [String] = []
        var expectsClientIDs = true
        var uploaded = Uploaded()
        for part in parts {
            guard part.isFile else {
                let value = Self.fieldValue(part)
                switch part.formName {
                case "channel_id":
                    guard channelID.isEmpty || channelID == value else { throw .conflictingChannelIDs }
                    if !value.isEmpty { channelID = value }
                case "client_ids":
                    guard expectsClientIDs else { throw .invalidParam("client_ids") }
                    clientIDs.append(value)
                default:
                    throw .invalidParam(part.formName)
                }
                continue
            }
            guard Identifiers.isValid(channelID) else { throw .invalidURLParam("channel_id") }
            try checkCanUpload(userID, channelID)
            if uploaded.infos.isEmpty, clientIDs.isEmpty { expectsClientIDs = false }
            if expectsClientIDs {
                guard uploaded.infos.count < clientIDs.count else { throw .invalidParam("client_ids") }
                uploaded.clientIDs?.append(clientIDs[uploaded.infos.count])
            }
            uploaded.infos.append(try storeFile(named: part.fileName, contents: part.content, in: channelID, by: userID))
        }
        if expectsClientIDs, clientIDs.count != uploaded.infos.count {
            throw .wrongClientIDCount(clientIDs.count, files: uploaded.infos.count)
        }
        return uploaded
    }

    /// The whole form at once: the first `channel_id`, the `files` parts (parts under other
    /// names are passed over), and `client_ids` for all of them or none.
    private mutating func uploadLegacy(_ parts: [MultipartBody.Part], by userID: String) throws(APIError) -> Uploaded {
        let values = { (name: String) in parts.filter { !$0.isFile && $0.formName == name }.map(Self.fieldValue) }
        guard let channelID = values("channel_id").first else { throw .invalidParam("channel_id") }
        guard Identifiers.isValid(channelID) else { throw .invalidURLParam("channel_id") }
        try checkCanUpload(userID, channelID)
        let clientIDs = values("client_ids")
        let fileParts = parts.filter { $0.isFile && $0.formName == "files" }
        guard clientIDs.isEmpty || clientIDs.count == fileParts.count else {
            throw .wrongClientIDCount(clientIDs.count, files: fileParts.count)
        }
        var uploaded = Uploaded()
        for (index, part) in fileParts.enumerated() {
            uploaded.infos.append(try storeFile(named: part.fileName, contents: part.content, in: channelID, by: userID))
            if index < clientIDs.count, !clientIDs[index].isEmpty { uploaded.clientIDs?.append(clientIDs[index]) }
        }
        return uploaded
    }

    /// A field's value: the real server reads at most 10 KiB of it.
    private static func fieldValue(_ part: MultipartBody.Part) -> String {
        String(decoding: part.content.prefix(10 * 1024), as: UTF8.self)
    }
}
