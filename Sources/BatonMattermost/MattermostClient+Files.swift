import BatonCore
import NIOCore

/// Files: uploading into a channel (then attaching with `createPost(fileIDs:)`), and reading
/// a file's details and bytes back.
extension MattermostClient {
    /// Uploads a file into a channel, where the relay user must be able to post; attach it
    /// with `createPost(fileIDs:)`. Sent as `multipart/form-data`, the name as UTF-8 in a
    /// quoted string whose escapes Mattermost undoes (`MultipartForm.escape`). Mattermost
    /// takes the MIME type from the name's extension, not from `contentType`. Over the
    /// server's `MaxFileSize` (100 MiB by default) it answers 413.
    public func uploadFile(channelID: String, name: String, contentType: String, data: [UInt8]) async throws -> MMFileInfo {
        var upload = FileUpload(channelID: channelID, name: name, contentType: contentType, size: data.count)
        upload.append(data)
        return try await uploadFile(upload)
    }

    /// Uploads a file whose content was appended to `upload` part by part.
    public func uploadFile(_ upload: consuming FileUpload) async throws -> MMFileInfo {
        let path = "/api/v4/files"
        let contentType = upload.contentType
        let (_, _, answer) = try await call(.POST, path, encodedBody: try upload.finished(), contentType: contentType)
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

/// The body of one file's upload into a channel, its content appended part by part into
/// a buffer sized for it at the start: the file is copied once on its way to Mattermost.
public struct FileUpload: Sendable {
    private var form: MultipartForm
    private let size: Int
    private var appended = 0

    /// `size` is the content's length in bytes.
    public init(channelID: String, name: String, contentType: String, size: Int) {
        self.size = size
        form = MultipartForm(capacity: size + 512 + name.utf8.count * 3 + contentType.utf8.count)
        form.field("channel_id", channelID)
        form.beginFile("files", filename: name, contentType: contentType)
    }

    public mutating func append(_ bytes: [UInt8]) {
        form.append(bytes)
        appended += bytes.count
    }

    var contentType: String { form.contentType }

    /// The body; its content must be `size` bytes, as announced.
    consuming func finished() throws -> ByteBuffer {
        guard appended == size else { throw IncompleteUpload(expected: size, given: appended) }
        form.endPart()
        return form.finish()
    }
}

/// A file upload given more or fewer bytes than its size: not sent.
public struct IncompleteUpload: Error, CustomStringConvertible {
    public let expected: Int
    public let given: Int
    public var description: String { "a file upload of \(expected) bytes was given \(given)" }
}

/// A `multipart/form-data` body written as browsers write it (the HTML standard's
/// algorithm): CRLF line ends, and in the `name` and `filename` parameters `"`, CR and LF
/// percent-encoded while other characters stay UTF-8, so no name can end its header early.
struct MultipartForm {
    /// About 140 random bits: a boundary that no file contains but by chance.
    let boundary: String
    private var body: ByteBuffer

    /// `capacity`: the bytes the whole body is expected to take, allocated at once.
    init(capacity: Int = 0) {
        body = ByteBuffer()
        body.reserveCapacity(capacity)
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
        beginFile(name, filename: filename, contentType: contentType)
        append(data)
        endPart()
    }

    /// A file part's head; its content follows (`append`), then `endPart()`.
    mutating func beginFile(_ name: String, filename: String, contentType: String) {
        // A type that could break its header line goes as the generic one.
        let safeType = contentType.utf8.allSatisfy { (0x20..<0x7F).contains($0) } && !contentType.isEmpty
            ? contentType : "application/octet-stream"
        beginPart(disposition: "form-data; name=\"\(Self.escape(name))\"; filename=\"\(Self.escape(filename))\"",
                  contentType: safeType)
    }

    mutating func append(_ content: [UInt8]) {
        body.writeBytes(content)
    }

    mutating func endPart() {
        body.writeString("\r\n")
    }

    /// The body, closed by the final boundary (written in place: not a copy).
    mutating func finish() -> ByteBuffer {
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    private mutating func part(disposition: String, contentType: String?, content: [UInt8]) {
        beginPart(disposition: disposition, contentType: contentType)
        append(content)
        endPart()
    }

    private mutating func beginPart(disposition: String, contentType: String?) {
        var head = "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        body.writeString(head + "\r\n")
    }

    /// A quoted string's escapes that Mattermost (Go's `mime.ParseMediaType`) undoes: `"`
    /// → `\"`, `\` → `\\`. (Browsers write `%22`, which Go keeps as it is: the file's
    /// name in Mattermost would show it.) CR → `%0D`, LF → `%0A`, which would end the
    /// header (names never hold them: `Attachment.cleanName`); nothing else changes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\r": escaped += "%0D"
            case "\n": escaped += "%0A"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
