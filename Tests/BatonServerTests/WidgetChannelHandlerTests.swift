@testable import BatonServer
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

/// The WebSocket side of a widget connection, on an embedded channel whose clock the
/// tests move: frames in and out, keep-alive, the close handshake, floods both ways.
@Suite struct WidgetChannelHandlerTests {
    /// A handler on an embedded channel, and what it hands to the request loop.
    final class Rig {
        let channel = EmbeddedChannel()
        let connection: WidgetConnection
        var received: AsyncStream<WidgetInbound>.AsyncIterator

        init(settings: WidgetChannelHandler.Settings = .init(maxMessageBytes: 64, outboundLimit: 3)) throws {
            connection = try WidgetConnection.install(on: channel, settings: settings)
            received = connection.inbound.makeAsyncIterator()
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        /// Runs what was sent from outside the event loop.
        func settle() { channel.embeddedEventLoop.run() }

        /// A frame from the widget (masked, as browsers send them).
        func receive(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) throws {
            var data = channel.allocator.buffer(bytes: bytes)
            let key: WebSocketMaskingKey = [1, 2, 3, 4]
            data.webSocketMask(key)
            try channel.writeInbound(WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data))
        }

        func receiveText(_ text: String, fin: Bool = true) throws { try receive(.text, Array(text.utf8), fin: fin) }

        /// The frames written to the widget since the last call.
        func sent() throws -> [WebSocketFrame] {
            channel.embeddedEventLoop.run()
            var frames: [WebSocketFrame] = []
            while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
            return frames
        }

        func next() async -> WidgetInbound? { await received.next() }

        var isOpen: Bool { channel.isActive }
    }

    private static func code(of frame: WebSocketFrame) -> UInt16? {
        var data = frame.unmaskedData
        return data.readInteger(as: UInt16.self)
    }

    private static func text(of frame: WebSocketFrame) -> String { String(buffer: frame.unmaskedData) }

    @Test func messagesReachTheRequestLoopWholeAndInOrder() async throws {
        let rig = try Rig()
        try rig.receiveText("{\"type\":\"ping\"}")
        try rig.receiveText("{\"type\":", fin: false)
        try rig.receive(.continuation, Array("\"typing\"".utf8), fin: false)
        try rig.receive(.continuation, Array("}".utf8))
        try rig.receive(.binary, [1, 2])
        guard case .text("{\"type\":\"ping\"}", _)? = await rig.next() else { Issue.record("first message"); return }
        guard case .text("{\"type\":\"typing\"}", _)? = await rig.next() else { Issue.record("reassembled message"); return }
        guard case .binary? = await rig.next() else { Issue.record("binary message"); return }
        #expect(try rig.sent().isEmpty)
    }

    @Test func pingsAreAnsweredWithTheirPayload() throws {
        let rig = try Rig()
        try rig.receive(.ping, [7, 8, 9])
        let sent = try rig.sent()
        #expect(sent.count == 1)
        #expect(sent.first?.opcode == .pong)
        #expect(sent.first.map { Array($0.unmaskedData.readableBytesView) } == [7, 8, 9])
    }

    @Test func whatTheLoopSendsGoesOutInOrderAndACloseEndsIt() throws {
        let rig = try Rig()
        rig.connection.send(.text("one"))
        rig.connection.send(.text("two"))
        rig.connection.send(.close(.init(codeNumber: 4408), "hello timeout"))
        rig.connection.send(.text("after the close"))
        let sent = try rig.sent()
        #expect(sent.map(\.opcode) == [.text, .text, .connectionClose])
        #expect(sent.prefix(2).map(Self.text) == ["one", "two"])
        #expect(Self.code(of: sent[2]) == 4408)
        // The socket waits for the widget's answer to the close…
        #expect(rig.isOpen)
        try rig.receive(.connectionClose, [0x11, 0x98])
        rig.channel.embeddedEventLoop.run()
        #expect(!rig.isOpen)
    }

