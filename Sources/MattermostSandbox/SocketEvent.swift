/// A WebSocket event before it is numbered: the `seq` is given per connection as it is sent.
struct SocketEvent: Sendable {
    /// Who receives it, as the real `WebsocketBroadcast`.
    struct Broadcast: Sendable {
        var omitUsers: [String] = []
        var userID = ""
        var channelID = ""
        var teamID = ""
        var connectionID = ""
    }

    /// A `data` member: JSON, or a document that is already encoded (a model struct).
    enum Value: Sendable {
        case json(MattermostSandbox.JSON)
        case encoded([UInt8])
    }

    var name: String
    var data: [String: Value]
    var broadcast: Broadcast

    /// The frame text. Broadcast events are written like the real server's precomputed
    /// JSON (`{"event": "posted", "data": {...}, ...}`, with spaces); `hello` is written
    /// compactly, as the real server does.
    func frame(seq: Int64, spaced: Bool) -> String {
        var writer = GoJSONWriter(spaced: spaced)
        writer.object { json in
            json.field("event", name)
            json.key("data")
            var inner = GoJSONWriter()
            inner.object { data in
                for (key, value) in self.data.sorted(by: { $0.key < $1.key }) {
                    switch value {
                    case .json(let value): data.field(key, value)
                    case .encoded(let bytes): data.key(key); data.raw(bytes)
                    }
                }
            }
            json.raw(inner.bytes)
            json.key("broadcast")
            var target = GoJSONWriter()
            target.object { b in
                b.key("omit_users")
                if broadcast.omitUsers.isEmpty {
                    b.null()
                } else {
                    b.object { users in for user in broadcast.omitUsers.sorted() { users.field(user, true) } }
                }
                b.field("user_id", broadcast.userID)
                b.field("channel_id", broadcast.channelID)
                b.field("team_id", broadcast.teamID)
                b.field("connection_id", broadcast.connectionID)
                b.field("omit_connection_id", "")
            }
            json.raw(target.bytes)
            json.field("seq", seq)
        }
        return writer.text
    }
}

/// What a connection's writer sends: a numbered event or a reply to a client action.
enum SocketOutput: Sendable {
    case event(SocketEvent, spaced: Bool)
    case reply(String)
}

/// An open event socket as the world sees it.
struct SocketSubscriber: Sendable {
    let connectionID: String
    /// Set once authenticated.
    var userID: String?
    var token: String?
    let outbox: AsyncStream<SocketOutput>.Continuation
    /// Closes the TCP connection at once, without a close handshake.
    let drop: @Sendable () -> Void
    /// Stops reading the TCP connection, which stays open: not even a WebSocket ping is
    /// answered any more.
    let freeze: @Sendable () -> Void
}

extension World {
    /// Sends an event to every socket the real server would send it to.
    func publish(_ event: SocketEvent) {
        guard !socketsSilenced else { return }
        for socket in sockets.values where shouldSend(event, to: socket) {
            socket.outbox.yield(.event(event, spaced: true))
        }
    }

    /// `WebConn.ShouldSendEvent`: authenticated with a live session, then the broadcast's
    /// connection, user, omitted users, channel membership and team membership in turn.
    private func shouldSend(_ event: SocketEvent, to socket: SocketSubscriber) -> Bool {
        guard let userID = socket.userID, let token = socket.token, session(for: token) != nil else { return false }
        let broadcast = event.broadcast
        if !broadcast.connectionID.isEmpty { return broadcast.connectionID == socket.connectionID }
        if !broadcast.userID.isEmpty { return broadcast.userID == userID }
        if broadcast.omitUsers.contains(userID) { return false }
        if !broadcast.channelID.isEmpty { return isChannelMember(userID, broadcast.channelID) }
        if !broadcast.teamID.isEmpty { return isTeamMember(userID, broadcast.teamID) }
        return true
    }
}
