import Foundation
import MattermostSandbox

/// Runs the benchmark: per run, the echo baseline, then a fresh Baton (new database,
/// durable storage on) with the stand-in for the agent side, phase after phase.
struct BenchRunner: Sendable {
    let settings: BenchSettings
    /// Where Baton's database is made for each run, when not in a SQLite file.
    var postgres: PostgresServer?

    func run() async throws -> [RunRecord] {
        var runs: [RunRecord] = []
        for number in 1...settings.runs {
            Progress.say("run \(number) of \(settings.runs)")
            var run = RunRecord(phases: [])
            try await echoPhases(into: &run)
            try await batonPhases(into: &run)
            run.figures = Figures.of(run, settings: settings)
            runs.append(run)
        }
        return runs
    }

    // MARK: The echo baseline

    private func echoPhases(into run: inout RunRecord) async throws {
        let server = try await ServerUnderTest.start(settings.benchPath, ["echo-server", "--port", "0"])
        let phases = await stopping([server]) {
            var phases: [PhaseRecord] = []
            let connector = VisitorConnector(url: "ws://127.0.0.1:\(server.port)\(EchoServerCommand.path)")
            let gauge = server.child.gauge
            if settings.runs(.idle) {
                phases.append(await idlePhase("echo-idle", system: "echo", script: EchoVisitor(), connector, gauge))
            }
            for rate in settings.echoRates {
                let plan = PhasePlan(name: "echo@\(Int(rate))", connections: settings.connections, load: .rate(rate, duration: duration))
                phases.append(report(await runPhase(plan, script: EchoVisitor(), connector: connector, server: gauge), "echo"))
            }
            if settings.needsEchoMax {
                phases.append(report(await runPhase(saturation("echo-max"), script: EchoVisitor(), connector: connector, server: gauge), "echo"))
            }
            return phases
        }
        run.echo = ServerRecord(readyLineMs: server.readyLine.milliseconds, readyHealthzMs: server.readyHealthz.milliseconds,
                                idleMemory: phases.idleMemory, finalMemory: phases.finalMemory)
        run.phases += phases.records
    }

    // MARK: Baton

    private func batonPhases(into run: inout RunRecord) async throws {
        let (server, phases) = try await withBatonDatabase { database, environment in
            try await batonPhases(database: database, environment: environment)
        }
        run.baton = server
        run.phases += phases
    }

    /// Runs `body` with a new database for Baton (a SQLite file's path, or a PostgreSQL
    /// URL) and the environment Baton's processes need for it, removed afterwards.
    private func withBatonDatabase<T: Sendable>(_ body: @Sendable (String, [String: String]) async throws -> T) async throws -> T {
        var environment = ProcessInfo.processInfo.environment
        // No reminders of waiting visitors in the index channel: a long bench would post
        // them between phases (set as a variable, which builds without it ignore).
        environment["BATON_REMIND_AGENTS_AFTER"] = "0"
        if let postgres {
            // No key file next to the database: every Baton and command gets the same key.
            environment["BATON_SECRET_KEY"] = UUID().uuidString
            let keyed = environment
            return try await postgres.withDatabase { url in try await body(url, keyed) }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder + "/baton.sqlite", environment)
    }

    /// Starts `settings.servers` Batons on `database` (one after the other: the first
    /// creates the tables) and runs every Baton phase with them.
    private func batonPhases(database: String, environment: [String: String]) async throws -> (ServerRecord, [PhaseRecord]) {
        // The rate limit is lifted: the bench concentrates many visitors' messages on a
        // few hundred connections (docs/PERFORMANCE.md).
        let arguments = ["serve", "--port", "0", "--database", database, "--log-level", "notice",
                         "--rate-limit", "100000", "--rate-burst", "10000"]
        var started: [ServerUnderTest] = []
        do {
            for _ in 0..<settings.servers {
                started.append(try await ServerUnderTest.start(settings.batonPath, arguments, environment: environment))
            }
        } catch {
            for server in started { await server.child.stop() }
            throw error
        }
        let settings = settings, servers = started
        let phases = try await stopping(servers) {
            var phases: [PhaseRecord] = []
            let connector = VisitorConnector(ports: servers.map(\.port), path: "/widget/v1/socket")
            let gauge = ProcessGauge(pids: servers.map(\.child.pid))
            if settings.runs(.idle) {
                phases.append(await idlePhase("idle", system: "baton", script: IdleVisitor(), connector, gauge))
            }
            if settings.runs(.bot) {
                for round in 1...max(1, settings.botRepeats) {
                    let plan = PhasePlan(name: round == 1 ? "bot" : "bot \(round)", connections: settings.connections,
                                         load: .rate(settings.botRate, duration: duration))
                    phases.append(report(await runPhase(plan, script: BotVisitor(), connector: connector, server: gauge), "baton"))
                }
                phases.append(report(await runPhase(saturation("bot-max"), script: BotVisitor(), connector: connector, server: gauge), "baton"))
            }
            if settings.needsAgentSide {
                var standIn = MattermostSandbox.Configuration()
                standIn.recordsExchanges = false
                phases += try await MattermostSandbox.run(configuration: standIn) { sandbox in
                    let agentSide = AgentSide(sandbox: sandbox)
                    Progress.say("connecting Baton to the Mattermost stand-in")
                    try await agentSide.connect(baton: settings.batonPath, database: database, environment: environment)
                    return await agentPhases(agentSide, connector: connector, server: gauge)
                }
            }
            return phases
        }
        let first = servers[0]
        return (ServerRecord(readyLineMs: first.readyLine.milliseconds, readyHealthzMs: first.readyHealthz.milliseconds,
                             idleMemory: phases.idleMemory, finalMemory: phases.finalMemory), phases.records)
    }

