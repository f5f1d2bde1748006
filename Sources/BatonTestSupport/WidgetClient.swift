import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

/// A frame received from Baton, as JSON.
public struct Frame: CustomStringConvertible {
    public let json: [String: Any]
    public let raw: String

    public var type: String { json["type"] as? String ?? "?" }
    public subscript(key: String) -> Any? { json[key] }
    public func string(_ key: String) -> String? { json[key] as? String }
    public func int(_ key: String) -> Int64? { (json[key] as? NSNumber)?.int64Value }
    public var message: [String: Any] { json["message"] as? [String: Any] ?? [:] }
    public var messageText: String? { message["text"] as? String }
    public var messageID: Int64? { (message["id"] as? NSNumber)?.int64Value }
    public var messages: [[String: Any]] { json["messages"] as? [[String: Any]] ?? [] }
    public var description: String { raw }
}

/// A widget connection driven by a test: send frames, read frames in order.
public final class WidgetClient {
    private var iterator: WebSocketInboundStream.AsyncIterator
    public let outbound: WebSocketOutboundWriter

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `body`, and returns the close frame the server sent (if any).
    @discardableResult
    public static func connect(_ url: String, origin: String? = nil, headers extra: [(String, String)] = [],
                        _ body: @escaping @Sendable (WidgetClient) async throws -> Void) async throws -> WebSocketCloseFrame? {
        var headers = HTTPFields()
        if let origin { headers[.origin] = origin }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        var logger = Logger(label: "widget-client")
        logger.logLevel = .critical
        return try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 24, additionalHeaders: headers), logger: logger
        ) { inbound, outbound, _ in
            try await body(WidgetClient(inbound: inbound, outbound: outbound))
        }
    }

    public func send(_ object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await sendText(String(decoding: data, as: UTF8.self))
    }

    public func sendText(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    public func sendRaw(opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) async throws {
        try await outbound.write(.custom(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))))
    }

    /// The next frame; nil when the server closed the connection.
    public func next() async throws -> Frame? {
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
    public func expect(_ type: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Frame {
        guard let frame = try await next() else { throw TestFailure("connection closed while waiting for \(type)") }
        #expect(frame.type == type, "expected \(type), got \(frame)", sourceLocation: sourceLocation)
        return frame
    }

    /// Frames until (and including) the first of `type`.
    public func until(_ type: String) async throws -> [Frame] {
        let watchdog = closing(after: Self.patience)
        defer { watchdog.cancel() }
        var frames: [Frame] = []
        while let frame = try await next() {
            frames.append(frame)
            if frame.type == type { return frames }
        }
        throw TestFailure("connection closed (or waited \(Self.patience)) while waiting for \(type); got \(frames)")
    }

    /// Frames until (and including) the first that matches, within `patience` (a test of
    /// something that must come before a slower path would bring it gives its own).
    public func until(_ what: String = "a matching frame", within patience: Duration = WidgetClient.patience,
                      where matches: (Frame) -> Bool) async throws -> [Frame] {
        let watchdog = closing(after: patience)
        defer { watchdog.cancel() }
        var frames: [Frame] = []
        while let frame = try await next() {
            frames.append(frame)
            if matches(frame) { return frames }
        }
        throw TestFailure("connection closed (or waited \(patience)) while waiting for \(what); got \(frames)")
    }

    /// How long a wait for a frame lasts before the connection is closed, so that a test
    /// that waits for something that never comes fails saying what (and what came instead)
    /// rather than by the test's overall time limit.
    public static let patience = Duration.seconds(40)

    /// Closes this side of the connection after `delay`, unless cancelled first.
    private func closing(after delay: Duration) -> Task<Void, Never> {
        let outbound = self.outbound
        return Task {
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            try? await outbound.close(.goingAway, reason: "the test waited too long")
        }
    }

    /// Reads frames until a message whose text contains `text` arrives; returns it.
    @discardableResult
    public func message(containing text: String, within patience: Duration = WidgetClient.patience) async throws -> Frame {
        try await until("a message containing \"\(text)\"", within: patience) { $0.type == "message" && ($0.messageText ?? "").contains(text) }.last!
    }

    /// Says hello and returns the welcome.
    public func hello(widget: String = "demo", token: String? = nil, lastSeen: Int64? = nil,
                      page: [String: String]? = nil) async throws -> Frame {
        var frame: [String: Any] = ["type": "hello", "widget": widget]
        if let page { frame["page"] = page }
        if let token { frame["token"] = token }
        if let lastSeen { frame["lastSeen"] = lastSeen }
        try await send(frame)
        return try await expect("welcome")
    }

    /// Sends a visitor message and returns its ack.
    public func say(_ text: String, clientID: String, action: String? = nil) async throws -> Frame {
        var frame: [String: Any] = ["type": "message", "clientId": clientID, "text": text]
        if let action { frame["action"] = action }
        try await send(frame)
        return try await expect("ack")
    }

    public func close() async throws {
        try await outbound.close(.normalClosure, reason: nil)
    }
}

/// Collects values from inside `@Sendable` closures.
public final class Collected<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    public init() {}
    public func append(_ item: T) { items.withLock { $0.append(item) } }
    public var all: [T] { items.withLock { $0 } }
    public var last: T? { items.withLock { $0.last } }
}