    @Test func aWidgetThatDoesNotAnswerACloseIsCutOff() throws {
        let rig = try Rig()
        rig.connection.send(.close(.normalClosure, ""))
        _ = try rig.sent()
        rig.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(rig.isOpen)
        rig.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!rig.isOpen)
    }

    @Test func theWidgetsCloseIsAnsweredWithItsCode() async throws {
        let rig = try Rig()
        try rig.receive(.connectionClose, [0x03, 0xE9])  // 1001
        let sent = try rig.sent()
        #expect(sent.map(\.opcode) == [.connectionClose])
        #expect(sent.first.flatMap(Self.code) == 1001)
        #expect(!rig.isOpen)
        // The request loop's messages end.
        #expect(await rig.next() == nil)
    }

    /// A close with a code no endpoint may send, or a payload of one byte, is answered
    /// 1002 (RFC 6455, 7.4); a code of the application's range is returned as it came; a
    /// reason that is not UTF-8 is answered 1007 (5.5.1).
    @Test(arguments: [([0x03, 0xE7], 1002), ([0x03], 1002), ([0x03, 0xED], 1002), ([0x0F, 0xA0], 4000), ([], 1000),
                      ([0x03, 0xE8, 0x62, 0x79, 0x65], 1000), ([0x03, 0xE8, 0xC3, 0x28], 1007)] as [([UInt8], UInt16)])
    func aCloseIsAnsweredWithAValidCode(_ payload: [UInt8], _ answer: UInt16) throws {
        let rig = try Rig()
        try rig.receive(.connectionClose, payload)
        #expect(try rig.sent().first.flatMap(Self.code) == answer)
    }

    /// Frames a client may not send (unmasked, or with a reserved bit and no extension)
    /// close the connection with 1002.
    @Test func unmaskedFramesAndReservedBitsAreProtocolErrors() throws {
        let unmasked = try Rig()
        try unmasked.channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: unmasked.channel.allocator.buffer(string: "{}")))
        #expect(try unmasked.sent().last.flatMap(Self.code) == 1002)
        let reserved = try Rig()
        let key: WebSocketMaskingKey = [1, 2, 3, 4]
        var data = reserved.channel.allocator.buffer(string: "{}")
        data.webSocketMask(key)
        try reserved.channel.writeInbound(WebSocketFrame(fin: true, rsv1: true, opcode: .text, maskKey: key, data: data))
        #expect(try reserved.sent().last.flatMap(Self.code) == 1002)
    }

    @Test func aSilentWidgetIsPingedThenDropped() throws {
        let rig = try Rig()
        let loop = rig.channel.embeddedEventLoop
        loop.advanceTime(by: .seconds(29))
        #expect(try rig.sent().isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(try rig.sent().map(\.opcode) == [.ping])
        // Its pong (or any frame) keeps it, and it is pinged again after 30 s of silence.
        try rig.receive(.pong, [])
        loop.advanceTime(by: .seconds(30))
        #expect(try rig.sent().map(\.opcode) == [.ping])
        loop.advanceTime(by: .seconds(44))
        #expect(rig.isOpen)
        // Silent for 75 s: gone, then and not at a later look (it took 90 s and more).
        loop.advanceTime(by: .seconds(1))
        #expect(!rig.isOpen)
    }

    /// A widget that writes now and then is pinged only once it has been silent for 30 s.
    @Test func aWidgetThatWritesIsNotPinged() throws {
        let rig = try Rig()
        let loop = rig.channel.embeddedEventLoop
        for _ in 0..<4 {
            loop.advanceTime(by: .seconds(20))
            try rig.receive(.pong, [])
        }
        #expect(try rig.sent().isEmpty)
        loop.advanceTime(by: .seconds(29))
        #expect(try rig.sent().isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(try rig.sent().map(\.opcode) == [.ping])
        #expect(rig.isOpen)
    }

    @Test func aWidgetThatDoesNotReadIsDisconnected() throws {
        let rig = try Rig()  // at most 3 frames queued while the socket is full
        rig.channel.isWritable = false
        for index in 0..<3 { rig.connection.send(.text("frame \(index)")) }
        #expect(try rig.sent().map(\.opcode) == [.text, .text, .text])
        rig.connection.send(.text("one too many"))
        let sent = try rig.sent()
        #expect(sent.map(\.opcode) == [.connectionClose])
        #expect(sent.first.flatMap(Self.code) == 1008)
    }

    @Test func readingAgainForgivesWhatWaited() throws {
        let rig = try Rig()
        rig.channel.isWritable = false
        for index in 0..<3 { rig.connection.send(.text("frame \(index)")) }
        rig.settle()
        rig.channel.isWritable = true
        rig.channel.pipeline.fireChannelWritabilityChanged()
        rig.channel.isWritable = false
        for index in 0..<3 { rig.connection.send(.text("more \(index)")) }
        #expect(try rig.sent().map(\.opcode) == Array(repeating: .text, count: 6))
    }

    @Test func shuttingDownClosesWithGoingAway() throws {
        let rig = try Rig()
        rig.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let sent = try rig.sent()
        #expect(sent.first.flatMap(Self.code) == 1001)
    }

    @Test func badMessagesCloseWithTheirCodes() async throws {
        let tooLarge = try Rig()
        try tooLarge.receiveText(String(repeating: "x", count: 40), fin: false)
        try tooLarge.receive(.continuation, Array(String(repeating: "y", count: 40).utf8))
        var sent = try tooLarge.sent()
        #expect(sent.map(\.opcode) == [.text, .connectionClose])
        #expect(sent.first.map(Self.text)?.contains("too_large") == true)
        #expect(Self.code(of: sent[1]) == 1009)

        let invalid = try Rig()
        try invalid.receive(.text, [0x7B, 0xFF, 0x7D])
        sent = try invalid.sent()
        #expect(sent.first.map(Self.text)?.contains("invalid_utf8") == true)
        #expect(Self.code(of: sent[1]) == 1007)

        let broken = try Rig()
        try broken.receive(.continuation, Array("orphan".utf8))
        sent = try broken.sent()
        #expect(Self.code(of: sent[1]) == 1002)
    }

    @Test func aFloodOfUnhandledMessagesIsCutOff() throws {
        let rig = try Rig()
        for _ in 0..<WidgetConnection.inboundLimit { try rig.receiveText("{}") }
        #expect(try rig.sent().isEmpty)
        try rig.receiveText("{}")
        let sent = try rig.sent()
        #expect(sent.first.map(Self.text)?.contains("too_many_frames") == true)
        #expect(sent.last.flatMap(Self.code) == 1008)
    }
}

extension WidgetInbound: Equatable {
    public static func == (a: WidgetInbound, b: WidgetInbound) -> Bool {
        switch (a, b) {
        case (.text(let x, _), .text(let y, _)): x == y
        case (.binary, .binary): true
        default: false
        }
    }
}
