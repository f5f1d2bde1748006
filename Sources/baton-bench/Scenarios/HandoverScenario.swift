/// (e) Handovers per second: new visitors arrive at a steady rate (open loop); each says
/// hello, presses "Talk to a person" and answers the three questions as fast as the bot
/// asks. Latency: from the last answer to the announcement of the chat's room in
/// Mattermost (the room, its members and transcript are made before it).
func runHandovers(rate: Double, duration: Duration, connector: VisitorConnector, agentSide: AgentSide,
                  server: ProcessGauge) async -> PhaseOutcome {
    let total = max(1, Int((rate * duration.seconds).rounded()))
    let interval = Duration.seconds(1 / rate)
    let plan = PhasePlan(name: "handover", connections: total, load: .rate(rate, duration: duration))
    let errors = ErrorTally()
    let probes = ProbeTable(errors: errors)
    let start = ContinuousClock.now + .milliseconds(20)
    probes.setWindowEnd(start + duration)
    let cpu = CPUWindow(server: server)
    let (measured, used) = await withTaskGroup(of: Void.self) { group in
        for index in 0..<total {
            try? await Task.sleep(until: start + interval * Double(index))
            group.addTask {
                do {
                    try await connector.run(index: index) { visitor in
                        let conversation = try await visitor.hello()
                        let sentAt = try await handOver(visitor)
                        let id = probes.send(from: index, at: sentAt)
                        // Unanswered handovers stay in flight and count as timeouts.
                        if let announced = await agentSide.watch.announcement(of: conversation).wait(timeout: .seconds(20)) {
                            probes.completed(id, at: announced)
                        }
                    }
                } catch {
                    errors.connectionFailed("\(error)")
                }
            }
        }
        let measured = server.memory
        let used = cpu.end()
        await group.waitForAll()
        return (measured, used)
    }
    probes.expireAll()
    let counts = probes.counts
    return PhaseOutcome(plan: plan, connected: total - errors.snapshot.connectionFailures, sent: counts.sent,
                        completed: counts.completed, completedInWindow: counts.completedInWindow,
                        latency: probes.latency.summary, ackLatency: nil, errors: errors.snapshot, memory: measured,
                        serverCPU: used.server, benchCPU: used.bench, stolenCPU: used.stolen)
}
