import BatonCore
import Foundation
import NIOWebSocket
import BatonTestSupport
import Testing

/// Everything a broken or hostile widget can send gets a clear error, never a crash, and
/// nothing is stored twice or half.
@Suite struct BadInputTests {
    @Test func malformedFramesGetErrorsAndTheConnectionStays() async throws {
        // The frames before the hello take their time on a starved machine (39 s once in
        // CI): the hello deadline (10 s by default, tested below) must not end them first.
        try await LiveBaton.run(configure: { $0.socket.helloTimeout = .seconds(120) }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let cases: [(String, String)] = [
                    ("not json at all", "malformed_frame"),
                    ("[1, 2, 3]", "malformed_frame"),
                    ("{\"type\": 42}", "malformed_frame"),
                    ("{}", "missing_field"),
                    ("{\"type\": \"dance\"}", "unknown_type"),
                    ("{\"type\": \"hello\"}", "missing_field"),
                    ("{\"type\": \"message\", \"clientId\": \"x\", \"text\": \"before hello\"}", "hello_required"),
                ]
                for (text, code) in cases {
                    try await client.sendText(text)
                    let error = try await client.expect("error")
                    #expect(error.string("code") == code, "\(text)")
                    #expect((error.string("message") ?? "").count > 10)
                }
                try await client.sendRaw(opcode: .binary, [0, 1, 2])
                #expect(try await client.expect("error").string("code") == "binary_not_supported")

                _ = try await client.hello()
                try await client.send(["type": "hello", "widget": "demo"])
                #expect(try await client.expect("error").string("code") == "already_open")
                let missing: [([String: Any], String)] = [
                    (["type": "message", "text": "no id"], "missing_field"),
                    (["type": "message", "clientId": "no-text"], "missing_field"),
                    (["type": "message", "clientId": 7, "text": "x"], "malformed_frame"),
                    (["type": "message", "clientId": "bad id!", "text": "x"], "invalid_client_id"),
                    (["type": "message", "clientId": "e1", "text": "   \n  "], "empty_message"),
                    (["type": "message", "clientId": "long", "text": String(repeating: "é", count: 4001)], "text_too_long"),
                ]
                for (frame, code) in missing {
                    try await client.send(frame)
                    #expect(try await client.expect("error").string("code") == code, "\(frame)")
                }
                // Still usable after all that.
                _ = try await client.say(String(repeating: "é", count: 4000), clientID: "ok")
                _ = try await client.expect("message")
            }
        }
    }

    @Test func textTooLongNamesTheClientIDAndStoresNothing() async throws {
        try await LiveBaton.run(configure: { $0.chat.maxTextLength = 10 }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect((welcome["limits"] as? [String: Any])?["maxTextLength"] as? Int == 10)
                try await client.send(["type": "message", "clientId": "big", "text": "12345678901"])
                let error = try await client.expect("error")
                #expect(error.string("clientId") == "big")
                let conversation = ConversationID((welcome["conversation"] as? [String: Any])?["id"] as? String ?? "")
                #expect(try await baton.services.store.messages(in: conversation, after: 0, limit: 10).count == 1)
            }
        }
    }

    /// The longest message allowed, of 4-byte characters (16,383 emoji, 64 KiB in JSON):
    /// the socket takes it (its frame was refused, 1009, and the widget sent it again at
    /// every reconnect).
    @Test func theLongestMessageAllowedFitsAFrame() async throws {
        try await LiveBaton.run(configure: { $0.chat.maxTextLength = 16383 }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                for (clientID, character) in [("emoji", "😀"), ("controls", "\u{1}")] {
                    try await client.send(["type": "message", "clientId": clientID, "text": String(repeating: character, count: 16383)])
                    let answer = try await client.until("an answer") { $0.type == "ack" || $0.type == "error" }.last
                    // (Control characters are taken out: nothing is left to store.)
                    #expect(answer?.type == (clientID == "emoji" ? "ack" : "error"), "\(clientID): \(String(describing: answer))")
                    if clientID == "controls" { #expect(answer?.string("code") == "empty_message", "\(String(describing: answer))") }
                }
                // Written as a client that escapes JSON to ASCII writes it (Python's
                // json.dumps): 12 bytes an emoji, 196 KB.
                let escaped = #"{"type":"message","clientId":"ascii","text":""# + String(repeating: #"\ud83d\ude00"#, count: 16383) + #""}"#
                try await client.sendText(escaped)
                let answer = try await client.until("an answer") { $0.type == "ack" || $0.type == "error" }.last
                #expect(answer?.type == "ack", "\(String(describing: answer))")
            }
        }
    }

    @Test func invalidUTF8ClosesWith1007AfterAnError() async throws {
        try await LiveBaton.run { baton in
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                try await client.sendRaw(opcode: .text, [0x7B, 0xC3, 0x28, 0x7D])
                #expect(try await client.expect("error").string("code") == "invalid_utf8")
                #expect(try await client.next() == nil)
            }
            #expect(close?.closeCode == .dataInconsistentWithMessage)
        }
    }

    @Test func anOversizedMessageClosesWith1009() async throws {
        try await LiveBaton.run { baton in
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                // Two fragments that together pass the 64 KiB limit.
                try await client.sendRaw(opcode: .text, Array(repeating: 0x20, count: 40_000), fin: false)
                try await client.sendRaw(opcode: .continuation, Array(repeating: 0x20, count: 40_000))
                #expect(try await client.expect("error").string("code") == "too_large")
                #expect(try await client.next() == nil)
            }
            #expect(close?.closeCode == .messageTooLarge)
            // One frame over it, refused by the frame decoder before the message is put
            // together, is told the same way (it closed with 1009 alone).
            let single = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                try await client.sendRaw(opcode: .text, Array(repeating: 0x20, count: 70_000))
                let error = try await client.expect("error")
                #expect(error.string("code") == "too_large")
                #expect(error.string("message") == "The message is larger than 65536 bytes.")
                #expect(try await client.next() == nil)
            }
            #expect(single?.closeCode == .messageTooLarge)
            #expect(single?.reason == "too_large")
        }
    }

    /// A control frame over 125 bytes breaks the protocol: 1002 without an error frame, as
    /// NIO's own handler closed it before the widget's handler answered the decoder.
    @Test func anOverlongControlFrameClosesWith1002() async throws {
        try await LiveBaton.run { baton in
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                try await client.sendRaw(opcode: .ping, Array(repeating: 0x61, count: 126))
                #expect(try await client.next() == nil)
            }
            #expect(close?.closeCode == .protocolError)
        }
    }

    @Test func fragmentedMessagesAreReassembled() async throws {
        try await LiveBaton.run { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                let frame = Array("{\"type\":\"message\",\"clientId\":\"f\",\"text\":\"thank you\"}".utf8)
                try await client.sendRaw(opcode: .text, Array(frame[..<10]), fin: false)
                try await client.sendRaw(opcode: .continuation, Array(frame[10..<30]), fin: false)
                try await client.sendRaw(opcode: .continuation, Array(frame[30...]))
                _ = try await client.expect("ack")
                #expect(try await client.expect("message").messageText == "You're welcome!")
            }
        }
    }

    @Test func aFloodIsRateLimitedAndRefusedMessagesAreNotStored() async throws {
        try await LiveBaton.run(configure: { $0.socket.burst = 3; $0.socket.messagesPerSecond = 0.01 }) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                for i in 0..<6 { try await client.send(["type": "message", "clientId": "f\(i)", "text": "thanks \(i)"]) }
                var acked: [String] = [], limited: [String] = []
                while acked.count + limited.count < 6 {
                    guard let frame = try await client.next() else { break }
                    if frame.type == "ack" { acked.append(frame.string("clientId")!) }
                    if frame.type == "error" {
                        #expect(frame.string("code") == "rate_limited")
                        #expect((frame.int("retryAfter") ?? 0) > 0)
                        limited.append(frame.string("clientId")!)
                    }
                }
                #expect(acked == ["f0", "f1", "f2"])
                #expect(limited == ["f3", "f4", "f5"])
                let conversation = ConversationID((welcome["conversation"] as? [String: Any])?["id"] as? String ?? "")
                let stored = try await baton.services.store.messages(in: conversation, after: 0, limit: 100)
                #expect(stored.filter { $0.role == .visitor }.map(\.clientID) == ["f0", "f1", "f2"])
            }
        }
    }

    /// One visitor's sockets share the visitor's rate: a script that opens several as one
    /// visitor and floods each gets no more through than one socket would (each message
    /// also went out to every socket).
    @Test func aFloodOverManySocketsOfOneVisitorIsLimitedAsOne() async throws {
        try await LiveBaton.run(configure: { $0.socket.burst = 3; $0.socket.messagesPerSecond = 0.01 }) { baton in
            let token = Collected<String>(), conversation = Collected<String>()
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                token.append(try #require(welcome.string("token")))
                conversation.append(try #require((welcome["conversation"] as? [String: Any])?["id"] as? String))
            }
            /// `count` sockets of the visitor at once, each sending 3 messages (its burst).
            @Sendable func flood(_ count: Int) async throws {
                guard count > 0 else { return }
                try await WidgetClient.connect(baton.socketURL) { client in
                    _ = try await client.hello(token: token.last)
                    try await flood(count - 1)
                    for i in 0..<3 { try await client.send(["type": "message", "clientId": "s\(count)-\(i)", "text": "thanks \(count) \(i)"]) }
                    // Every message is answered: acked or refused.
                    var answered = 0
                    while answered < 3, let frame = try await client.next() {
                        if frame.type == "ack" || (frame.type == "error" && frame.string("code") == "rate_limited") { answered += 1 }
                    }
                    #expect(answered == 3, "socket \(count) had \(answered) of its 3 messages answered before it closed")
                }
            }
            try await flood(5)
            let stored = try await baton.services.store.messages(in: ConversationID(try #require(conversation.last)), after: 0, limit: 100)
            #expect(stored.filter { $0.role == .visitor }.count == 3)
        }
    }

    @Test func unknownWidgetsAndTokensAreRefusedWithAReason() async throws {
        try await LiveBaton.run { baton in
            let unknownWidget = try await WidgetClient.connect(baton.socketURL) { client in
                try await client.send(["type": "hello", "widget": "no-such-widget"])
                let error = try await client.expect("error")
                #expect(error.string("code") == "unknown_widget")
                #expect(error.string("message")?.contains("no-such-widget") == true)
            }
            #expect(unknownWidget?.closeCode.code == 4404)
            let unknownToken = try await WidgetClient.connect(baton.socketURL) { client in
                try await client.send(["type": "hello", "widget": "demo", "token": "forged-token"])
                #expect(try await client.expect("error").string("code") == "unknown_visitor")
            }
            #expect(unknownToken?.closeCode.code == 4401)
        }
    }

    @Test func aSilentConnectionIsClosedAfterTheHelloTimeout() async throws {
        try await LiveBaton.run(configure: { $0.socket.helloTimeout = .milliseconds(300) }) { baton in
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                let error = try await client.expect("error")
                #expect(error.string("code") == "hello_timeout")
            }
            #expect(close?.closeCode.code == 4408)
        }
        // A connection that said hello stays open past the timeout. (A longer timeout: on
        // a busy machine the hello itself may take a few hundred milliseconds.)
        try await LiveBaton.run(configure: { $0.socket.helloTimeout = .seconds(2) }) { baton in
            _ = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                try await Task.sleep(for: .milliseconds(3000))
                try await client.send(["type": "ping"])
                _ = try await client.expect("pong")
            }
        }
    }

    /// The test client always sends `Origin: ws://127.0.0.1` (the browser tests send real
    /// page origins); the policy's other cases are unit-tested in `OriginPolicyTests`.
    @Test func onlyAllowedOriginsMayOpenARestrictedWidget() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            func save(_ origins: [String]) async throws {
                try await baton.services.bots.save(Widget(key: "shop", name: "Shop", botSource: "name: S\ngreeting: Hi\n",
                                                          settings: WidgetSettings(allowedOrigins: origins), createdAt: now, updatedAt: now))
            }
            try await save(["https://shop.example"])
            let refused = try await WidgetClient.connect(baton.socketURL) { client in
                try await client.send(["type": "hello", "widget": "shop"])
                let error = try await client.expect("error")
                #expect(error.string("code") == "origin_not_allowed")
                #expect(error.string("message") == "This widget may not be embedded on ws://127.0.0.1.")
            }
            #expect(refused?.closeCode.code == 4403)
            try await save(["https://shop.example", "ws://127.0.0.1/"])
            try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello(widget: "shop")
            }
        }
    }

    /// A widget deleted while a chat is open on it ends that chat at its next message, as
    /// a hello for it is refused (4404), instead of refusing each message and
    /// leaving the socket open and pinging.
    @Test func aWidgetDeletedWhileOpenEndsItsChats() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            try await baton.services.bots.save(Widget(key: "gone", name: "Gone", botSource: "name: G\ngreeting: Hi\n", createdAt: now, updatedAt: now))
            let closed = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello(widget: "gone")
                try await baton.services.bots.delete(key: "gone")
                try await client.send(["type": "message", "clientId": "c-1", "text": "hello?"])
                let error = try await client.expect("error")
                #expect(error.string("code") == "unknown_widget")
                _ = try await client.next()
            }
            #expect(closed?.closeCode.code == 4404)
        }
    }

    /// Taking a site off the list ends the chats open on it, not only new ones: at its
    /// next frame (an idle widget pings every 25 s).
    @Test func anOriginTakenOffTheListEndsItsOpenChats() async throws {
        try await LiveBaton.run { baton in
            let now = Millis.now()
            @Sendable func save(_ origins: [String], at time: Millis) async throws {
                try await baton.services.bots.save(Widget(key: "shop", name: "Shop", botSource: "name: S\ngreeting: Hi\n",
                                                          settings: WidgetSettings(allowedOrigins: origins), createdAt: now, updatedAt: time))
            }
            try await save(["ws://127.0.0.1"], at: now)
            for type in ["ping", "message"] {
                let closed = try await WidgetClient.connect(baton.socketURL) { client in
                    _ = try await client.hello(widget: "shop")
                    try await client.send(["type": "ping"])
                    _ = try await client.expect("pong")
                    // Another setting changed: the chat goes on.
                    try await baton.services.bots.save(Widget(key: "shop", name: "Shop", botSource: "name: S\ngreeting: Hello\n",
                                                              settings: WidgetSettings(allowedOrigins: ["ws://127.0.0.1"]), createdAt: now, updatedAt: now + 1))
                    try await client.send(["type": "ping"])
                    _ = try await client.expect("pong")
                    try await save(["https://shop.example"], at: now + 2)
                    try await client.send(type == "ping" ? ["type": "ping"] : ["type": "message", "clientId": "c-1", "text": "still here?"])
                    let error = try await client.expect("error")
                    #expect(error.string("code") == "origin_not_allowed")
                    _ = try await client.next()
                }
                #expect(closed?.closeCode.code == 4403)
                try await save(["ws://127.0.0.1"], at: now + 3)
            }
        }
    }
}
