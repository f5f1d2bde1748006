/// What the bench writes with `--json`: every number of every run, the figures and
/// their median, min and max over the runs, and the targets.
struct BenchReport: Codable, Sendable {
    var date: String
    var command: String
    var batonVersion: String
    var machine: MachineInfo
    var settings: BenchSettings
    var runs: [RunRecord]
    /// Figure → median, min, max over the runs.
    var summary: [String: FigureSummary]
    var targets: [TargetResult]
    /// Phases that did not work at all (no connection, no answer): the exit status is 1.
    var problems: [String]
}

/// One run: both servers, every phase.
struct RunRecord: Codable, Sendable {
    var baton: ServerRecord?
    var echo: ServerRecord?
    var phases: [PhaseRecord]
    /// Flat figures (`bot.p99`, `idle.perSocketKiB`, `relay-max.rate.vsEcho`…).
    var figures: [String: Double] = [:]
}

/// A server under test: how fast it started, how much memory it held idle.
struct ServerRecord: Codable, Sendable {
    var readyLineMs: Double
    var readyHealthzMs: Double
    var idleMemory: ProcessMemory?
    var finalMemory: ProcessMemory?
}

/// One measured phase.
struct PhaseRecord: Codable, Sendable {
    var name: String
    /// `baton` or `echo`.
    var system: String
    /// `idle`, `rate` or `saturate`.
    var load: String
    var targetRate: Double?
    var window: Int?
    var seconds: Double
    var connections: Int
    var connected: Int
    var sent: Int
    var completed: Int
    /// Relay phases: posts that carried the messages (several waiting messages go as one).
    var posts: Int?
    /// Answers per second (see `PhaseOutcome.rate`).
    var rate: Double
    var latency: LatencySummary?
    var ackLatency: LatencySummary?
    var errors: ErrorCounts
    var memory: ProcessMemory?
    /// CPU used during the measured window, in cores: the server's and the bench's.
    var serverCPU: Double?
    var benchCPU: Double?
    /// CPU the host took from this machine during the window, in cores.
    var stolenCPU: Double?
    /// Idle phases: the server's memory before the connections were opened, and the
    /// difference per connection.
    var memoryBefore: ProcessMemory?
    var perSocketKiB: Double?
    /// The files scenario: what its files did besides the bot load.
    var files: FileRecord?

    init(_ outcome: PhaseOutcome, system: String, memoryBefore: ProcessMemory? = nil) {
        name = outcome.plan.name
        self.system = system
        switch outcome.plan.load {
        case .idle: load = "idle"
        case .rate(let rate, _): load = "rate"; targetRate = rate
        case .saturate(let window, _): load = "saturate"; self.window = window
        }
        seconds = outcome.plan.load.duration.seconds
        connections = outcome.plan.connections
        connected = outcome.connected
        sent = outcome.sent
        completed = outcome.completed
        posts = outcome.posts > 0 ? outcome.posts : nil
        rate = outcome.rate
        latency = outcome.latency
        ackLatency = outcome.ackLatency
        errors = outcome.errors
        memory = outcome.memory
        serverCPU = outcome.serverCPU
        benchCPU = outcome.benchCPU
        stolenCPU = outcome.stolenCPU
        self.memoryBefore = memoryBefore
        files = outcome.files
        if let before = memoryBefore, let after = outcome.memory, outcome.connected > 0 {
            perSocketKiB = Double(after.residentBytes - before.residentBytes) / Double(outcome.connected) / 1024
        }
    }

    /// Why this phase shows the bench (or the server) did not work, if it does.
    var problem: String? {
        if connected == 0 { return "\(name): no connection was ready (\(errors.firstFailure ?? "no error recorded"))" }
        if load != "idle", completed == 0 { return "\(name): nothing was answered (\(sent) sent)" }
        if let files, files.relayed == 0 {
            return "\(name): no file reached its room (\(files.uploaded) of \(files.planned) uploaded; \(files.failures.keys.first ?? "no error recorded"))"
        }
        return nil
    }
}

/// A figure over the runs.
struct FigureSummary: Codable, Sendable {
    var median: Double
    var min: Double
    var max: Double
    var values: [Double]

    init(_ values: [Double]) {
        let sorted = values.sorted()
        self.values = values
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// One of the issue's targets, judged on the median.
struct TargetResult: Codable, Sendable {
    var target: String
    var figure: String
    var measured: Double?
    /// nil when the run did not measure it at the target's load.
    var met: Bool?
    var note: String?
}
