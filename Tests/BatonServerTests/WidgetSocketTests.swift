import BatonCore
import Foundation
import NIOWebSocket
import BatonTestSupport
import Testing

@Suite struct WidgetSocketTests {
    @Test func aNewVisitorIsGreetedAndAnswered() async throws {
        try await LiveBaton.run { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect(welcome.int("protocol") == 1)
                #expect((welcome.string("token") ?? "").count >= 40)
                #expect((welcome["conversation"] as? [String: Any])?["state"] as? String == "bot")
                #expect((welcome["widget"] as? [String: Any])?["botName"] as? String == "Ada")
                // No language set: the widget picks one (the page's or the visitor's).
                #expect((welcome["widget"] as? [String: Any])?["language"] == nil)
                #expect((welcome["limits"] as? [String: Any])?["maxTextLength"] as? Int == 4000)
                let greeting = try #require(welcome.messages.first)
                #expect(greeting["role"] as? String == "bot")
                #expect(greeting["name"] as? String == "Ada")
                #expect((greeting["buttons"] as? [[String: Any]])?.count == 3)

                let ack = try await client.say("How much does it cost?", clientID: "c1")
                #expect(ack.string("clientId") == "c1")
                #expect(ack["duplicate"] as? Bool == false)
                let reply = try await client.expect("message")
                #expect(reply.messageText == "Baton is free to run on your own server.")
                #expect(reply.messageID! > ack.int("id")!)

                try await client.send(["type": "ping"])
                _ = try await client.expect("pong")
            }
        }
    }

    /// The widget's language, when set, comes with the welcome, else the bot's when it
    /// says one; a notice comes with its meaning beside its English text, for the widget
    /// to say in that language.
    @Test func theWidgetLearnsItsLanguageAndWhatANoticeMeans() async throws {
        try await LiveBaton.run { baton in
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect((welcome["widget"] as? [String: Any])?["language"] == nil)
            }
            let source = demo.botSource
            demo.botSource = "language: nl\n" + source
            _ = try await baton.services.bots.save(demo)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect((welcome["widget"] as? [String: Any])?["language"] as? String == "nl")
            }
            let config = try await get("\(baton.http)/widget/v1/config/demo")
            #expect((try JSONSerialization.jsonObject(with: Data(config.body.utf8)) as? [String: Any])?["language"] as? String == "nl", "\(config.body)")
            demo.botSource = source
            demo.settings.language = "fr"
            _ = try await baton.services.bots.save(demo)
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                #expect((welcome["widget"] as? [String: Any])?["language"] as? String == "fr")
                _ = try await client.say("Talk to a person", clientID: "c1")
                let conversation = try #require(try await baton.services.store.conversations(ConversationFilter(widgetKey: "demo", limit: 1)).first)
                try await baton.services.chat.agentJoined(conversation.conversation.id, name: "Zoë", externalID: "join-1")
                let notice = try await client.message(containing: "joined the chat").message
                #expect(notice["role"] as? String == "system" && notice["text"] as? String == "Zoë joined the chat.")
                let meaning = notice["notice"] as? [String: Any]
                #expect(meaning?["kind"] as? String == "agent_joined" && meaning?["name"] as? String == "Zoë", "\(notice)")
                #expect(meaning?["rating"] == nil)
            }
        }
    }

    /// A reverse proxy that keeps its connections to Baton open (nginx's `keepalive`) sends
    /// a widget's upgrade on a connection that served other requests before: it is upgraded
    /// there (a browser would not follow a redirect), HTTP's idle timeout no longer applies,
    /// and the widget is served as on a connection of its own.
    @Test func aWidgetUpgradesOnAConnectionThatServedOtherRequests() async throws {
        try await LiveBaton.run(configure: { $0.socket.idleTimeout = .seconds(5) }) { baton in
            let connection = try await RawConnection.open(port: baton.port)
            defer { Task { await connection.close() } }
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nHEAD /widget.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await connection.received("\"status\":\"ok\""))
            #expect(await connection.received("text/javascript"))
            try await connection.send("GET /widget/v1/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            #expect(await connection.received("HTTP/1.1 101 Switching Protocols\r\n"), "\(connection.text)")
            // RFC 6455's own example key and answer.
            #expect(connection.text.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"), "\(connection.text)")
            try await connection.send(bytes: RawConnection.maskedTextFrame(#"{"type":"hello","widget":"demo"}"#))
            #expect(await connection.received(#""type":"welcome""#), "\(connection.text)")
            #expect(await connection.received("I'm Ada"))
            // Past HTTP's idle timeout the socket is still the widget's…
            #expect(await !connection.closedByServer(within: 6))
            try await connection.send(bytes: RawConnection.maskedTextFrame(#"{"type":"message","text":"What is Baton?","clientId":"late-1"}"#))
            #expect(await connection.received("self-hosted"), "\(connection.text)")
            // When Baton stops, the widget is told to reconnect (1001, going away), as on a
            // socket of its own.
            let stopping = Task { await baton.shutdown() }
            #expect(await connection.received("server shutting down"), "\(Array(connection.text.utf8.suffix(40)))")
            await stopping.value
        }
    }

    /// A later upgrade to another path, or a handshake that is not one, is refused as a
    /// first request's would be: 400, and the connection closed.
    @Test func aLateUpgradeElsewhereOrMalformedIsRefused() async throws {
        try await LiveBaton.run { baton in
            for (path, version) in [("/healthz", "13"), ("/widget/v1/socket", "8")] {
                let connection = try await RawConnection.open(port: baton.port)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(await connection.received("\"status\":\"ok\""))
                try await connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n\r\n")
                #expect(await connection.closedByServer(within: 10), "\(path)")
                let answers = connection.text.components(separatedBy: "HTTP/1.1 ").dropFirst()
                #expect(answers.count == 2 && answers.last?.hasPrefix("400") == true, "\(connection.text)")
            }
        }
    }

    @Test func theBotHandsOverAfterTwoMisunderstandingsAndTheConversationWaits() async throws {
        try await LiveBaton.run { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                _ = try await client.say("qwerty uiop", clientID: "1")
                #expect(try await client.expect("message").messageText?.hasPrefix("Sorry, I didn't get that") == true)
                _ = try await client.say("zxcv bnm", clientID: "2")
                #expect(try await client.expect("state").string("state") == "collecting")
                _ = try await client.expect("message")
                #expect(try await client.expect("message").messageText == "What's your name?")
                // Asked for, not yet with the agents: a returning widget is told so (it
                // would otherwise offer a rating once an admin closed the chat).
                let token = try #require(welcome.string("token"))
                try await WidgetClient.connect(baton.socketURL) { again in
                    let back = try await again.hello(token: token)
                    #expect((back["conversation"] as? [String: Any])?["handedOver"] as? Bool == false)
                    #expect(back.json["token"] == nil, "only a new visitor gets a token")
                }
                _ = try await client.say("Zoë", clientID: "3")
                _ = try await client.expect("message")
                _ = try await client.say("zoe@example.org", clientID: "4")
                let topic = try await client.expect("message")
                #expect((topic.message["buttons"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Sales", "Support", "Something else"])
                _ = try await client.say("Support", clientID: "5")
                #expect(try await client.expect("state").string("state") == "waiting_for_agent")
                #expect(try await client.expect("message").messageText == "Thanks Zoë. Nobody is available right now; leave a message and we'll get back to you (zoe@example.org).")
                let id = ConversationID((welcome["conversation"] as? [String: Any])?["id"] as? String ?? "")
                let stored = try #require(try await baton.services.store.conversation(id: id))
                #expect(stored.state == .waitingForAgent)
                #expect(stored.variables.map(\.value) == ["Zoë", "zoe@example.org", "Support"])
                try await WidgetClient.connect(baton.socketURL) { again in
                    let back = try await again.hello(token: token)
                    #expect((back["conversation"] as? [String: Any])?["handedOver"] as? Bool == true)
                }
            }
        }
    }

    /// After 100 refused frames the connection is closed (1008), and the last error says why.
    @Test func aWidgetThatKeepsSendingBadFramesIsDisconnected() async throws {
        try await LiveBaton.run { baton in
            let codes = Collected<String>()
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                for _ in 0..<101 { try await client.sendText("x") }
                while let frame = try await client.next() { if let code = frame.string("code") { codes.append(code) } }
            }
            #expect(codes.all.count == 102 && codes.all.dropLast().allSatisfy { $0 == "malformed_frame" }, "\(codes.all)")
            #expect(codes.last == "too_many_frames")
            #expect(close?.closeCode == .policyViolation)
        }
    }

    @Test func aButtonActionIsHonoured() async throws {
        try await LiveBaton.run { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                _ = try await client.say("Talk to a person", clientID: "b1", action: "handover")
                _ = try await client.expect("state")
                #expect(try await client.expect("message").messageText == "Before I hand you over, a few quick questions.")
            }
        }
    }

    /// Reads everything the server sends until it has been quiet for a moment.
    static func drain(_ client: WidgetClient, count: Int) async throws -> [Frame] {
        var frames: [Frame] = []
        for _ in 0..<count { if let frame = try await client.next() { frames.append(frame) } }
        return frames
    }

    @Test func aDroppedSocketResumesWithNothingLostOrDoubled() async throws {
        try await LiveBaton.run { baton in
            let token = Collected<String>()
            let lastSeen = Collected<Int64>()
            // First connection: one exchange, then a message sent and the socket dropped
            // before its ack or reply could be read.
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello()
                token.append(welcome.string("token")!)
                _ = try await client.say("what is baton", clientID: "m1")
                lastSeen.append(try await client.expect("message").messageID!)
                try await client.send(["type": "message", "clientId": "m2", "text": "how much does it cost"])
            }
            // Second connection: the widget resends m2 (it saw no ack) after the replay.
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello(token: token.last!, lastSeen: lastSeen.last!)
                #expect(welcome.string("token") == nil)
                let replayed = welcome.messages.map { $0["text"] as? String }
                #expect(replayed == ["how much does it cost", "Baton is free to run on your own server."])
                let resend = try await client.say("how much does it cost", clientID: "m2")
                #expect(resend["duplicate"] as? Bool == true)
                #expect(resend.int("id") == (welcome.messages.first?["id"] as? NSNumber)?.int64Value)
                _ = try await client.say("thanks", clientID: "m3")
                #expect(try await client.expect("message").messageText == "You're welcome!")
            }
            // A third connection from scratch sees every message exactly once, in order.
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello(token: token.last!)
                let texts = welcome.messages.map { $0["text"] as? String ?? "" }
                #expect(texts.count == 7)
                #expect(Array(texts.dropFirst()) == [
                    "what is baton", texts[2], "how much does it cost", "Baton is free to run on your own server.",
                    "thanks", "You're welcome!",
                ])
                let ids = welcome.messages.map { ($0["id"] as? NSNumber)?.int64Value ?? 0 }
                #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            }
        }
    }

    @Test func twoTabsOfOneVisitorSeeEachOther() async throws {
        try await LiveBaton.run { baton in
            let token = Collected<String>()
            try await WidgetClient.connect(baton.socketURL) { first in
                token.append(try await first.hello().string("token")!)
                try await WidgetClient.connect(baton.socketURL) { second in
                    _ = try await second.hello(token: token.last!)
                    _ = try await second.say("hello", clientID: "t2")
                    #expect(try await second.expect("message").messageText == "Hello! What can I do for you?")
                }
                let mirrored = try await first.expect("message")
                #expect(mirrored.messageText == "hello")
                #expect(mirrored.message["role"] as? String == "visitor")
                #expect(mirrored.message["clientId"] as? String == "t2")
                #expect(try await first.expect("message").messageText == "Hello! What can I do for you?")
            }
        }
    }

    @Test func historyAndStatesSurviveARestart() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let token = Collected<String>()
        try await LiveBaton.run(database: folder.database) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                token.append(try await client.hello().string("token")!)
                _ = try await client.say("Talk to a person", clientID: "a", action: "handover")
                _ = try await client.until("message")
                _ = try await client.expect("message")
                _ = try await client.say("Ann", clientID: "b")
                _ = try await client.expect("message")
                _ = try await client.say("ann@example.com", clientID: "c")
                _ = try await client.expect("message")
            }
        }
        // A new server process on the same file: same visitor, same question pending.
        try await LiveBaton.run(database: folder.database) { baton in
            try await WidgetClient.connect(baton.socketURL) { client in
                let welcome = try await client.hello(token: token.last!)
                #expect((welcome["conversation"] as? [String: Any])?["state"] as? String == "collecting")
                #expect(welcome.messages.count == 8)
                #expect(welcome.messages.last?["text"] as? String == "What is it about?")
                _ = try await client.say("sales", clientID: "d")
                #expect(try await client.expect("state").string("state") == "waiting_for_agent")
                #expect(try await client.expect("message").messageText?.contains("ann@example.com") == true)
                // The message sent before the restart is still de-duplicated after it.
                #expect(try await client.say("Ann", clientID: "b")["duplicate"] as? Bool == true)
            }
        }
    }

    @Test func gracefulShutdownClosesOpenSockets() async throws {
        let closes = Collected<Int>()
        try await LiveBaton.run { baton in
            let close = try await WidgetClient.connect(baton.socketURL) { client in
                _ = try await client.hello()
                await baton.shutdown()
                // The server closes the socket: reading ends.
                while try await client.next() != nil {}
            }
            closes.append(Int(close?.closeCode.code ?? 0))
        }
        #expect(closes.all == [1001])
    }
}

extension WebSocketErrorCode {
    /// The numeric close code.
    var code: UInt16 {
        switch self {
        case .normalClosure: 1000
        case .goingAway: 1001
        case .protocolError: 1002
        case .unacceptableData: 1003
        case .dataInconsistentWithMessage: 1007
        case .policyViolation: 1008
        case .messageTooLarge: 1009
        case .missingExtension: 1010
        case .unexpectedServerError: 1011
        case .unknown(let code): code
        }
    }
}