    private func agentPhases(_ agentSide: AgentSide, connector: VisitorConnector, server gauge: ProcessGauge) async -> [PhaseRecord] {
        var phases: [PhaseRecord] = []
        if settings.runs(.handover) {
            let outcome = await runHandovers(rate: settings.handoverRate, duration: duration, connector: connector,
                                             agentSide: agentSide, server: gauge)
            phases.append(report(outcome, "baton"))
        }
        if settings.runs(.relay) {
            let relay = RelayVisitor(agentSide: agentSide)
            for plan in [PhasePlan(name: "relay", connections: settings.connections, load: .rate(settings.relayRate, duration: duration)),
                         saturation("relay-max")] {
                let outcome = await runPhase(withHandovers(plan), script: relay, connector: connector, server: gauge) { probes in
                    agentSide.watch.setRelayProbes(probes)
                }
                agentSide.watch.setRelayProbes(nil)
                phases.append(report(outcome, "baton"))
            }
        }
        if settings.runs(.files) {
            let plan = PhasePlan(name: "files", connections: settings.connections, load: .rate(settings.botRate, duration: duration))
            let load = FileLoad(size: settings.fileSize, rate: settings.fileRate, duration: duration)
            phases.append(report(await runFilesPhase(plan, load, connector: connector, agentSide: agentSide, server: gauge),
                                 "baton"))
        }
        if settings.runs(.agent) {
            let plan = PhasePlan(name: "agent", connections: settings.connections, load: .rate(settings.agentRate, duration: duration))
            phases.append(report(await runPhase(withHandovers(plan), script: AgentVisitor(agentSide: agentSide),
                                                connector: connector, server: gauge), "baton"))
        }
        return phases
    }

    // MARK: Helpers

    private var duration: Duration { .seconds(settings.duration) }

    private func saturation(_ name: String) -> PhasePlan {
        PhasePlan(name: name, connections: settings.connections, load: .saturate(window: settings.window, duration: duration))
    }

    /// Preparing means a handover per connection: smaller batches, more patience.
    private func withHandovers(_ plan: PhasePlan) -> PhasePlan {
        var plan = plan
        plan.batch = 100
        plan.prepareTimeout = .seconds(120)
        return plan
    }

    /// Opens `idleConnections` connections that only say hello, holds them, and reads the
    /// server's memory before and with them.
    private func idlePhase<Script: VisitorScript>(_ name: String, system: String, script: Script, _ connector: VisitorConnector,
                                                  _ server: ProcessGauge) async -> PhaseRecord {
        let before = server.memory
        let plan = PhasePlan(name: name, connections: settings.idleConnections, load: .idle(hold: .seconds(settings.hold)))
        return report(await runPhase(plan, script: script, connector: connector, server: server), system, memoryBefore: before)
    }

    private func report(_ outcome: PhaseOutcome, _ system: String, memoryBefore: ProcessMemory? = nil) -> PhaseRecord {
        let record = PhaseRecord(outcome, system: system, memoryBefore: memoryBefore)
        Progress.phase(record)
        return record
    }

    /// Runs `body` with servers that were just started (after a second to settle, when
    /// their idle memory is read), and stops them whatever happens.
    private func stopping(_ servers: [ServerUnderTest],
                          _ body: @Sendable () async throws -> [PhaseRecord]) async rethrows -> ServerPhases {
        try? await Task.sleep(for: .seconds(1))
        let gauge = ProcessGauge(pids: servers.map(\.child.pid))
        let idle = gauge.memory
        do {
            let records = try await body()
            let final = gauge.memory
            for server in servers { await server.child.stop() }
            return ServerPhases(records: records, idleMemory: idle, finalMemory: final)
        } catch {
            for server in servers { await server.child.stop() }
            throw error
        }
    }

    private struct ServerPhases {
        var records: [PhaseRecord]
        var idleMemory: ProcessMemory?
        var finalMemory: ProcessMemory?
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
