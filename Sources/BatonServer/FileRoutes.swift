import BatonBot
import BatonCore
import Foundation
import Hummingbird
import Logging

/// Files in chats over HTTP (docs/widget-protocol.md, "Files"): the widget uploads a file
/// with the ticket its socket was given, then sends it in a `message` frame; anyone with
/// a sent file's id (the widget, the dashboard, a link the visitor kept) can fetch it.
struct FileRoutes: Sendable {
    let chat: ChatService
    let bots: BotLibrary
    let tickets: UploadTickets
    let limiter: UploadLimiter
    /// How long an upload may take before `leastUploadSpeed` (bytes a second, on average
    /// since it started) applies.
    let uploadGrace: Duration
    static let leastUploadSpeed = 4_000.0

    init(chat: ChatService, bots: BotLibrary, tickets: UploadTickets, uploadGrace: Duration = .seconds(30)) {
        self.chat = chat
        self.bots = bots
        self.tickets = tickets
        self.uploadGrace = uploadGrace
        limiter = UploadLimiter(maxFileBytes: chat.policy.maxFileBytes)
    }

    static let uploadPath = "/widget/v1/files"

    func register(on router: Router<BatonRequestContext>) {
        router.on(RouterPath(Self.uploadPath), method: .options) { request, _ in
            // The widget runs on the website's pages, another origin: the browser asks first.
            var response = Response(status: .noContent)
            Self.allowCrossOrigin(&response.headers, origin: request.headers[.origin])
            response.headers[.accessControlAllowMethods] = "POST"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            response.headers[.accessControlMaxAge] = "600"
            return response
        }
        router.post(RouterPath(Self.uploadPath)) { request, _ in
            let origin = request.headers[.origin]
            do {
                return try await upload(request, origin: origin)
            } catch var error as APIError {
                // The widget must be able to read why (a cross-origin response without
                // the header is opaque to it).
                if let origin { error.headers[.accessControlAllowOrigin] = origin; error.headers[.vary] = "Origin" }
                throw error
            }
        }
        router.get("/widget/v1/files/{id}") { request, context in
            try await download(context.parameters.get("id") ?? "", request, logger: context.logger)
        }
        router.get("/widget/v1/files/{id}/{name}") { request, context in
            try await download(context.parameters.get("id") ?? "", request, logger: context.logger)
        }
    }

    private static func allowCrossOrigin(_ headers: inout HTTPFields, origin: String?) {
        guard let origin else { return }
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }

    private func upload(_ request: Request, origin: String?) async throws -> Response {
        guard let presented = request.bearerToken, let (visitor, widgetKey) = tickets.check(presented) else {
            throw APIError(.unauthorized, code: "invalid_ticket",
                           "The upload ticket is missing, wrong or expired; reconnect the chat for a new one.")
        }
        guard let (widget, _) = try await bots.widget(forKey: widgetKey) else {
            throw APIError(.notFound, code: "unknown_widget", "The widget of this ticket no longer exists.")
        }
        let host = request.head.authority
        guard OriginPolicy.allows(origin: origin, host: host, allowed: widget.settings.allowedOrigins) else {
            throw APIError(.forbidden, code: "origin_not_allowed", "This widget may not be embedded on \(origin ?? "a page without an origin").")
        }
        let limit = chat.policy.maxFileBytes
        guard chat.policy.filesEnabled else { throw APIError(.forbidden, code: "files_disabled", ChatError.filesDisabled.message) }
        let tooLarge = APIError(.contentTooLarge, code: "file_too_large", ChatError.fileTooLarge(limit: limit).message)
        let length = request.headers[.contentLength].flatMap(Int.init)
        if let length, length > limit { throw tooLarge }
        func rateLimited(_ wait: Duration) -> APIError {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            return APIError(.tooManyRequests, code: "upload_rate_limited",
                            "Files are coming too fast from this visitor; send it again in \(seconds) s.", headers: [.retryAfter: String(seconds)])
        }
        guard limiter.start(by: visitor) else { throw rateLimited(.seconds(1)) }
        defer { limiter.finished(by: visitor) }
        // A file whose length is given costs it before it is read.
        if let length, let wait = limiter.take(length, by: visitor) { throw rateLimited(wait) }
        // Read straight into the file's bytes, sized up front when the length is given:
        // one copy of the file, not a growing buffer and a copy of it.
        var data: [UInt8] = []
        data.reserveCapacity(length ?? 0)
        // A body that trickles in (a byte now and then, never idle long enough for the
        // idle timeout) would hold its memory for ever: past a grace, it must come at a
        // least speed on average.
        // Over each stretch of `uploadGrace`, not only since the start (most of a file at
        // once, then a byte now and then, passed for minutes).
        var stretch = (start: ContinuousClock.now, bytes: 0)
        for try await chunk in request.body {
            guard data.count + chunk.readableBytes <= limit else { throw tooLarge }
            data.append(contentsOf: chunk.readableBytesView)
            let elapsed = ContinuousClock.now - stretch.start
            guard elapsed > uploadGrace else { continue }
            if Double(data.count - stretch.bytes) < elapsed.seconds * Self.leastUploadSpeed {
                throw APIError(.requestTimeout, code: "upload_too_slow",
                               "The file came too slowly (under \(Int(Self.leastUploadSpeed / 1000)) KB a second on average); send it again.")
            }
            stretch = (.now, data.count)
        }
        if length == nil, let wait = limiter.take(data.count, by: visitor) { throw rateLimited(wait) }
        let name = request.uri.queryParameters["name"].map(String.init) ?? "file"
        let attachment: Attachment
        do {
            attachment = try await chat.upload(name: name, contentType: request.headers[.contentType], data: data, by: visitor)
        } catch let error as ChatError {
            let status: HTTPResponse.Status = switch error {
            case .fileTooLarge: .contentTooLarge
            case .tooManyUnsentFiles: .tooManyRequests
            case .filesDisabled: .forbidden
            default: .badRequest
            }
            throw APIError(status, code: error.code, error.message)
        } catch {
            // The visitor was erased while the ticket still held (their chat was deleted):
            // no one to keep the file for.
            let gone: Bool
            do { gone = try await chat.store.visitor(id: visitor) == nil } catch { gone = false }
            if gone {
                throw APIError(.unauthorized, code: "invalid_ticket", "This chat was deleted; reconnect the chat for a new one.")
            }
            throw error
        }
        var response = JSONBody.response(.created) { w in Self.writeFields(of: attachment, to: &w) }
        Self.allowCrossOrigin(&response.headers, origin: origin)
        return response
    }

