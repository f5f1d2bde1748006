import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A widget's file requests, as the widget makes them (docs/widget-protocol.md, "Files").
public struct FileTransfer: Sendable {
    public struct Answer: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: [UInt8]
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        public func header(_ name: String) -> String? { headers[name].first }
    }

    /// Baton's address, `http://host:port`.
    public let base: String
    public init(base: String) { self.base = base }

    /// Uploads a file with the welcome's ticket (nil: none sent); `chunked`: without a
    /// length, in chunks of 100 bytes.
    public func upload(_ data: [UInt8], name: String, type: String?, ticket: String?, origin: String? = nil,
                       chunked: Bool = false) async throws -> Answer {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        var request = HTTPClientRequest(url: "\(base)/widget/v1/files?name=\(escaped)")
        request.method = .POST
        if let ticket { request.headers.add(name: "Authorization", value: "Bearer \(ticket)") }
        if let type { request.headers.add(name: "Content-Type", value: type) }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        if chunked {
            let chunks = stride(from: 0, to: data.count, by: 100).map { ByteBuffer(bytes: data[$0..<min($0 + 100, data.count)]) }
            request.body = .stream(chunks.async, length: .unknown)
        } else {
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        return try await send(request)
    }

    /// GETs (or another method) a path or a full URL.
    public func fetch(_ pathOrURL: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: pathOrURL.hasPrefix("http") ? pathOrURL : base + pathOrURL)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await send(request)
    }

    /// A sent file's address, as the widget makes it from the file's id and name.
    public func url(of file: [String: Any]) -> String {
        let id = file["id"] as? String ?? ""
        let name = (file["name"] as? String ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "\(base)/widget/v1/files/\(id)/\(name)"
    }

    private func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence (a streamed request body).
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}

extension Frame {
    /// The upload ticket of a `welcome` (nil when files are off).
    public var uploadTicket: String? { (json["files"] as? [String: Any])?["ticket"] as? String }
    /// The files of a `message` frame's message.
    public var messageFiles: [[String: Any]] { message["files"] as? [[String: Any]] ?? [] }
}
