import ConnectionGuard
import NIOCore
import NIOEmbedded
import Testing

@Suite struct ConnectionGuardTests {
    /// Records the shutdown events that reach the handlers after the guard.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var shutdowns = 0
        var bytes = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += unwrapInboundIn(data).readableBytes
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { shutdowns += 1 }
        }
    }

    func connection(_ settings: ConnectionGuard.Settings = .init(firstRequestTimeout: .seconds(60), shutdownGrace: .seconds(10)))
        throws -> (EmbeddedChannel, Recorder)
    {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConnectionGuard(settings: settings))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, recorder)
    }

    func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    @Test func aConnectionThatSendsNoHeadIsClosedAfterTheTimeout() throws {
        let (silent, _) = try connection()
        silent.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(silent.isActive)
        silent.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!silent.isActive)

        // Half a head is no head: its bytes go on, and the deadline stays.
        let (half, recorder) = try connection()
        try send("GET / HTTP/1.1\r\nHost: x\r\n", to: half)
        #expect(recorder.bytes == 25)
        half.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(!half.isActive)
    }

    @Test func aWholeHeadEndsTheDeadlineEvenSplitAcrossReads() throws {
        for parts in [["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], ["GET / HTTP/1.1\r\nHost: x\r", "\n", "\r\n"],
                      ["GET / HTTP/1.1\r\nHost: x\r\n\r", "\r\n\r\n"]] {
            let (channel, _) = try connection()
            for part in parts { try send(part, to: channel) }
            channel.embeddedEventLoop.advanceTime(by: .seconds(600))
            #expect(channel.isActive, "\(parts)")
            _ = try? channel.finish()
        }
    }

    @Test func aShutdownClosesAConnectionWithNothingToAnswerAtOnce() throws {
        let (silent, silentRecorder) = try connection()
        silent.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!silent.isActive)
        #expect(silentRecorder.shutdowns == 0)

        let (half, _) = try connection()
        try send("POST /api HTTP/1.1\r\n", to: half)
        half.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!half.isActive)
    }

    @Test func aShutdownIsPassedOnEverySecondAndTheConnectionClosedAfterTheGrace() throws {
        let (busy, recorder) = try connection()
        try send("GET /download HTTP/1.1\r\nHost: x\r\n\r\n", to: busy)
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.shutdowns == 1)
        #expect(busy.isActive)
        // A second event from the server changes nothing.
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.shutdowns == 1)
        busy.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(recorder.shutdowns == 4)
        busy.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(busy.isActive)
        busy.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!busy.isActive)
    }

    @Test func aConnectionThatLooksAfterItselfCanTakeTheGuardOff() throws {
        let (socket, recorder) = try connection()
        try send("GET /socket HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", to: socket)
        ConnectionGuard.standDown(on: socket)
        #expect(throws: (any Error).self) { try socket.pipeline.syncOperations.handler(type: ConnectionGuard.self) }
        socket.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.shutdowns == 1)
        socket.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(socket.isActive)
        #expect(recorder.shutdowns == 1)
    }

    /// A shutdown that came while the upgrade was being decided: the guard stays, and passes
    /// it on to the handler that takes over (here the recorder) until the grace runs out.
    @Test func theGuardStaysWhenTheShutdownCameFirst() throws {
        let (socket, recorder) = try connection()
        try send("GET /socket HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", to: socket)
        socket.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        ConnectionGuard.standDown(on: socket)
        #expect(throws: Never.self) { try socket.pipeline.syncOperations.handler(type: ConnectionGuard.self) }
        socket.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(recorder.shutdowns == 3)
        socket.embeddedEventLoop.advanceTime(by: .seconds(8))
        #expect(!socket.isActive)
    }

    @Test func otherEventsPassThrough() throws {
        struct Other {}
        final class Seen: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            var events = 0
            func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) { events += 1 }
        }
        let seen = Seen()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConnectionGuard())
        try channel.pipeline.syncOperations.addHandler(seen)
        channel.pipeline.fireUserInboundEventTriggered(Other())
        #expect(seen.events == 1)
    }
}
