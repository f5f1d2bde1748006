/// (d) Agent → visitor: the agent posts in the chat's room through the stand-in; the
/// latency ends when the visitor's socket receives the agent's `message`.
struct AgentVisitor: VisitorScript {
    let agentSide: AgentSide

    func prepare(_ visitor: VisitorSocket) async throws -> String {
        let conversation = try await visitor.hello()
        _ = try await handOver(visitor)
        guard await agentSide.watch.announcement(of: conversation).wait(timeout: .seconds(60)) != nil,
              let room = agentSide.roomID(of: conversation) else {
            throw VisitorError(description: "no room announced within 60 s after the handover")
        }
        // The agent's first post makes them join the chat (a notice, then the message):
        // not what is measured.
        try agentSide.sandbox.post(as: AgentSide.agent, in: room, "Hello, I am Alice")
        try await visitor.waitForMessage(containing: "Hello, I am Alice")
        return room
    }

    func send(_ id: Int, from visitor: VisitorSocket, _ room: String) throws {
        try agentSide.sandbox.post(as: AgentSide.agent, in: room, ProbeToken.text(id, "agent"))
    }

    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ room: String, probes: ProbeTable) {
        switch frame.type {
        case "message" where frame.message?.role == "agent":
            if let id = ProbeToken.id(in: frame.message?.text ?? "") { probes.completed(id, at: time) }
        case "error":
            probes.errors.frame(frame.code ?? "unknown")
        default:
            break
        }
    }
}