    /// A file as the widget protocol shows it.
    static func write(_ file: Attachment, to w: inout JSONWriter) {
        w.object { w in writeFields(of: file, to: &w) }
    }

    static func writeFields(of file: Attachment, to w: inout JSONWriter) {
        w.field("id", file.id.rawValue)
        w.field("name", file.name)
        w.field("type", file.contentType)
        w.field("size", file.size)
    }

    /// Where a sent file is fetched, from the site's root.
    static func path(of file: Attachment) -> String {
        "/widget/v1/files/\(file.id.rawValue)/" + (file.name.addingPercentEncoding(withAllowedCharacters: attrChars) ?? "file")
    }

    /// Image types a browser shows inline without running anything (not SVG).
    static let inlineTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]

    /// The type a download is served as: its own for kinds that no browser runs (images,
    /// sound, video, PDF, archives, office documents), else `application/octet-stream`.
    /// A denylist let `application/ecmascript` through, which a page's `<script src>` runs
    /// despite `nosniff`: anyone's script under Baton's address, which sites allow.
    static func downloadType(_ type: String) -> String {
        let kind = ["image/", "audio/", "video/", "application/vnd."].contains { type.hasPrefix($0) }
            || ["application/pdf", "application/zip", "application/gzip", "application/x-7z-compressed", "application/x-tar",
                "application/msword", "application/rtf"].contains(type)
        let active = type.hasSuffix("+xml") || type.hasSuffix("+json") || type.contains("html") || type.contains("script") || type.contains("xml")
            && !type.hasPrefix("application/vnd.openxmlformats")
        return kind && !active ? type : "application/octet-stream"
    }

    /// A sent file. What the file holds came from a visitor or an agent: it is never
    /// shown as a page of this site. Only raster images are shown inline; anything else is
    /// a download, and the answer forbids scripts, sniffing and framing whatever it is.
    private func download(_ id: String, _ request: Request, logger: Logger) async throws -> Response {
        guard FileID.isValid(id), let file = try await chat.store.fileRecord(id: FileID(id)), file.messageID != nil else {
            throw APIError(.notFound, code: "unknown_file", "No file has this address (it may have been deleted).")
        }
        let type = file.attachment.contentType
        let inline = Self.inlineTypes.contains(type) && request.uri.queryParameters["download"] == nil
        var headers: HTTPFields = [
            .contentType: inline ? type : Self.downloadType(type),
            .contentDisposition: Self.disposition(inline: inline, name: file.attachment.name),
            .cacheControl: "private, max-age=86400",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; sandbox",
        ]
        headers[.crossOriginResourcePolicy] = "cross-origin"
        headers[.init("X-Frame-Options")!] = "DENY"
        // Sent part by part as the store reads them: a large file is never in memory
        // whole. (A sent file's content is all there: it was stored before its message.)
        let store = chat.store
        let body = ResponseBody(contentLength: Int(file.attachment.size)) { writer in
            do {
                guard try await store.readContent(of: file, parts: { try await writer.write(ByteBuffer(bytes: $0)) }) else {
                    throw StoreError.failure("the file was deleted before it was read")
                }
            } catch {
                // The answer's head is out: the connection is closed short of its length.
                logger.warning("A file could not be sent whole", metadata: ["file": "\(file.id)", "error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// RFC 8187's attr-char without `!#$&+^`|` (kept simple): ASCII letters, digits, `-._~`.
    private static let attrChars = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `inline` or `attachment`, with the name as ASCII (others replaced) and in UTF-8
    /// (RFC 6266, RFC 8187).
    static func disposition(inline: Bool, name: String) -> String {
        let ascii = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\" && scalar.value != 0x7F ? Character(scalar) : "_"
        })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.attrChars) ?? ascii
        return "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
