import NIOCore
import NIOWebSocket

/// A widget connection as its request loop (`WidgetSocket`) sees it: the messages the
/// widget sent, in order, and `send` for everything going to the widget.
///
/// Its channel handler runs on the channel's event loop; `send` may be called from any
/// thread (the request loop, the chat publishing an event) and every frame is written on
/// the event loop in the order `send` was called.
final class WidgetConnection: Sendable {
    let inbound: AsyncStream<WidgetInbound>
    private let handler: NIOLoopBound<WidgetChannelHandler>
    let eventLoop: any EventLoop

    private init(inbound: AsyncStream<WidgetInbound>, handler: NIOLoopBound<WidgetChannelHandler>, eventLoop: any EventLoop) {
        self.inbound = inbound
        self.handler = handler
        self.eventLoop = eventLoop
    }

    /// Puts the widget handler in an upgraded channel's pipeline, by default at its end.
    /// Call it on the channel's event loop.
    static func install(on channel: any Channel, settings: WidgetChannelHandler.Settings,
                        position: ChannelPipeline.SynchronousOperations.Position = .last) throws -> WidgetConnection {
        // Messages wait here while the request loop handles the one before.
        let (inbound, continuation) = AsyncStream.makeStream(of: WidgetInbound.self, bufferingPolicy: .bufferingOldest(Self.inboundLimit))
        let handler = WidgetChannelHandler(settings: settings, inbound: continuation)
        try channel.pipeline.syncOperations.addHandler(handler, position: position)
        return WidgetConnection(inbound: inbound, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop), eventLoop: channel.eventLoop)
    }

    /// Messages that may wait for the request loop before the widget is taken for a flood.
    static let inboundLimit = 256

    /// Sends a frame, or closes the connection; after a close, nothing more is sent.
    func send(_ item: WidgetSocket.Outgoing) {
        let handler = handler
        // Always through the event loop's queue, even from the loop itself: one order.
        eventLoop.execute { handler.value.write(item) }
    }
}
