/// Files that travel with messages: a visitor's upload, or a file an agent attached in
/// Mattermost. The content is stored in the database (every Baton sharing it can serve
/// it); a message carries what the widget and the agents need to show it.

public enum FileTag {}
/// A file's id: 26 characters of lowercase base32 (130 random bits). Knowing it is what
/// lets a browser fetch the file, so it is never guessable.
public typealias FileID = Identifier<FileTag>

extension FileID {
    public static func newFile() -> FileID { FileID(RandomID.make(length: 26)) }

    /// Whether `text` has the form of a file id (from a URL or a widget's frame).
    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 26 && text.utf8.allSatisfy { RandomID.alphabet.contains($0) }
    }
}

/// A file attached to a message, as shown: its content is fetched by `id`.
public struct Attachment: Sendable, Codable, Hashable {
    public var id: FileID
    /// The file's name as its sender gave it (cleaned: no path, no control characters).
    public var name: String
    /// Its media type as its sender gave it; what it is served as is decided when served.
    public var contentType: String
    public var size: Int64

    public init(id: FileID, name: String, contentType: String, size: Int64) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.size = size
    }

    /// A file name fit to show and to send on: the last path component, control and
    /// bidirectional-override characters and invisible ones removed as from a message
    /// (`ChatService.clean`; the joiners stay), at most 200 characters, cut between two
    /// (a longer name is cut before its extension, which stays); "file" when nothing is
    /// left.
    public static func cleanName(_ raw: String) -> String {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        // As a message's text is cleaned (the joiners of Persian words and emoji stay), and
        // on one line.
        var scalars = Array(ChatService.clean(last).unicodeScalars).filter { $0 != "\n" && $0 != "\t" }
        if scalars.count > 200 {
            // An extension: a dot and up to 16 letters or digits at the end.
            let ext = scalars.suffix(17).split(separator: ".", omittingEmptySubsequences: false).last ?? []
            let keep = ext.count < 17 && !ext.isEmpty && ext.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
                ? ext.count + 1 : 0
            // Cut between characters: a flag or a skin tone is not split, nor an accent
            // lost from its letter.
            let start = String(String.UnicodeScalarView(scalars)).prefix(scalars: 200 - keep)
            scalars = Array(start.unicodeScalars) + scalars.suffix(keep)
        }
        var name = String(String.UnicodeScalarView(scalars)).trimmingWhitespace()
        while name.hasPrefix(".") { name.removeFirst() }
        return name.isEmpty ? "file" : name
    }

    /// A media type fit to store: `type/subtype` of token characters, lowercased,
    /// parameters dropped; `application/octet-stream` otherwise.
    public static func cleanType(_ raw: String?) -> String {
        guard let raw else { return "application/octet-stream" }
        let essence = (raw.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingWhitespace() } ?? "").lowercased()
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        let token = { (part: Substring) in
            !part.isEmpty && part.count <= 100 && part.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) || "!#$&-^_.+".utf8.contains(byte)
            }
        }
        guard parts.count == 2, token(parts[0]), token(parts[1]) else { return "application/octet-stream" }
        return essence
    }
}

/// A stored file: who it belongs to, where it was sent, and (when read whole) its bytes.
public struct StoredFile: Sendable, Hashable {
    public var attachment: Attachment
    /// The visitor whose chat it belongs to (the uploader, or the visitor an agent sent it to).
    public var visitorID: VisitorID
    /// The message it was sent with; nil until then (an upload not sent yet).
    public var messageID: MessageID?
    /// The file's id in Mattermost once uploaded there (a visitor's file) or where it
    /// came from (an agent's).
    public var mattermostID: String?
    public var createdAt: Millis
    /// The content; empty when only the record was read.
    public var data: [UInt8]

    public init(attachment: Attachment, visitorID: VisitorID, messageID: MessageID? = nil, mattermostID: String? = nil,
                createdAt: Millis = .now(), data: [UInt8] = []) {
        self.attachment = attachment
        self.visitorID = visitorID
        self.messageID = messageID
        self.mattermostID = mattermostID
        self.createdAt = createdAt
        self.data = data
    }

    public var id: FileID { attachment.id }
}

/// Where files are kept. A file is saved on its own (uploaded before its message is
/// sent) and becomes part of a message when a committed `ChangeSet` carries it
/// (`NewMessage.files`): the store then records that message as the file's, in the same
/// transaction.
public protocol FileStore: Sendable {
    func saveFile(_ file: StoredFile) async throws
    /// A file's record, without its content.
    func fileRecord(id: FileID) async throws -> StoredFile?
    /// The content of a file whose record was read (`fileRecord`), handed to `consume` part
    /// by part in order, so that a large file is never copied whole on its way out: false,
    /// with nothing handed over, when its content is not all there (still being stored, or
    /// gone). Throws if the file goes while it is read.
    func readContent(of file: StoredFile, parts consume: ([UInt8]) async throws -> Void) async throws -> Bool
    func setMattermostID(_ mattermostID: String, of file: FileID) async throws
    /// Files a visitor uploaded and has not sent yet.
    func unsentFileCount(of visitor: VisitorID) async throws -> Int
    /// Forgets uploads never sent, made before `before`; returns how many.
    @discardableResult
    func deleteUnsentFiles(before: Millis) async throws -> Int
    /// Deletes the files of a message (an agent deleted it in Mattermost).
    func deleteFiles(of message: MessageID) async throws
}

extension FileStore {
    /// A file's record (without `data`), its content handed to `consume` part by part
    /// (`readContent`); nil, with nothing handed over, when the file is unknown or its
    /// content is not all there.
    public func readFile(id: FileID, parts consume: ([UInt8]) async throws -> Void) async throws -> StoredFile? {
        guard let file = try await fileRecord(id: id), try await readContent(of: file, parts: consume) else { return nil }
        return file
    }

    /// A file's record with its whole content in `data`.
    public func file(id: FileID) async throws -> StoredFile? {
        var data: [UInt8] = []
        guard var file = try await readFile(id: id, parts: { data += $0 }) else { return nil }
        file.data = data
        return file
    }
}
