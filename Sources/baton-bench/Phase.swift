import NIOCore
import Synchronization

/// How a phase loads its connections.
enum Load: Sendable {
    /// Connections only: opened, held for `hold`, then closed.
    case idle(hold: Duration)
    /// Open loop: `rate` messages a second in total, spread evenly over the connections,
    /// each sent on schedule whether or not earlier ones were answered.
    case rate(Double, duration: Duration)
    /// Closed loop, for the highest throughput: each connection keeps `window` messages in
    /// flight.
    case saturate(window: Int, duration: Duration)

    var duration: Duration {
        switch self {
        case .idle(let hold): hold
        case .rate(_, let duration), .saturate(_, let duration): duration
        }
    }
}

/// What every visitor connection of a phase does: prepare (hello, a handover…), then
/// send probes, and recognise their answers among the frames it receives.
protocol VisitorScript: Sendable {
    associatedtype Prepared: Sendable

    func prepare(_ visitor: VisitorSocket) async throws -> Prepared
    /// Sends probe `id` (already registered in the probe table) without waiting: it is
    /// called from the event loops' timers and from the answers of earlier probes.
    func send(_ id: Int, from visitor: VisitorSocket, _ prepared: Prepared) throws
    /// A frame received while the phase measures, at `time`.
    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ prepared: Prepared, probes: ProbeTable)
}

/// A phase to run: how many connections, what load, how patiently.
struct PhasePlan: Sendable {
    var name: String
    var connections: Int
    var load: Load
    /// Connections opened at once; the next batch waits until these are ready.
    var batch = 500
    /// How long a batch may take to connect and prepare.
    var prepareTimeout: Duration = .seconds(60)
    /// How long answers are awaited after the last message was sent.
    var drainTimeout: Duration = .seconds(5)
}

/// What a phase measured.
struct PhaseOutcome: Sendable {
    var plan: PhasePlan
    var connected: Int
    var sent = 0
    var completed = 0
    var completedInWindow = 0
    /// Relay phases: the stand-in's posts that carried the phase's messages.
    var posts = 0
    var latency: LatencySummary?
    var ackLatency: LatencySummary?
    var errors: ErrorCounts
    /// The server's memory at the end of the measured window, connections still open.
    var memory: ProcessMemory?
    /// CPU used during the measured window, in cores (1 = one core busy all along): the
    /// server's, and the bench's own (client, and the stand-in when it is involved).
    var serverCPU: Double?
    var benchCPU: Double?
    /// CPU the host took from this machine meanwhile, in cores (`StolenCPU`).
    var stolenCPU: Double?
    /// The files scenario: what its files did.
    var files: FileRecord?

    /// Messages answered per second: all answers for an open-loop phase (it sent at the
    /// target rate), those within the window for a saturating one.
    var rate: Double {
        let seconds = plan.load.duration.seconds
        guard seconds > 0 else { return 0 }
        if case .saturate = plan.load { return Double(completedInWindow) / seconds }
        return Double(completed) / seconds
    }
}

/// Which connections of a phase are ready and which failed, by index: a connection
/// settles once, and one that gets ready after the phase started stays out of it.
final class Tally: Sendable {
    private struct State {
        var settled: [Bool]
        var ready = 0
        var failed = 0
        var started = false
    }

    private let state: Mutex<State>

    init(count: Int) { state = Mutex(State(settled: Array(repeating: false, count: count))) }

    /// Marks connection `index` ready; false when it is too late (or it had failed).
    func ready(_ index: Int) -> Bool {
        state.withLock { state in
            guard !state.settled[index], !state.started else { return false }
            state.settled[index] = true
            state.ready += 1
            return true
        }
    }

    /// Marks connection `index` failed; false when it had settled already.
    func fail(_ index: Int) -> Bool {
        state.withLock { state in
            guard !state.settled[index] else { return false }
            state.settled[index] = true
            state.failed += 1
            return true
        }
    }

    var settledCount: Int { state.withLock { $0.ready + $0.failed } }

