import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// An event from Mattermost's WebSocket (`{"event", "data", "broadcast", "seq"}`).
public struct MattermostEvent: Sendable {
    public var event: String
    public var data: [String: JSONValue]
    /// `broadcast.channel_id`: the channel the event is about, if any.
    public var channelID: String?
    public var seq: Int64?

    /// The post of `posted` and `post_edited` events: `data.post` is a JSON *string*
    /// holding the post, decoded a second time here.
    public var post: MMPost? {
        guard let text = data["post"]?.string else { return nil }
        return try? JSONDecoder().decode(MMPost.self, from: Data(text.utf8))
    }

    /// The user an event is about (`data.user_id`), e.g. who is typing.
    public var userID: String? { data["user_id"]?.string }

    init?(json: [String: JSONValue]) {
        guard let event = json["event"]?.string else { return nil }
        self.event = event
        if case .object(let data)? = json["data"] { self.data = data } else { self.data = [:] }
        if case .object(let broadcast)? = json["broadcast"], let channel = broadcast["channel_id"]?.string, !channel.isEmpty {
            channelID = channel
        }
        if case .number(let seq)? = json["seq"] { self.seq = Int64(seq) }
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

    /// Shows the relay user as typing in a channel (agents see "… is typing").
    public func typing(in channelID: String) async throws {
        try await send(action: "user_typing", data: ["channel_id": .string(channelID), "parent_id": .string("")])
    }
}

/// One connection to Mattermost's event stream: authenticates with the session token,
/// then hands every event to `onEvent` until the connection ends (it returns or throws).
enum MattermostEventSocket {
    static func run(client: MattermostClient, logger: Logger,
                    onOpen: @escaping @Sendable (MattermostEventSender) async throws -> Void,
                    onEvent: @escaping @Sendable (MattermostEvent) async throws -> Void) async throws {
        let token = try await client.token()
        let url = client.webSocketURL
        do {
            try await WebSocketClient.connect(
                url: url,
                configuration: .init(maxFrameSize: 1 << 24, autoPing: .enabled(timePeriod: .seconds(30))),
                logger: logger
            ) { inbound, outbound, _ in
                let sender = MattermostEventSender(outbound: outbound, token: token)
                try await sender.send(action: "authentication_challenge", data: ["token": .string(token)])
                var authenticated = false
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    guard case .text(let text) = message,
                          let json = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)) else { continue }
                    if !authenticated, json["seq_reply"] != nil {
                        guard json["status"]?.string == "OK" else {
                            throw MattermostError.sessionExpired
                        }
                        authenticated = true
                        try await onOpen(sender)
                        continue
                    }
                    if let event = MattermostEvent(json: json) { try await onEvent(event) }
                }
            }
        } catch let error as MattermostError {
            throw error
        } catch {
            throw MattermostClient.transportError(error, url: client.baseURL)
        }
    }
}
