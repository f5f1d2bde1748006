extension MattermostSandbox {
    /// A file uploaded into a channel (`FileInfo`), attached to at most one post. The bytes
    /// are kept apart (`fileContents(id:)`).
    public struct FileInfo: Sendable, Hashable, Identifiable {
        public let id: String
        /// The uploader (`user_id`).
        public var userID: String
        /// Empty until attached to a post; the JSON then leaves `post_id` out, as Go's
        /// `omitempty` does.
        public var postID: String
        public var channelID: String
        public var createAt: Int64
        public var updateAt: Int64
        /// Non-zero once deleted (with its post); a deleted file answers 404.
        public var deleteAt: Int64
        /// The uploaded name's last path element (`filepath.Base`).
        public var name: String
        /// The name's extension, lowercased, without the dot (`extension`).
        public var fileExtension: String
        public var size: Int64
        /// From the extension, as the real server's `mime.TypeByExtension` gives it; the
        /// type a client declared is not used. Empty for an extension it does not know.
        public var mimeType: String
        /// The sandbox decodes no images: 0, 0 and false (the JSON leaves them out).
        public var width: Int
        public var height: Int
        public var hasPreviewImage: Bool
    }
}

/// File names and types as the real server derives them (Go's `filepath` and `mime`).
enum FileNaming {
    /// `filepath.Base` on Linux: the last `/`-separated element, `.` for an empty name.
    static func base(_ name: String) -> String {
        var trimmed = Substring(name)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { return "." }
        if trimmed == "/" { return "/" }
        return String(trimmed.split(separator: "/", omittingEmptySubsequences: false).last ?? trimmed)
    }

    /// `strings.ToLower(filepath.Ext(name))` without the leading dot.
    static func fileExtension(of name: String) -> String {
        guard let dot = name.lastIndex(where: { $0 == "." || $0 == "/" }), name[dot] == "." else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }

    /// `mime.TypeByExtension`: Go's built-in table plus the usual `/etc/mime.types` of
    /// the server's image (text types get `; charset=utf-8`, as Go adds it).
    static func mimeType(forExtension ext: String) -> String {
        types[ext] ?? ""
    }

    private static let types: [String: String] = [
        "avif": "image/avif", "bmp": "image/bmp", "css": "text/css; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "doc": "application/msword", "gif": "image/gif", "gz": "application/gzip", "heic": "image/heic",
        "htm": "text/html; charset=utf-8", "html": "text/html; charset=utf-8", "ics": "text/calendar; charset=utf-8",
        "jpeg": "image/jpeg", "jpg": "image/jpeg", "js": "text/javascript; charset=utf-8", "json": "application/json",
        "md": "text/markdown; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "mov": "video/quicktime",
        "mp3": "audio/mpeg", "mp4": "video/mp4", "odt": "application/vnd.oasis.opendocument.text", "ogg": "audio/ogg",
        "pdf": "application/pdf", "png": "image/png", "rtf": "application/rtf", "svg": "image/svg+xml",
        "tar": "application/x-tar", "tif": "image/tiff", "tiff": "image/tiff", "txt": "text/plain; charset=utf-8",
        "wasm": "application/wasm", "webm": "video/webm", "webp": "image/webp", "xml": "text/xml; charset=utf-8",
        "zip": "application/zip",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// How `GET /files/{id}` serves a type (`web.WriteFileResponse`): none as
    /// `application/octet-stream`, script and HTML as `text/plain`.
    static func servedType(_ mimeType: String) -> String {
        if mimeType.isEmpty { return "application/octet-stream" }
        let unsafe = ["application/javascript", "application/ecmascript", "text/javascript", "text/ecmascript",
                      "application/x-javascript", "text/html"]
        return unsafe.contains(where: mimeType.hasPrefix) ? "text/plain" : mimeType
    }

    /// Images, video and audio a browser shows are served `inline`, the rest as `attachment`.
    static func isMedia(_ servedType: String) -> Bool {
        let media = ["image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff", "image/webp", "video/avi",
                     "video/mpeg", "video/mp4", "video/webm", "video/ogg", "video/quicktime", "video/x-matroska",
                     "audio/mpeg", "audio/wav", "audio/ogg", "audio/webm", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/flac"]
        return media.contains(where: servedType.hasPrefix)
    }

    /// Go's `url.PathEscape`: letters, digits and `-_.~$&+:=@` stay, every other byte is `%XX`.
    static func pathEscape(_ text: String) -> String {
        let kept = Set("-_.~$&+:=@".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            let isAlphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if isAlphanumeric || kept.contains(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
