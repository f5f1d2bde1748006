import BatonCore
import NIOCore

/// Files: uploading into a channel (then attaching with `createPost(fileIDs:)`), and reading
/// a file's details and bytes back.
extension MattermostClient {
    /// Uploads a file into a channel, where the relay user must be able to post; attach it
    /// with `createPost(fileIDs:)`. Sent as `multipart/form-data` the way browsers send it:
    /// `"`, CR and LF in the name percent-encoded, everything else as UTF-8. Mattermost keeps
    /// those escapes (a `"` comes back as `%22`) and takes the MIME type from the name's
    /// extension, not from `contentType`. Over the server's `MaxFileSize` (100 MiB by
    /// default) it answers 413.
    public func uploadFile(channelID: String, name: String, contentType: String, data: [UInt8]) async throws -> MMFileInfo {
        var form = MultipartForm()
        form.field("channel_id", channelID)
        form.file("files", filename: name, contentType: contentType, data: data)
        let path = "/api/v4/files"
        let (_, _, answer) = try await call(.POST, path, encodedBody: form.finished(), contentType: form.contentType)
        guard let info = try decode(UploadAnswer.self, from: answer, path: path).fileInfos.first else {
            throw MattermostError.notMattermost(url: baseURL, reason: "the answer to \(path) lists no file")
        }
        return info
    }

    /// A file's details; the uploader and the members of its post's channel may read them.
    public func fileInfo(id: String) async throws -> MMFileInfo {
        try await request(.GET, "/api/v4/files/\(Self.pathSegment(id))/info", as: MMFileInfo.self)
    }

    /// A file's bytes and the type the server serves it as (`application/octet-stream`
    /// when it says none). A file larger than `maxBytes` is refused, as a 413 `server`
    /// error, without being read whole.
    public func downloadFile(id: String, maxBytes: Int) async throws -> (data: [UInt8], contentType: String) {
        let (_, headers, body) = try await call(.GET, "/api/v4/files/\(Self.pathSegment(id))", encodedBody: nil,
                                                accept: "*/*", limit: max(0, maxBytes))
        return (Array(body.readableBytesView), headers.first(name: "Content-Type") ?? "application/octet-stream")
    }
}

/// The answer to `POST /files`: `{"file_infos": [...], "client_ids": [...]}` (the server
/// sends `client_ids: null` when none were given).
struct UploadAnswer: JSONReadable {
    var fileInfos: [MMFileInfo] = []

    init(reading json: inout JSONReader) throws {
        var infos: [MMFileInfo] = []
        try json.members { key, json in
            guard key == "file_infos", try !json.readNull() else { return }
            try json.elements { infos.append(try MMFileInfo(reading: &$0)) }
        }
        fileInfos = infos
    }
}

/// A `multipart/form-data` body written as browsers write it (the HTML standard's
/// algorithm): CRLF line ends, and in the `name` and `filename` parameters `"`, CR and LF
/// percent-encoded while other characters stay UTF-8, so no name can end its header early.
struct MultipartForm {
    /// About 140 random bits: a boundary that no file contains but by chance.
    let boundary: String
    private var body = ByteBuffer()

    init() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        let random = (0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt8(alphabet.count)))] }
        boundary = "BatonFormBoundary" + String(decoding: random, as: UTF8.self)
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func field(_ name: String, _ value: String) {
        part(disposition: "form-data; name=\"\(Self.escape(name))\"", contentType: nil, content: Array(value.utf8))
    }

    mutating func file(_ name: String, filename: String, contentType: String, data: [UInt8]) {
        // A type that could break its header line goes as the generic one.
        let safeType = contentType.utf8.allSatisfy { (0x20..<0x7F).contains($0) } && !contentType.isEmpty
            ? contentType : "application/octet-stream"
        part(disposition: "form-data; name=\"\(Self.escape(name))\"; filename=\"\(Self.escape(filename))\"",
             contentType: safeType, content: data)
    }

    /// The body, closed by the final boundary.
    func finished() -> ByteBuffer {
        var closed = body
        closed.writeString("--\(boundary)--\r\n")
        return closed
    }

    private mutating func part(disposition: String, contentType: String?, content: [UInt8]) {
        var head = "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        body.writeString(head + "\r\n")
        body.writeBytes(content)
        body.writeString("\r\n")
    }

    /// `"` → `%22`, CR → `%0D`, LF → `%0A`; nothing else changes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "%22"
            case "\r": escaped += "%0D"
            case "\n": escaped += "%0A"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
