import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

/// A frame received from Baton, as JSON.
struct Frame: CustomStringConvertible {
    let json: [String: Any]
    let raw: String

    var type: String { json["type"] as? String ?? "?" }
    subscript(key: String) -> Any? { json[key] }
    func string(_ key: String) -> String? { json[key] as? String }
    func int(_ key: String) -> Int64? { (json[key] as? NSNumber)?.int64Value }
    var message: [String: Any] { json["message"] as? [String: Any] ?? [:] }
    var messageText: String? { message["text"] as? String }
    var messageID: Int64? { (message["id"] as? NSNumber)?.int64Value }
    var messages: [[String: Any]] { json["messages"] as? [[String: Any]] ?? [] }
    var description: String { raw }
}

/// A widget connection driven by a test: send frames, read frames in order.
final class WidgetClient {
    private var iterator: WebSocketInboundStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `body`, and returns the close frame the server sent (if any).
    @discardableResult
    static func connect(_ url: String, origin: String? = nil,
                        _ body: @escaping @Sendable (WidgetClient) async throws -> Void) async throws -> WebSocketCloseFrame? {
        var headers = HTTPFields()
        if let origin { headers[.origin] = origin }
        var logger = Logger(label: "widget-client")
        logger.logLevel = .critical
        return try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 24, additionalHeaders: headers), logger: logger
        ) { inbound, outbound, _ in
            try await body(WidgetClient(inbound: inbound, outbound: outbound))
        }
    }

    func send(_ object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await sendText(String(decoding: data, as: UTF8.self))
    }

    func sendText(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    func sendRaw(opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        try await outbound.write(.custom(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))))
    }

    /// The next frame; nil when the server closed the connection.
    func next() async throws -> Frame? {
        while let frame = try await iterator.next() {
            guard frame.opcode == .text else { continue }
            let raw = String(buffer: frame.data)
            guard let object = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(raw)")
            }
            return Frame(json: object, raw: raw)
        }
        return nil
    }

    /// The next frame, which must be of `type`.
    func expect(_ type: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Frame {
        guard let frame = try await next() else { throw TestFailure("connection closed while waiting for \(type)") }
        #expect(frame.type == type, "expected \(type), got \(frame)", sourceLocation: sourceLocation)
        return frame
    }

    /// Frames until (and including) the first of `type`.
    func until(_ type: String) async throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try await next() {
            frames.append(frame)
            if frame.type == type { return frames }
        }
        throw TestFailure("connection closed while waiting for \(type); got \(frames)")
    }

    /// Says hello and returns the welcome.
    func hello(widget: String = "demo", token: String? = nil, lastSeen: Int64? = nil) async throws -> Frame {
        var frame: [String: Any] = ["type": "hello", "widget": widget]
        if let token { frame["token"] = token }
        if let lastSeen { frame["lastSeen"] = lastSeen }
        try await send(frame)
        return try await expect("welcome")
    }

    /// Sends a visitor message and returns its ack.
    func say(_ text: String, clientID: String, action: String? = nil) async throws -> Frame {
        var frame: [String: Any] = ["type": "message", "clientId": clientID, "text": text]
        if let action { frame["action"] = action }
        try await send(frame)
        return try await expect("ack")
    }

    func close() async throws {
        try await outbound.close(.normalClosure, reason: nil)
    }
}

/// Collects values from inside `@Sendable` closures.
final class Collected<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
    var last: T? { items.withLock { $0.last } }
}
