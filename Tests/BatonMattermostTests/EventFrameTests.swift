@testable import BatonMattermost
import BatonCore
import Foundation
import Testing

/// Frames of Mattermost's event socket, as the real server sends them, read into typed
/// fields; frames of other shapes are read as far as they go, never fail the stream.
@Suite struct EventFrameTests {
    private func frame(_ json: String) throws -> EventFrame {
        try EventFrame(json: json)
    }

    @Test func aPostedEventCarriesThePostAsAString() throws {
        let post = #"{"id":"p1","create_at":1700000000123,"update_at":1700000000123,"delete_at":0,"user_id":"u1","channel_id":"c1","root_id":"","message":"Hello \"there\"","type":"","props":{"from_baton":true,"baton_through":"42","n":3,"list":[1,"a"],"nested":{"k":null}}}"#
        let escaped = String(decoding: try JSONEncoder().encode(post), as: UTF8.self)
        let text = #"{"event":"posted","data":{"channel_display_name":"Visitor","channel_name":"chat-x","channel_type":"O","post":""# + escaped.dropFirst().dropLast() + #"","sender_name":"@alice","set_online":true,"team_id":"t1"},"broadcast":{"omit_users":null,"user_id":"","channel_id":"c1","team_id":""},"seq":7}"#
        let event = try #require(try frame(text).asEvent)
        #expect(event.event == "posted")
        #expect(event.channelID == "c1")
        #expect(event.seq == 7)
        let decoded = try #require(event.post)
        #expect(decoded.id == "p1" && decoded.userID == "u1" && decoded.channelID == "c1")
        #expect(decoded.message == #"Hello "there""#)
        #expect(decoded.createAt == 1_700_000_000_123)
        // Only Baton's own props are read; others of any shape are passed over.
        #expect(decoded.batonThrough == "42")
        #expect(decoded.batonMarker == nil)
    }

