import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import Testing

/// A frame from the event socket: an event (`event`, `data`, `broadcast`, `seq`) or a reply
/// (`status`, `seq_reply`).
struct SocketFrame: CustomStringConvertible {
    let json: [String: Any]
    let raw: String

    var event: String? { json["event"] as? String }
    var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
    var broadcast: [String: Any] { json["broadcast"] as? [String: Any] ?? [:] }
    var seq: Int64? { (json["seq"] as? NSNumber)?.int64Value }
    var status: String? { json["status"] as? String }
    var seqReply: Int64? { (json["seq_reply"] as? NSNumber)?.int64Value }
    var description: String { raw }
}

/// A connection to `/api/v4/websocket` driven by a test. Unchecked Sendable: a test uses
/// each socket from one task at a time (nested `connect` closures run while the outer
/// one waits).
final class EventSocket: @unchecked Sendable {
    private var iterator: WebSocketInboundStream.AsyncIterator
    let outbound: WebSocketOutboundWriter
    private var nextSeq: Int64 = 1

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `body`, returns the close frame the server sent (nil when the
    /// connection was dropped without one).
    @discardableResult
    static func connect(_ url: String, headers: HTTPFields = [:],
                        _ body: @escaping @Sendable (EventSocket) async throws -> Void) async throws -> WebSocketCloseFrame? {
        var logger = Logger(label: "event-socket")
        logger.logLevel = .critical
        return try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22, additionalHeaders: headers),
                                                 logger: logger) { inbound, outbound, _ in
            try await body(EventSocket(inbound: inbound, outbound: outbound))
        }
    }

    /// Sends an action with the next sequence number; returns that number.
    @discardableResult
    func send(action: String, data: [String: Any]) async throws -> Int64 {
        let seq = nextSeq
        nextSeq += 1
        try await sendRaw(["seq": seq, "action": action, "data": data])
        return seq
    }

    func sendRaw(_ object: [String: Any]) async throws {
        let bytes = try JSONSerialization.data(withJSONObject: object)
        try await outbound.write(.text(String(decoding: bytes, as: UTF8.self)))
    }

    func sendText(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    /// Authenticates and returns the `hello` event and the reply, in the order they came.
    func authenticate(_ token: String) async throws -> [SocketFrame] {
        let seq = try await send(action: "authentication_challenge", data: ["token": token])
        var frames: [SocketFrame] = []
        while frames.count < 2 {
            guard let frame = try await next() else { throw TestFailure("closed during authentication; got \(frames)") }
            frames.append(frame)
        }
        #expect(frames.contains { $0.event == "hello" })
        #expect(frames.contains { $0.status == "OK" && $0.seqReply == seq })
        return frames
    }

    /// The next frame; nil when the connection ended.
    func next() async throws -> SocketFrame? {
        while let frame = try await iterator.next() {
            guard frame.opcode == .text else { continue }
            let raw = String(buffer: frame.data)
            guard let json = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(raw)")
            }
            return SocketFrame(json: json, raw: raw)
        }
        return nil
    }

    /// Frames until the first event named `name`, which is returned.
    func next(event name: String) async throws -> SocketFrame {
        while let frame = try await next() {
            if frame.event == name { return frame }
        }
        throw TestFailure("connection closed while waiting for \(name)")
    }

    /// Frames until (and including) the first event named `name`.
    func frames(until name: String) async throws -> [SocketFrame] {
        var frames: [SocketFrame] = []
        while let frame = try await next() {
            frames.append(frame)
            if frame.event == name { return frames }
        }
        throw TestFailure("connection closed while waiting for \(name); got \(frames)")
    }

    /// Whether anything arrives within `seconds` (for checking that nothing does).
    func receivesNothing(within seconds: Double) async throws -> Bool {
        let this = UnsafeTransfer(self)
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await this.value.next() == nil }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return true
            }
            let quiet = try await group.next()!
            group.cancelAll()
            return quiet
        }
    }

    func close() async throws {
        try await outbound.close(.normalClosure, reason: nil)
    }
}

/// Hands a non-Sendable value to a child task that is the only one using it meanwhile.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Collects values from `@Sendable` closures.
final class Collected<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}
