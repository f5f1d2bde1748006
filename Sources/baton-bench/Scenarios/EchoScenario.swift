/// The baseline's visitor: it sends the very frame a visitor's message is (JSON with a
/// `clientId`) to the echo server and recognises its answer by that `clientId`.
struct EchoVisitor: VisitorScript {
    func prepare(_ visitor: VisitorSocket) async throws {
        // The echo server's `welcome`: one round trip proves the socket works.
        try await visitor.say("hello", clientID: "hello")
        try await visitor.waitFor("the echo of the first frame") { $0.clientID == "hello" }
    }

    func send(_ id: Int, from visitor: VisitorSocket, _ prepared: Void) {
        visitor.postMessage(BotVisitor.question, clientID: "c\(id)")
    }

    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ prepared: Void, probes: ProbeTable) {
        if let id = frame.probeID { probes.completed(id, at: time) }
    }
}
