/// (a) Idle visitors: connections that said `hello`, got `welcome`, and wait. Measures
/// the server's memory per open socket.
struct IdleVisitor: VisitorScript {
    func prepare(_ visitor: VisitorSocket) async throws {
        _ = try await visitor.hello()
    }

    func send(_ id: Int, from visitor: VisitorSocket, _ prepared: Void) {}

    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ prepared: Void, probes: ProbeTable) {
        if frame.type == "error" { probes.errors.frame(frame.code ?? "unknown") }
    }
}
