import Foundation
import HummingbirdWebSocket
import NIOCore

/// One event socket on `GET /api/v4/websocket`, speaking the real server's protocol:
/// `authentication_challenge` → `hello` and `{"status":"OK","seq_reply":N}`; events
/// numbered per connection from 0; `user_typing`; errors as `{"status":"FAIL",…}`.
///
/// Like the real server (gorilla's `Conn.Close`), a bad token or a frame that is not a
/// JSON request ends the connection at once, without a reply or a close frame.
struct SandboxWebSocket {
    typealias APIError = MattermostSandbox.APIError
    typealias JSON = MattermostSandbox.JSON

    let core: SandboxCore
    /// The NIO channel under the socket, to close it abruptly.
    let channel: any Channel
    /// A token from the upgrade request (header or cookie), which authenticates at once.
    let upgradeToken: String?

    private struct Request: Decodable {
        var seq: Int64?
        var action: String?
        var data: [String: JSON]?
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let connectionID = Identifiers.newID()
        let (outbox, continuation) = AsyncStream.makeStream(of: SocketOutput.self, bufferingPolicy: .bufferingOldest(100_000))
        let channel = self.channel
        let subscriber = SocketSubscriber(connectionID: connectionID, userID: nil, token: nil, outbox: continuation,
                                          drop: { channel.close(mode: .all, promise: nil) },
                                          freeze: { channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } })
        core.world.withLock { $0.sockets[connectionID] = subscriber }
        // Upgraded while the server stops, after its sockets were dropped: a graceful
        // shutdown would wait for this one for ever.
        if core.control.withLock({ $0.stopping }) { subscriber.drop() }
        if let upgradeToken { _ = authenticate(connectionID, token: upgradeToken, seq: nil) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.write(outbox, to: outbound) }
            await read(inbound, connectionID: connectionID)
            core.world.withLock { $0.sockets[connectionID] = nil }
            continuation.finish()
        }
    }

    /// Numbers events as they go out; replies are not numbered.
    private static func write(_ outbox: AsyncStream<SocketOutput>, to outbound: WebSocketOutboundWriter) async {
        var seq: Int64 = 0
        for await output in outbox {
            let text: String
            switch output {
            case .event(let event, let spaced):
                text = event.frame(seq: seq, spaced: spaced)
                seq += 1
            case .reply(let reply):
                text = reply
            }
            do { try await outbound.write(.text(text)) } catch { return }
        }
    }

    private func read(_ inbound: WebSocketInboundStream, connectionID: String) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 20) {
                let bytes: Data
                switch message {
                case .text(let text): bytes = Data(text.utf8)
                case .binary(let buffer): bytes = Data(buffer.readableBytesView)
                }
                guard let request = try? JSONDecoder().decode(Request.self, from: bytes) else {
                    channel.close(mode: .all, promise: nil)
                    return
                }
                guard handle(request, connectionID: connectionID) else {
                    channel.close(mode: .all, promise: nil)
                    return
                }
            }
        } catch {
            // The connection is gone; the caller cleans up.
        }
    }

    /// `WebSocketRouter.ServeWebSocket`; false when the connection must be dropped.
    private func handle(_ request: Request, connectionID: String) -> Bool {
        let seq = request.seq ?? 0
        let action = request.action ?? ""
        guard !action.isEmpty else {
            reply(connectionID, failure(seq, "api.web_socket_router.no_action.app_error", "No websocket action.", 400))
            return true
        }
        guard seq > 0 else {
            reply(connectionID, failure(seq, "api.web_socket_router.bad_seq.app_error", "Invalid sequence for WebSocket message.", 400))
            return true
        }
        if action == "authentication_challenge" {
            guard let token = request.data?["token"]?.stringValue else { return false }
            return authenticate(connectionID, token: token, seq: seq)
        }
        // `IsAuthenticated` re-checks the session: once it has expired the connection is
        // unauthenticated again (and may answer a new challenge).
        let userID = core.world.withLock { world -> String? in
            guard let socket = world.sockets[connectionID], let token = socket.token, world.session(for: token) != nil else { return nil }
            return socket.userID
        }
        guard let userID else {
            reply(connectionID, failure(seq, "api.web_socket_router.not_authenticated.app_error",
                                        "Connection is not authenticated. Please log in and try again.", 401))
            return true
        }
        switch action {
        case "ping":
            reply(connectionID, pong(seq))
        case "user_typing":
            let channelID = request.data?["channel_id"]?.stringValue ?? ""
            let parentID = request.data?["parent_id"]?.stringValue ?? ""
            let allowed = core.world.withLock { world in
                guard Identifiers.isValid(channelID), world.canPost(userID, channelID) else { return false }
                world.publishTyping(userID, in: channelID, parentID: parentID)
                return true
            }
            reply(connectionID, allowed ? ok(seq) : failure(seq, "api.websocket_handler.invalid_param.app_error",
                                                            "Invalid channel_id parameter.", 400))
        default:
            reply(connectionID, failure(seq, "api.web_socket_router.bad_action.app_error", "Unknown WebSocket action.", 500))
        }
        return true
    }

    /// Accepts a live token: the connection joins the hub, `hello` is queued, then the OK
    /// reply (or the other way round, as configured). A challenge on a connection whose
    /// session is still live is ignored.
    private func authenticate(_ connectionID: String, token: String, seq: Int64?) -> Bool {
        let hello = core.configuration.helloBeforeAuthenticationReply
        let version = core.configuration.serverVersion
        return core.world.withLock { world in
            guard var socket = world.sockets[connectionID] else { return false }
            if let current = socket.token, world.session(for: current) != nil { return true }
            guard let session = world.session(for: token) else { return false }
            socket.userID = session.userID
            socket.token = token
            world.sockets[connectionID] = socket
            let event = SocketEvent(name: "hello", data: [
                "connection_id": .json(.string(connectionID)),
                "server_version": .json(.string("\(version).\(version).sandbox.false")),
                "server_hostname": .json(.string("mattermost-sandbox")),
            ], broadcast: .init(userID: session.userID))
            guard !world.socketsSilenced else { return true }
            if !hello, let seq { socket.outbox.yield(.reply(ok(seq))) }
            socket.outbox.yield(.event(event, spaced: false))
            if hello, let seq { socket.outbox.yield(.reply(ok(seq))) }
            return true
        }
    }

    private func reply(_ connectionID: String, _ text: String) {
        core.world.withLock { world in
            guard !world.socketsSilenced else { return }
            world.sockets[connectionID]?.outbox.yield(.reply(text))
        }
    }

    private func ok(_ seq: Int64) -> String {
        var writer = GoJSONWriter()
        writer.object { $0.field("status", "OK"); $0.field("seq_reply", seq) }
        return writer.text
    }

    /// The `ping` action's answer (`wsapi/system.go`): a way for a client to check that its
    /// socket still delivers.
    private func pong(_ seq: Int64) -> String {
        var writer = GoJSONWriter()
        writer.object { json in
            json.field("status", "OK")
            json.field("seq_reply", seq)
            json.key("data")
            json.object { data in
                data.field("node_id", "")
                data.field("server_time", Identifiers.nowMillis())
                data.field("text", "pong")
                data.field("version", core.configuration.serverVersion)
            }
        }
        return writer.text
    }

    /// `NewWebSocketError`: the error without `detailed_error` content and `request_id`.
    private func failure(_ seq: Int64, _ id: String, _ message: String, _ status: Int) -> String {
        var writer = GoJSONWriter()
        writer.object { json in
            json.field("status", "FAIL")
            if seq != 0 { json.field("seq_reply", seq) }
            json.key("error")
            json.object { error in
                error.field("id", id)
                error.field("message", message)
                error.field("detailed_error", "")
                error.field("status_code", status)
            }
        }
        return writer.text
    }
}