    /// Closes the door to latecomers; returns how many are ready.
    func start() -> Int {
        state.withLock { state in
            state.started = true
            return state.ready
        }
    }
}

/// Runs one phase of `plan.connections` visitor connections doing `script`; `memory`
/// is read at the end of the measured window, while every connection is still open.
/// `windowOpens` is told when the measured window starts (for load besides the script's).
func runPhase<Script: VisitorScript>(_ plan: PhasePlan, script: Script, connector: VisitorConnector, server: ProcessGauge,
                                     probesReady: @Sendable (ProbeTable) -> Void = { _ in },
                                     windowOpens: @Sendable (ContinuousClock.Instant) -> Void = { _ in }) async -> PhaseOutcome {
    await settle(server)
    let errors = ErrorTally()
    var credits: [Credits] = []
    if case .saturate(let window, _) = plan.load {
        credits = (0..<plan.connections).map { _ in Credits(initial: window) }
    }
    let probes = ProbeTable(errors: errors, credits: credits)
    probesReady(probes)
    let tally = Tally(count: plan.connections)
    let start = Gate<ContinuousClock.Instant>()
    let stop = Gate<Bool>()
    let run = VisitorRun(plan: plan, script: script, probes: probes, tally: tally, start: start, stop: stop)

    return await withTaskGroup(of: Void.self) { group in
        var launched = 0
        while launched < plan.connections {
            let batchEnd = min(plan.connections, launched + plan.batch)
            for index in launched..<batchEnd {
                group.addTask {
                    do {
                        try await connector.run(index: index) { visitor in try await run.drive(visitor) }
                    } catch {
                        if tally.fail(index) {
                            errors.connectionFailed("\(error)")
                        } else {
                            errors.other("connection lost during the phase")
                        }
                    }
                }
            }
            launched = batchEnd
            let deadline = ContinuousClock.now + plan.prepareTimeout
            while tally.settledCount < launched, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let connected = tally.start()
        let startAt = ContinuousClock.now + .milliseconds(20)
        let windowEnd = startAt + plan.load.duration
        probes.setWindowEnd(windowEnd)
        let cpu = CPUWindow(server: server)
        windowOpens(startAt)
        start.open(startAt)
        try? await Task.sleep(until: windowEnd)
        probes.finishCredits()
        let measured = server.memory
        let (serverCPU, benchCPU, stolenCPU) = cpu.end()
        let drainEnd = ContinuousClock.now + plan.drainTimeout
        while probes.inFlightCount > 0, ContinuousClock.now < drainEnd {
            try? await Task.sleep(for: .milliseconds(5))
        }
        probes.expireAll()
        stop.open(true)
        await group.waitForAll()
        let counts = probes.counts
        return PhaseOutcome(plan: plan, connected: connected, sent: counts.sent, completed: counts.completed,
                            completedInWindow: counts.completedInWindow, posts: counts.carriers, latency: probes.latency.summary,
                            ackLatency: probes.ackLatency.summary, errors: errors.snapshot, memory: measured,
                            serverCPU: serverCPU, benchCPU: benchCPU, stolenCPU: stolenCPU)
    }
}

/// Waits until the server is quiet (under 5 % of a core for 100 ms), at most 5 s: a phase
/// starts on a server that has finished the work of the one before (20,000 sockets
/// closing, a backlog of posts), so that it measures only its own load.
func settle(_ server: ProcessGauge) async {
    let deadline = ContinuousClock.now + .seconds(5)
    var last = server.cpuSeconds
    while ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(100))
        let now = server.cpuSeconds
        defer { last = now }
        guard let before = last, let after = now else { return }
        if after - before < 0.005 { return }
    }
}

/// CPU used by the server and by the bench from its creation to `end()`, and taken by
/// the host (`StolenCPU`), in cores.
struct CPUWindow {
    let server: ProcessGauge
    private let start = ContinuousClock.now
    private let serverStart: Double?
    private let benchStart: Double?
    private let stolenStart: Double?

