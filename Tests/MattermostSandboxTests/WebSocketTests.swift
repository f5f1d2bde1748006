import BatonTestSupport
import Foundation
import HTTPTypes
import MattermostSandbox
import Testing

@Suite struct WebSocketTests {
    @Test func authenticationSendsHelloThenTheReply() async throws {
        try await Seeded.run { s in
            let token = s.sandbox.sessionToken(for: "alice")
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                let frames = try await socket.authenticate(token)
                #expect(frames.map { $0.event ?? "reply" } == ["hello", "reply"])
                let hello = frames[0]
                #expect(hello.seq == 0)
                #expect((hello.data["connection_id"] as? String)?.count == 26)
                #expect(hello.data["server_version"] is String)
                #expect(hello.broadcast["user_id"] as? String == s.alice.id)
                #expect(frames[1].raw == "{\"status\":\"OK\",\"seq_reply\":1}")
                // A second challenge on an authenticated connection is ignored.
                try await socket.send(action: "authentication_challenge", data: ["token": token])
                try s.sandbox.post(as: "bob", in: s.townSquare, "after")
                let posted = try await socket.next()
                #expect(posted?.event == "posted")
                #expect(posted?.seq == 1)
            }
        }
        try await Seeded.run(configure: { $0.helloBeforeAuthenticationReply = false }) { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                let frames = try await socket.authenticate(s.sandbox.sessionToken(for: "alice"))
                #expect(frames.map { $0.event ?? "reply" } == ["reply", "hello"])
            }
        }
    }

    /// As on a Mattermost without cross-origin requests allowed (gorilla/websocket's check):
    /// an upgrade whose Origin is not the server's own host and port is refused with 400,
    /// one without an Origin (a server-side client) is taken; with `AllowCorsFrom` the
    /// origins it lists are taken.
    @Test func theUpgradeChecksItsOrigin() async throws {
        @Sendable func upgrade(_ port: Int, origin: String?) async throws -> String {
            let connection = try await RawConnection.open(port: port)
            defer { Task { await connection.close() } }
            try await connection.send("GET /api/v4/websocket HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n" + (origin.map { "Origin: \($0)\r\n" } ?? "")
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            _ = await connection.received("\r\n\r\n")
            return connection.text.components(separatedBy: "\r\n").first ?? ""
        }
        let sameHost = try await Seeded.run(configure: { $0.allowCorsFrom = "" }) { s in
            let port = s.sandbox.port
            return [try await upgrade(port, origin: nil), try await upgrade(port, origin: "http://127.0.0.1:\(port)"),
                    try await upgrade(port, origin: "http://127.0.0.1"), try await upgrade(port, origin: "https://baton.example")]
        }
        #expect(sameHost == ["HTTP/1.1 101 Switching Protocols", "HTTP/1.1 101 Switching Protocols", "HTTP/1.1 400 Bad Request", "HTTP/1.1 400 Bad Request"])
        let listed = try await Seeded.run(configure: { $0.allowCorsFrom = "https://baton.example https://other.example" }) { s in
            [try await upgrade(s.sandbox.port, origin: "https://baton.example"), try await upgrade(s.sandbox.port, origin: "https://evil.example")]
        }
        #expect(listed == ["HTTP/1.1 101 Switching Protocols", "HTTP/1.1 400 Bad Request"])
    }

    @Test func aBadTokenEndsTheConnectionWithoutAReply() async throws {
        try await Seeded.run { s in
            let got = Collected<String>()
            let close = try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                try await socket.send(action: "authentication_challenge", data: ["token": "wrongwrongwrongwrongwrongw"])
                while let frame = try await socket.next() { got.append(frame.raw) }
            }
            #expect(got.all.isEmpty)
            #expect(close == nil, "dropped without a close frame")
        }
    }

    @Test func actionsBeforeAuthenticationFailAndGarbageEndsTheConnection() async throws {
        try await Seeded.run { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                try await socket.send(action: "user_typing", data: ["channel_id": s.townSquare])
                let failure = try #require(try await socket.next())
                #expect(failure.status == "FAIL")
                #expect(failure.seqReply == 1)
                #expect((failure.json["error"] as? [String: Any])?["id"] as? String == "api.web_socket_router.not_authenticated.app_error")
                try await socket.sendRaw(["seq": 0, "action": "user_typing"])
                #expect((try await socket.next()?.json["error"] as? [String: Any])?["id"] as? String == "api.web_socket_router.bad_seq.app_error")
                try await socket.sendText("this is not json")
                #expect(try await socket.next() == nil)
            }
        }
    }

    @Test func postedEventsCarryThePostAsAStringAndReachOnlyMembers() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor <1>", type: "P", creator: "relay")
            let relayToken = s.sandbox.personalAccessToken(for: "relay")
            let bobToken = s.sandbox.sessionToken(for: "bob")
            try await EventSocket.connect(s.sandbox.webSocketURL) { relay in
                _ = try await relay.authenticate(relayToken)
                try await EventSocket.connect(s.sandbox.webSocketURL) { bob in
                    _ = try await bob.authenticate(bobToken)
                    try s.sandbox.addToChannel("alice", channel: channel.id, by: "relay")
                    let added = try await relay.next(event: "user_added")
                    #expect(added.data["user_id"] as? String == s.alice.id)
                    #expect(added.data["team_id"] as? String == s.team.id)
                    #expect(added.broadcast["channel_id"] as? String == channel.id)
                    let system = try await relay.next(event: "posted")
                    #expect(try decodePost(system.data["post"])["type"] as? String == "system_add_to_channel")

                    try s.sandbox.post(as: "alice", in: channel.id, "hello <relay> & co")
                    let posted = try await relay.next(event: "posted")
                    #expect(posted.raw.hasPrefix("{\"event\": \"posted\", \"data\": {"))
                    #expect(posted.raw.contains("\\\\u003crelay\\\\u003e"), "the post string escapes markup, as Go does")
                    let post = try decodePost(posted.data["post"])
                    #expect(post["message"] as? String == "hello <relay> & co")
                    #expect(post["user_id"] as? String == s.alice.id)
                    #expect(posted.data["channel_name"] as? String == "visitor")
                    #expect(posted.data["channel_display_name"] as? String == "Visitor <1>")
                    #expect(posted.data["channel_type"] as? String == "P")
                    #expect(posted.data["sender_name"] as? String == "@alice")
                    #expect(posted.data["team_id"] as? String == s.team.id)
                    #expect(posted.broadcast["channel_id"] as? String == channel.id)
                    // Bob is not in the channel: the next thing he sees is a town-square post.
                    try s.sandbox.post(as: "alice", in: s.townSquare, "for everyone")
                    let seen = try await bob.next(event: "posted")
                    #expect(try decodePost(seen.data["post"])["message"] as? String == "for everyone")
                }
            }
        }
    }

    @Test func sequenceNumbersCountPerConnection() async throws {
        try await Seeded.run { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.sessionToken(for: "alice"))
                for index in 0..<3 { try s.sandbox.post(as: "bob", in: s.townSquare, "m\(index)") }
                var seqs: [Int64] = []
                for _ in 0..<3 { seqs.append(try #require(try await socket.next(event: "posted").seq)) }
                #expect(seqs == [1, 2, 3])
            }
        }
    }

    @Test func typingReachesEveryoneButTheTypist() async throws {
        try await Seeded.run { s in
            let aliceToken = s.sandbox.sessionToken(for: "alice")
            try await EventSocket.connect(s.sandbox.webSocketURL) { bob in
                _ = try await bob.authenticate(s.sandbox.sessionToken(for: "bob"))
                try await EventSocket.connect(s.sandbox.webSocketURL) { alice in
                    _ = try await alice.authenticate(aliceToken)
                    let seq = try await alice.send(action: "user_typing", data: ["channel_id": s.townSquare, "parent_id": ""])
                    let reply = try #require(try await alice.next())
                    #expect(reply.status == "OK")
                    #expect(reply.seqReply == seq)
                    let typing = try await bob.next(event: "typing")
                    #expect(typing.data["user_id"] as? String == s.alice.id)
                    #expect(typing.data["parent_id"] as? String == "")
                    #expect(typing.broadcast["channel_id"] as? String == s.townSquare)
                    #expect((typing.broadcast["omit_users"] as? [String: Bool])?[s.alice.id] == true)

                    let rest = try await s.api(aliceToken).post("/api/v4/users/me/typing", ["channel_id": s.townSquare])
                    #expect(rest.status == 200)
                    #expect(try await bob.next(event: "typing").data["user_id"] as? String == s.alice.id)
                    try s.sandbox.typing(as: "bob", in: s.townSquare)
                    #expect(try await alice.next(event: "typing").data["user_id"] as? String == s.bob.id)
                }
            }
        }
    }

    @Test func archivingEditingAndDeletingAreAnnounced() async throws {
        try await Seeded.run { s in
            let channel = s.sandbox.addChannel(team: "support", name: "visitor", displayName: "Visitor", creator: "relay")
            try await EventSocket.connect(s.sandbox.webSocketURL) { relay in
                _ = try await relay.authenticate(s.sandbox.personalAccessToken(for: "relay"))
                let post = try s.sandbox.post(as: "relay", in: channel.id, "draft")
                _ = try await relay.next(event: "posted")
                try s.sandbox.editPost(post.id, message: "final", by: "relay")
                let edited = try await relay.next(event: "post_edited")
                #expect(try decodePost(edited.data["post"])["message"] as? String == "final")
                try s.sandbox.deletePost(post.id, by: "relay")
                let deleted = try await relay.next(event: "post_deleted")
                #expect(try decodePost(deleted.data["post"])["id"] as? String == post.id)
                // The post as it was read before the deletion, as the real server sends it.
                #expect((try decodePost(deleted.data["post"])["delete_at"] as? NSNumber)?.int64Value == 0)
                #expect(s.sandbox.post(id: post.id)?.deleteAt != 0)
                #expect(throws: MattermostSandbox.APIError.self) { try s.sandbox.archive(channel.id, by: "alice") }
                try s.sandbox.archive(channel.id, by: "relay")
                let system = try await relay.next(event: "posted")
                #expect(try decodePost(system.data["post"])["type"] as? String == "system_channel_deleted")
                let archived = try await relay.next(event: "channel_deleted")
                #expect(archived.data["channel_id"] as? String == channel.id)
                #expect(((archived.data["delete_at"] as? NSNumber)?.int64Value ?? 0) > 0)
                #expect(archived.broadcast["team_id"] as? String == s.team.id)

                let offTopic = try #require(s.sandbox.channel(team: "support", name: "off-topic")).id
                try s.sandbox.removeFromChannel("alice", channel: offTopic, by: "relay")
                let removal = try await relay.next(event: "posted")
                #expect(try decodePost(removal.data["post"])["type"] as? String == "system_remove_from_channel")
                let removed = try await relay.next(event: "user_removed")
                #expect(removed.data["user_id"] as? String == s.alice.id)
                #expect(removed.broadcast["channel_id"] as? String == offTopic)
            }
        }
    }

    @Test func thePingActionAnswersPongUnlessTheSocketIsSilenced() async throws {
        try await Seeded.run { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.sessionToken(for: "alice"))
                let seq = try await socket.send(action: "ping", data: [:])
                let pong = try #require(try await socket.next())
                #expect(pong.seqReply == seq)
                #expect((pong.json["data"] as? [String: Any])?["text"] as? String == "pong")
                try await socket.send(action: "get_everything", data: [:])
                #expect((try await socket.next()?.json["error"] as? [String: Any])?["id"] as? String == "api.web_socket_router.bad_action.app_error")
                s.sandbox.silenceWebSockets(true)
                try await socket.send(action: "ping", data: [:])
                #expect(try await socket.receivesNothing(within: 0.5))
            }
        }
    }

    /// A frozen socket stays open and gets nothing more (its pongs included: Baton's test
    /// of a connection dead without a word); a socket opened afterwards works.
    @Test func aFrozenSocketGetsNothingAndANewOneWorks() async throws {
        try await Seeded.run { s in
            let token = s.sandbox.sessionToken(for: "alice")
            try await EventSocket.connect(s.sandbox.webSocketURL) { frozen in
                _ = try await frozen.authenticate(token)
                s.sandbox.freezeWebSockets()
                try s.sandbox.post(as: "bob", in: s.townSquare, "anyone?")
                #expect(try await frozen.receivesNothing(within: 0.5))
                try await EventSocket.connect(s.sandbox.webSocketURL) { fresh in
                    _ = try await fresh.authenticate(token)
                    try s.sandbox.post(as: "bob", in: s.townSquare, "hello again")
                    let posted = try await fresh.next(event: "posted")
                    #expect(try decodePost(posted.data["post"])["message"] as? String == "hello again")
                }
                // Frozen sockets are dropped with the others (else this one's close would
                // wait for an answer that never comes).
                s.sandbox.dropWebSockets()
            }
        }
    }

    @Test func aTokenOnTheUpgradeRequestAuthenticatesAtOnce() async throws {
        try await Seeded.run { s in
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(s.sandbox.sessionToken(for: "alice"))"
            try await EventSocket.connect(s.sandbox.webSocketURL, headers: headers) { socket in
                let hello = try #require(try await socket.next())
                #expect(hello.event == "hello")
                #expect(hello.seq == 0)
            }
        }
    }
}
