import BatonCore
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// An event from Mattermost's WebSocket (`{"event", "data", "broadcast", "seq"}`), with
/// the parts of `data` Baton reads.
public struct MattermostEvent: Sendable {
    public var event: String
    /// `broadcast.channel_id`: the channel the event is about, if any.
    public var channelID: String?
    public var seq: Int64?
    /// The post of `posted` and `post_edited` events, decoded from `data.post` (a JSON
    /// *string* holding the post); nil when it is missing or not a post.
    public var post: MMPost?
    /// The user an event is about (`data.user_id`), e.g. who is typing.
    public var userID: String?
    /// `data.channel_id` (e.g. of `channel_deleted`).
    public var dataChannelID: String?
    /// `data.parent_id` of `typing`: the root post of the thread typed in ("" or nil in the channel).
    public var parentID: String?
    /// `broadcast.user_id`: set when the event was sent to one user only (the relay user),
    /// e.g. the copy of `user_removed` that tells a user they left a channel.
    public var broadcastUserID: String? = nil
}

/// One frame of the event socket, read into typed fields: the server sends hundreds a
/// second under load, and only a few of their fields matter. A field of another shape
/// than expected is left out; a frame that is not JSON is refused.
struct EventFrame: JSONReadable {
    var event: String?
    var seq: Int64?
    /// Set on the reply to an action Baton sent (the authentication challenge).
    var seqReply: Int64?
    var status: String?
    var channelID: String?
    var postJSON: String?
    var userID: String?
    var dataChannelID: String?
    var parentID: String?
    var broadcastUserID: String?

    init(reading json: inout JSONReader) throws {
        try json.members { key, json in
            switch key {
            case "event": event = try? json.stringOrNull()
            case "seq": seq = try? json.int64OrNull()
            case "seq_reply": seqReply = try? json.int64OrNull()
            case "status": status = try? json.stringOrNull()
            case "data":
                guard try json.kind() == .object else { return }
                try json.members { key, json in
                    switch key {
                    case "post": postJSON = try? json.stringOrNull()
                    case "user_id": userID = try? json.stringOrNull()
                    case "channel_id": dataChannelID = try? json.stringOrNull()
                    case "parent_id": parentID = try? json.stringOrNull()
                    default: break
                    }
                }
            case "broadcast":
                guard try json.kind() == .object else { return }
                try json.members { key, json in
                    switch key {
                    case "channel_id":
                        if let channel = try? json.stringOrNull() { channelID = channel.isEmpty ? nil : channel }
                    case "user_id":
                        if let user = try? json.stringOrNull() { broadcastUserID = user.isEmpty ? nil : user }
                    default: break
                    }
                }
            default: break
            }
        }
    }

    /// The event, for frames that are one (not replies).
    var asEvent: MattermostEvent? {
        guard let event else { return nil }
        let post = postJSON.flatMap { try? MMPost(json: $0) }
        return MattermostEvent(event: event, channelID: channelID, seq: seq, post: post, userID: userID, dataChannelID: dataChannelID,
                                parentID: parentID?.isEmpty == false ? parentID : nil, broadcastUserID: broadcastUserID)
    }
}

/// Sends actions on an open event socket (`user_typing`), numbering them with `seq`.
public final class MattermostEventSender: Sendable {
    let outbound: WebSocketOutboundWriter
    /// The session token the socket authenticated with.
    let token: String
    private let seq = Mutex<Int64>(0)

    init(outbound: WebSocketOutboundWriter, token: String) {
        self.outbound = outbound
        self.token = token
    }

    func send(action: String, data: [String: JSONValue]) async throws {
        let number = seq.withLock { $0 += 1; return $0 }
        let frame: [String: JSONValue] = ["seq": .number(Double(number)), "action": .string(action), "data": .object(data)]
        try await outbound.write(.text(String(decoding: try JSONEncoder().encode(frame), as: UTF8.self)))
    }

    /// Shows the relay user as typing in a channel, or in a thread of it (agents see "… is typing").
    public func typing(in channelID: String, thread rootID: String? = nil) async throws {
        try await send(action: "user_typing", data: ["channel_id": .string(channelID), "parent_id": .string(rootID ?? "")])
    }
}

/// One connection to Mattermost's event stream: authenticates with the session token,
/// then hands every event to `onEvent` until the connection ends (it returns or throws).
enum MattermostEventSocket {
    /// Ends a probe's connection once it is open.
    struct Probed: Error {}

    /// Opens the event stream, authenticates and closes it again: whether Mattermost (and
    /// any proxy in front of it) takes the WebSocket, so that connecting says so at once
    /// rather than agents' replies never arriving. Gives up after `seconds`.
    static func probe(client: MattermostClient, logger: Logger, seconds: Double = 10) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await run(client: client, logger: logger, onOpen: { _ in throw Probed() }, onEvent: { _ in })
                    throw MattermostError.webSocketRefused(url: client.baseURL)  // closed before it was open
                } catch is Probed {
                    return
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw MattermostError.unreachable(url: client.baseURL, reason: "its event stream (/api/v4/websocket) did not open within \(Int(seconds)) s")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// `ping`: how often the stream is pinged; unanswered until the next ping, it ends.
    static func run(client: MattermostClient, logger: Logger, ping: Duration = .seconds(10),
                    onOpen: @escaping @Sendable (MattermostEventSender) async throws -> Void,
                    onEvent: @escaping @Sendable (MattermostEvent) async throws -> Void) async throws {
        let token = try await client.token()
        let url = client.webSocketURL
        do {
            // The private authority's certificates too (`MattermostTrust`), when given.
            try await EventStreamChannel(
                url: url, tlsConfiguration: MattermostTrust.clientConfiguration(), proxy: client.proxy?.connectable,
                maxFrameSize: 1 << 24, autoPing: .enabled(timePeriod: ping)
            ) { inbound, outbound, _ in
                let sender = MattermostEventSender(outbound: outbound, token: token)
                try await sender.send(action: "authentication_challenge", data: ["token": .string(token)])
                var authenticated = false
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    guard case .text(let text) = message,
                          let frame = try? EventFrame(json: text) else { continue }
                    if !authenticated, frame.seqReply != nil {
                        guard frame.status == "OK" else {
                            throw MattermostError.sessionExpired
                        }
                        authenticated = true
                        try await onOpen(sender)
                        continue
                    }
                    if let event = frame.asEvent { try await onEvent(event) }
                }
                // Mattermost closes the socket without a word at a token it does not know
                // (a restarted server, revoked sessions): a new login is needed, not the
                // same token again until the next check of the session notices.
                if !authenticated { throw MattermostError.sessionExpired }
            }.run(on: client.eventLoop, logger: logger)
        } catch let error as MattermostError {
            throw error
        } catch let error as Probed {
            throw error
        } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
            throw MattermostError.webSocketRefused(url: client.baseURL)
        } catch {
            throw MattermostClient.transportError(error, url: client.baseURL, proxy: client.proxy)
        }
    }
}
