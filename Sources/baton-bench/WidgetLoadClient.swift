import BatonCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A frame from Baton (or the echo server), read only as far as the bench needs.
struct ServerFrame: JSONReadable, Sendable {
    struct Message: Sendable {
        var role: String?
        var text: String?
    }

    var type = ""
    var clientID: String?
    var code: String?
    /// The `message` of a `message` frame (an `error` frame's `message` is a string).
    var message: Message?
    /// The conversation id of a `welcome`.
    var conversation: String?
    /// The upload ticket of a `welcome` (`files.ticket`).
    var ticket: String?

    init(reading json: inout JSONReader) throws {
        var message: Message?
        var conversation: String?
        var ticket: String?
        // A field of another type than expected is passed over.
        try json.members { key, json in
            switch key {
            case "type": type = try json.string()
            case "clientId": clientID = try? json.stringOrNull()
            case "code": code = try? json.stringOrNull()
            case "message" where try json.kind() == .object:
                var read = Message()
                try json.members { key, json in
                    switch key {
                    case "role": read.role = try? json.stringOrNull()
                    case "text": read.text = try? json.stringOrNull()
                    default: break
                    }
                }
                message = read
            case "conversation" where try json.kind() == .object:
                try json.members { key, json in
                    if key == "id" { conversation = try? json.stringOrNull() }
                }
            case "files" where try json.kind() == .object:
                try json.members { key, json in
                    if key == "ticket" { ticket = try? json.stringOrNull() }
                }
            default: break
            }
        }
        if type == "message" { self.message = message }
        if type == "welcome" { (self.conversation, self.ticket) = (conversation, ticket) }
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
///
/// The connection is a plain NIO channel: frames are read on its event loop and handed to
/// the inbox there, and a write is queued from any thread without waiting. The load
/// generator shares the machine with the server it measures; every cycle it spends is one
/// the server does not get.
struct VisitorSocket: Sendable {
    let index: Int
    let channel: any Channel
    let inbox: Inbox

    /// Queues a text frame; a failed write shows as the connection's end.
    func post(_ json: String) {
        channel.writeAndFlush(VisitorFrames.text(json, allocator: channel.allocator), promise: nil)
    }

    func send(_ json: String) async throws {
        try await channel.writeAndFlush(VisitorFrames.text(json, allocator: channel.allocator)).get()
    }

    /// Sends `hello` for the demo widget and waits for `welcome`; returns the conversation id.
    func hello(timeout: Duration = .seconds(15)) async throws -> String {
        try await welcome(timeout: timeout).conversation ?? ""
    }

    /// Sends `hello` for the demo widget and returns the `welcome`.
    func welcome(timeout: Duration = .seconds(15)) async throws -> ServerFrame {
        try await send(#"{"type":"hello","widget":"demo"}"#)
        return try await waitFor("welcome", timeout: timeout) { $0.type == "welcome" }
    }

    /// A visitor message; `text` must need no JSON escaping (the bench's texts do not).
    func say(_ text: String, clientID: String, action: String? = nil) async throws {
        try await send(Self.message(text, clientID: clientID, action: action))
    }

    /// `say` without waiting for the write.
    func postMessage(_ text: String, clientID: String) {
        post(Self.message(text, clientID: clientID, action: nil))
    }

    private static func message(_ text: String, clientID: String, action: String?) -> String {
        let actionField = action.map { #","action":"\#($0)""# } ?? ""
        return #"{"type":"message","clientId":"\#(clientID)","text":"\#(text)"\#(actionField)}"#
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

/// Opens widget connections and runs a body on each.
struct VisitorConnector: Sendable {
    let host: String
    /// The servers' ports: connection `index` goes to `ports[index % ports.count]`, so
    /// that several servers sharing a database get the visitors in turn.
    let ports: [Int]
    let path: String

    /// The same path on the same host, on each of `ports`.
    init(host: String = "127.0.0.1", ports: [Int], path: String) {
        self.host = host
        self.ports = ports
        self.path = path
    }

    /// The HTTP address of the server connection `index` goes to.
    func http(index: Int) -> String { "http://\(host):\(ports[index % ports.count])" }

    /// `ws://host:port/path`.
    init(url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("ws://") { rest = rest.dropFirst(5) }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        path = slash < rest.endIndex ? String(rest[slash...]) : "/"
        let authority = rest[..<slash]
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            ports = [port]
        } else {
            host = String(authority)
            ports = [80]
        }
    }

    /// Connects and runs `body`; when it returns, closes the connection (waiting a few
    /// seconds for the server's close) and returns.
    func run(index: Int, _ body: @escaping @Sendable (VisitorSocket) async throws -> Void) async throws {
        let inbox = Inbox()
        let channel = try await connect(inbox, port: ports[index % ports.count])
        let visitor = VisitorSocket(index: index, channel: channel, inbox: inbox)
        do {
            try await body(visitor)
        } catch {
            try? await channel.close()
            throw error
        }
        // A close frame; the server answers it and closes, which closes the inbox.
        channel.writeAndFlush(VisitorFrames.close(allocator: channel.allocator), promise: nil)
        while !inbox.isClosed, await inbox.next(timeout: .seconds(5)) != nil {}
        try? await channel.close()
    }

    private func connect(_ inbox: Inbox, port: Int) async throws -> any Channel {
        let host = host, path = path
        let upgraded: EventLoopFuture<(any Channel)?> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(15))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<(any Channel)?>(maxFrameSize: 1 << 20) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(VisitorFrameHandler(inbox: inbox))
                            return channel
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<(any Channel)?>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(nil) })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        guard let channel = try await upgraded.get() else {
            throw VisitorError(description: "the server refused the WebSocket upgrade of \(path)")
        }
        return channel
    }
}

/// The frames a visitor connection writes (masked, as a client's must be).
enum VisitorFrames {
    static func text(_ text: String, allocator: ByteBufferAllocator) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: allocator.buffer(string: text))
    }

    static func close(code: WebSocketErrorCode = .normalClosure, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var data = allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        return WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
    }
}

/// Reads a visitor connection's frames on its event loop: text frames (whole or in
/// fragments) go to the inbox as `ServerFrame`s, pings are answered, and a close from the
/// server is answered and ends the connection.
final class VisitorFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let inbox: Inbox
    private var fragments: ByteBuffer?

    init(inbox: Inbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if frame.fin { deliver(frame.unmaskedData) } else { fragments = frame.unmaskedData }
        case .continuation:
            guard var text = fragments else { return }
            var more = frame.unmaskedData
            text.writeBuffer(&more)
            if frame.fin {
                fragments = nil
                deliver(text)
            } else {
                fragments = text
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            // Answered (a second close after ours does no harm), then the connection ends.
            let channel = context.channel
            let answer = VisitorFrames.close(allocator: channel.allocator)
            context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    private func deliver(_ text: ByteBuffer) {
        // Frames the bench cannot read are skipped, as before.
        guard let frame = text.withUnsafeReadableBytes({ try? ServerFrame(json: $0) }) else { return }
        inbox.deliver(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
