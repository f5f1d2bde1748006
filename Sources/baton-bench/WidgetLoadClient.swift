import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// A frame from Baton (or the echo server), decoded only as far as the bench needs.
struct ServerFrame: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String?
        var text: String?
    }

    var type: String
    var clientID: String?
    var code: String?
    /// The `message` of a `message` frame (an `error` frame's `message` is a string).
    var message: Message?
    /// The conversation id of a `welcome`.
    var conversation: String?

    private enum Keys: String, CodingKey { case type, clientId, code, message, conversation }
    private struct Conversation: Decodable { var id: String }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        type = try container.decode(String.self, forKey: .type)
        clientID = try container.decodeIfPresent(String.self, forKey: .clientId)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        if type == "message" { message = try container.decodeIfPresent(Message.self, forKey: .message) }
        if type == "welcome" { conversation = try container.decodeIfPresent(Conversation.self, forKey: .conversation)?.id }
    }

    /// The probe id in a `clientId` of the form `c<id>`.
    var probeID: Int? {
        guard let clientID, clientID.hasPrefix("c") else { return nil }
        return Int(clientID.dropFirst())
    }
}

/// Frames a connection received, for whoever reads them: queued for the setup steps, or
/// handed at once to a tap while a phase measures.
final class Inbox: Sendable {
    typealias Tap = @Sendable (ServerFrame, ContinuousClock.Instant) -> Void

    private struct State {
        var frames: [ServerFrame] = []
        var waiter: CheckedContinuation<ServerFrame?, Never>?
        var closed = false
        var tap: Tap?
    }

    private let state = Mutex(State())

    func deliver(_ frame: ServerFrame) {
        let now = ContinuousClock.now
        enum Route { case tap(Tap), waiter(CheckedContinuation<ServerFrame?, Never>), queued }
        let route = state.withLock { state -> Route in
            if let tap = state.tap { return .tap(tap) }
            if let waiter = state.waiter {
                state.waiter = nil
                return .waiter(waiter)
            }
            state.frames.append(frame)
            return .queued
        }
        switch route {
        case .tap(let tap): tap(frame, now)
        case .waiter(let waiter): waiter.resume(returning: frame)
        case .queued: break
        }
    }

    /// The connection ended: waiters get nil.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// From now on every frame goes to `tap` (frames queued before are dropped).
    func setTap(_ tap: @escaping Tap) {
        state.withLock {
            $0.frames.removeAll()
            $0.tap = tap
        }
    }

    /// The next frame; nil when the connection closed or nothing came within `timeout`.
    func next(timeout: Duration) async -> ServerFrame? {
        await firstValue(within: timeout) { await self.waitNext() }
    }

    private func waitNext() async -> ServerFrame? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ServerFrame?, Never>) in
                let ready: ServerFrame?? = state.withLock { state in
                    if !state.frames.isEmpty { return .some(state.frames.removeFirst()) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// Why a visitor connection gave up.
struct VisitorError: Error, CustomStringConvertible {
    let description: String
}

/// One widget connection of the load generator, speaking the widget protocol.
struct VisitorSocket: Sendable {
    let index: Int
    let outbound: WebSocketOutboundWriter
    let inbox: Inbox

    func send(_ json: String) async throws {
        try await outbound.write(.text(json))
    }

    /// Sends `hello` for the demo widget and waits for `welcome`; returns the conversation id.
    func hello(timeout: Duration = .seconds(15)) async throws -> String {
        try await send(#"{"type":"hello","widget":"demo"}"#)
        let welcome = try await waitFor("welcome", timeout: timeout) { $0.type == "welcome" }
        return welcome.conversation ?? ""
    }

    /// A visitor message; `text` must need no JSON escaping (the bench's texts do not).
    func say(_ text: String, clientID: String, action: String? = nil) async throws {
        let actionField = action.map { #","action":"\#($0)""# } ?? ""
        try await send(#"{"type":"message","clientId":"\#(clientID)","text":"\#(text)"\#(actionField)}"#)
    }

    /// Reads frames until one matches; an `error` frame or the end of the connection fails.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(15),
                 where matches: (ServerFrame) -> Bool) async throws -> ServerFrame {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, let frame = await inbox.next(timeout: remaining) else {
                throw VisitorError(description: inbox.isClosed ? "connection closed while waiting for \(what)"
                                                             : "no \(what) within \(timeout.seconds.formatted1) s")
            }
            if matches(frame) { return frame }
            if frame.type == "error" { throw VisitorError(description: "error \(frame.code ?? "?") while waiting for \(what)") }
        }
    }

    /// Reads frames until a message whose text contains `text`.
    @discardableResult
    func waitForMessage(containing text: String, timeout: Duration = .seconds(15)) async throws -> ServerFrame {
        try await waitFor("a message containing \"\(text)\"", timeout: timeout) {
            $0.type == "message" && ($0.message?.text ?? "").contains(text)
        }
    }
}

/// Opens widget connections and runs a body on each, reading frames in a child task.
struct VisitorConnector: Sendable {
    let url: String
    private let logger: Logger

    init(url: String) {
        self.url = url
        var logger = Logger(label: "baton-bench.visitor")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// Connects and runs `body`; when it returns, closes the connection (waiting a few
    /// seconds for the server's close) and returns.
    func run(index: Int, _ body: @escaping @Sendable (VisitorSocket) async throws -> Void) async throws {
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, closeTimeout: .seconds(5))
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let inbox = Inbox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await Self.read(inbound, into: inbox) }
                let visitor = VisitorSocket(index: index, outbound: outbound, inbox: inbox)
                do {
                    try await body(visitor)
                } catch {
                    group.cancelAll()
                    throw error
                }
                try? await outbound.close(.normalClosure, reason: nil)
                // The server answers the close; the reader then ends and closes the inbox.
                while !inbox.isClosed, await inbox.next(timeout: .seconds(5)) != nil {}
                group.cancelAll()
            }
        }
    }

    private static func read(_ inbound: WebSocketInboundStream, into inbox: Inbox) async {
        let decoder = JSONDecoder()
        do {
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message,
                      let frame = try? decoder.decode(ServerFrame.self, from: Data(text.utf8)) else { continue }
                inbox.deliver(frame)
            }
        } catch {
            // The connection broke; the inbox tells its reader.
        }
        inbox.close()
    }
}
