/// (c) Visitor → Mattermost after a handover: each message carries a probe token; the
/// latency ends when the stand-in creates the relayed post (seen by `PostWatch`).
struct RelayVisitor: VisitorScript {
    let agentSide: AgentSide

    func prepare(_ visitor: VisitorSocket) async throws -> String {
        let conversation = try await visitor.hello()
        _ = try await handOver(visitor)
        guard await agentSide.watch.announcement(of: conversation).wait(timeout: .seconds(60)) != nil else {
            throw VisitorError(description: "no room announced within 60 s after the handover")
        }
        return conversation
    }

    func send(_ id: Int, from visitor: VisitorSocket, _ conversation: String) {
        visitor.postMessage(ProbeToken.text(id, "relay"), clientID: "c\(id)")
    }

    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ conversation: String, probes: ProbeTable) {
        switch frame.type {
        case "ack":
            if let id = frame.probeID { probes.acknowledged(id, at: time) }
        case "error":
            if let id = frame.probeID {
                probes.failed(id, code: frame.code ?? "unknown")
            } else {
                probes.errors.frame(frame.code ?? "unknown")
            }
        default:
            break
        }
    }
}
