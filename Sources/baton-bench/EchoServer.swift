import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging

/// `baton-bench echo-server`: the baseline. A bare Hummingbird 2 WebSocket server that
/// echoes every text message back — the same stack as Baton (HTTP/1 upgrade, the same
/// frame limits, pings every 30 s) with none of its work — so that every figure can be
/// given as a ratio to what the stack does at best on this machine.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Run the bare WebSocket echo server the benchmark compares Baton with.",
        shouldDisplay: false
    )

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 0

    func run() async throws {
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        let sockets = Router(context: BasicWebSocketRequestContext.self)
        sockets.ws("/echo") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { try await outbound.write(.text(text)) }
            }
        }
        var logger = Logger(label: "echo-server")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: sockets,
                configuration: .init(ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30))))),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "echo"),
            onServerRunning: { channel in
                // The same announcement as Baton's, which the bench reads the port from.
                let line = "echo server ready at http://127.0.0.1:\(channel.localAddress?.port ?? 0)/\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger
        )
        try await app.runService()
    }

    /// Where the echo socket is (`ws("/echo")` above).
    static let path = "/echo"
}