    /// `user_removed` comes in two shapes: to the channel's members, naming the user in
    /// `data.user_id`; and to the user removed, naming the channel in `data.channel_id`.
    @Test func aRemovalNamesTheUserOrTheChannel() throws {
        let toChannel = try #require(try frame(#"{"event":"user_removed","data":{"remover_id":"u2","user_id":"u1"},"broadcast":{"omit_users":null,"user_id":"","channel_id":"c1","team_id":""},"seq":3}"#).asEvent)
        #expect(toChannel.userID == "u1" && toChannel.channelID == "c1" && toChannel.broadcastUserID == nil)
        let toUser = try #require(try frame(#"{"event":"user_removed","data":{"channel_id":"c1","remover_id":"u2"},"broadcast":{"omit_users":null,"user_id":"u1","channel_id":"","team_id":""},"seq":4}"#).asEvent)
        #expect(toUser.userID == nil && toUser.dataChannelID == "c1" && toUser.broadcastUserID == "u1" && toUser.channelID == nil)
        // The system post a catch-up finds instead.
        let post = try MMPost(json: #"{"id":"p3","user_id":"u2","channel_id":"c1","message":"relay removed from the channel.","type":"system_remove_from_channel","props":{"removedUserId":"u1","removedUsername":"relay","userId":"u2","username":"alice"}}"#)
        #expect(post.removedUserID == "u1" && post.isSystem)
    }

    @Test func postPropsOfOtherShapesDoNotFailThePost() throws {
        func post(_ props: String) throws -> MMPost {
            try MMPost(json: #"{"id":"p2","user_id":"u1","channel_id":"c1","message":"hi","props":"# + props + "}")
        }
        // Some servers send an empty string for empty props.
        #expect(try post(#""""#).batonMarker == nil)
        #expect(try post("null").batonThrough == nil)
        #expect(try post(#"{"baton_marker":"message-7-0","baton_through":7}"#).batonMarker == "message-7-0")
        #expect(try post(#"{"baton_marker":"message-7-0","baton_through":7}"#).batonThrough == nil)
    }

    @Test func postsReadAsBefore() throws {
        // Missing and null fields read as empty; `update_at` defaults to `create_at`.
        let sparse = try MMPost(json: #"{"id":"p3","create_at":5,"message":null,"type":"system_join_channel"}"#)
        #expect(sparse.message == "" && sparse.userID == "" && sparse.updateAt == 5 && sparse.isSystem)
        // No id, or a field of another type, is no post.
        #expect(throws: (any Error).self) { try MMPost(json: #"{"message":"hi"}"#) }
        #expect(throws: (any Error).self) { try MMPost(json: #"{"id":"p4","message":5}"#) }
        #expect(throws: (any Error).self) { try MMPost(json: #"{"id":"p4","create_at":"soon"}"#) }
        // A page of posts: `order` newest first; a null list is an empty one.
        let list = try MMPostList(json: #"{"order":["b","a"],"posts":{"a":{"id":"a","create_at":1},"b":{"id":"b","create_at":1}},"next_post_id":"","has_next":false}"#)
        #expect(list.chronological.map(\.id) == ["a", "b"])
        #expect(try MMPostList(json: #"{"order":null,"posts":null}"#).chronological.isEmpty)
    }

    @Test func typingAndChannelDeletedCarryTheirIDs() throws {
        let typing = try #require(try frame(#"{"event":"typing","data":{"parent_id":"","user_id":"u2"},"broadcast":{"channel_id":"c2"},"seq":8}"#).asEvent)
        #expect(typing.userID == "u2")
        #expect(typing.channelID == "c2")
        #expect(typing.post == nil)
        let deleted = try #require(try frame(#"{"event":"channel_deleted","data":{"channel_id":"c3","delete_at":1},"broadcast":{"channel_id":"","team_id":"t"},"seq":9}"#).asEvent)
        #expect(deleted.dataChannelID == "c3")
        // An empty broadcast channel is no channel.
        #expect(deleted.channelID == nil)
    }

    @Test func theReplyToTheChallengeIsNoEvent() throws {
        let reply = try frame(#"{"status":"OK","seq_reply":1}"#)
        #expect(reply.seqReply == 1 && reply.status == "OK")
        #expect(reply.asEvent == nil)
        let refused = try frame(#"{"status":"FAIL","seq_reply":1,"error":{"id":"api.web_socket_router.not_authenticated.app_error"}}"#)
        #expect(refused.status == "FAIL")
    }

    @Test func fieldsOfAnotherShapeAreLeftOut() throws {
        // `data.post` as an object, a numeric user id, a broadcast that is a string.
        let odd = try #require(try frame(#"{"event":"posted","data":{"post":{"id":"x"},"user_id":5},"broadcast":"everyone","seq":"ten"}"#).asEvent)
        #expect(odd.event == "posted")
        #expect(odd.post == nil)
        #expect(odd.userID == nil && odd.channelID == nil && odd.seq == nil)
        // A post that is not JSON is no post.
        let broken = try #require(try frame(#"{"event":"posted","data":{"post":"{not json"}}"#).asEvent)
        #expect(broken.post == nil)
        #expect(throws: (any Error).self) { try frame("[1,2]") }
    }
}

/// The outbox worker's line of announced conversations.
@Suite struct AnnouncementsTests {
    @Test func eachConversationWaitsOnceInTheOrderAnnounced() {
        var line = MattermostLink.Announcements()
        let (a, b, c) = (ConversationID("a"), ConversationID("b"), ConversationID("c"))
        for id in [a, b, a, c, b] { line.add(id) }
        #expect(line.next() == a)
        // Announced again once taken: back in line, behind the others.
        line.add(a)
        #expect([line.next(), line.next(), line.next(), line.next()] == [b, c, a, nil])
        // A long line keeps its order while it is taken from and added to.
        var expected: [ConversationID] = []
        for i in 0..<5000 {
            let id = ConversationID("c\(i)")
            line.add(id)
            expected.append(id)
            if i % 3 == 0 { #expect(line.next() == expected.removeFirst()) }
        }
        var rest: [ConversationID] = []
        while let id = line.next() { rest.append(id) }
        #expect(rest == expected)
    }
}

/// Where the event stream's connection goes, and whether TLS sends a server name.
@Suite struct EventStreamChannelTests {
    func channel(_ url: String) throws -> EventStreamChannel {
        try EventStreamChannel(url: url, tlsConfiguration: .makeClientConfiguration(), maxFrameSize: 1 << 20, autoPing: .disabled) { _, _, _ in }
    }

    @Test func theURLGivesHostPortAndTarget() throws {
        let named = try channel("wss://chat.example.com/mattermost/api/v4/websocket?connection_id=abc")
        #expect(named.host == "chat.example.com" && named.port == 443 && named.target == "/mattermost/api/v4/websocket?connection_id=abc")
        #expect(named.tls != nil && !EventStreamChannel.isAddress(named.host))
        let plain = try channel("ws://127.0.0.1:8065/api/v4/websocket")
        #expect(plain.host == "127.0.0.1" && plain.port == 8065 && plain.tls == nil && EventStreamChannel.isAddress(plain.host))
        let six = try channel("wss://[::1]:8443/api/v4/websocket")
        #expect(six.host == "::1" && six.port == 8443 && EventStreamChannel.isAddress(six.host))
        #expect(try channel("ws://mm.internal/api/v4/websocket").port == 80)
        #expect(throws: (any Error).self) { try channel("https://chat.example.com/api/v4/websocket") }
        #expect(throws: (any Error).self) { try channel("not a url") }
    }
}