    init(server: ProcessGauge) {
        self.server = server
        serverStart = server.cpuSeconds
        benchStart = ProcessGauge.bench.cpuSeconds
        stolenStart = StolenCPU.seconds
    }

    func end() -> (server: Double?, bench: Double?, stolen: Double?) {
        let elapsed = start.duration(to: .now).seconds
        guard elapsed > 0 else { return (nil, nil, nil) }
        func cores(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after else { return nil }
            return (after - before) / elapsed
        }
        return (cores(serverStart, server.cpuSeconds), cores(benchStart, ProcessGauge.bench.cpuSeconds),
                cores(stolenStart, StolenCPU.seconds))
    }
}

/// One phase as seen by each of its connections.
private struct VisitorRun<Script: VisitorScript>: Sendable {
    let plan: PhasePlan
    let script: Script
    let probes: ProbeTable
    let tally: Tally
    let start: Gate<ContinuousClock.Instant>
    let stop: Gate<Bool>

    func drive(_ visitor: VisitorSocket) async throws {
        let index = visitor.index
        let prepared: Script.Prepared
        do {
            prepared = try await script.prepare(visitor)
        } catch {
            if tally.fail(index) { probes.errors.connectionFailed("\(error)") }
            return
        }
        guard tally.ready(index) else {
            probes.errors.connectionFailed("ready only after the phase started")
            return
        }
        guard let startAt = await start.wait() else { return }
        let script = script, probes = probes
        visitor.inbox.setTap { frame, time in script.received(frame, at: time, prepared, probes: probes) }
        let end = startAt + plan.load.duration
        switch plan.load {
        case .idle:
            break
        case .rate(let rate, _):
            // This connection's share of the rate, its sends spread between the others',
            // each on a timer of the connection's event loop.
            let interval = Duration.seconds(Double(plan.connections) / rate)
            let first = startAt + interval * (Double(index) / Double(plan.connections))
            Pacer(loop: visitor.channel.eventLoop, interval: interval, end: end) { sendProbe(from: visitor, prepared) }
                .start(at: first)
        case .saturate:
            // Each answer (or refusal) gives a credit back, and the credit sends the next.
            try await Task.sleep(until: startAt)
            probes.credits[index].start {
                if ContinuousClock.now < end { _ = sendProbe(from: visitor, prepared) }
            }
        }
        _ = await stop.wait()
        if visitor.inbox.isClosed { probes.errors.other("connection closed by the server during the phase") }
    }

    /// Sends a probe; false (and an error counted) when it could not go.
    private func sendProbe(from visitor: VisitorSocket, _ prepared: Script.Prepared) -> Bool {
        let id = probes.send(from: visitor.index)
        do {
            try script.send(id, from: visitor, prepared)
            return true
        } catch {
            probes.withdraw(id)
            probes.errors.other("a message could not be sent: \(error)")
            return false
        }
    }
}

/// Calls `body` at `first`, `first + interval`, … until `end` (or until it returns
/// false), on an event loop's timers: an open-loop schedule without a task per message.
private final class Pacer: Sendable {
    let loop: any EventLoop
    let interval: Duration
    let end: ContinuousClock.Instant
    let body: @Sendable () -> Bool
    /// The same moment on both clocks: NIO's timers count from `NIODeadline.now()`.
    private let origin = (clock: ContinuousClock.now, deadline: NIODeadline.now())

    init(loop: any EventLoop, interval: Duration, end: ContinuousClock.Instant, body: @escaping @Sendable () -> Bool) {
        self.loop = loop
        self.interval = interval
        self.end = end
        self.body = body
    }

    func start(at first: ContinuousClock.Instant) { schedule(first) }

    private func schedule(_ due: ContinuousClock.Instant) {
        guard due < end else { return }
        loop.scheduleTask(deadline: origin.deadline + TimeAmount(origin.clock.duration(to: due))) {
            if self.body() { self.schedule(due + self.interval) }
        }
    }
}
