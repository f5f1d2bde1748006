/// The scenarios of the benchmark (the a–e).
enum Scenario: String, CaseIterable, Codable, Sendable {
    case idle, bot, relay, agent, handover, files
}

/// Everything a benchmark run is set to do.
struct BenchSettings: Codable, Sendable {
    var scenarios: [Scenario]
    /// Connections of the idle scenario.
    var idleConnections: Int
    /// Connections that chat in the bot, relay and agent scenarios (and their baselines).
    var connections: Int
    var botRate: Double
    var relayRate: Double
    var agentRate: Double
    var handoverRate: Double
    /// Files scenario: the size of each file, and files sent a second (by as many
    /// handed-over visitors as their upload limit needs) while the bot load runs.
    var fileSize = 9_900_000
    var fileRate = 1.0
    /// Seconds each measured phase lasts.
    var duration: Double
    /// Seconds the idle connections are held open before the memory is read.
    var hold: Double
    /// Messages in flight per connection in the saturation phases.
    var window: Int
    /// Times the fixed-rate bot phase runs back to back ("bot", "bot 2", …): the later
    /// ones show the latency once the database has taken writes for a while.
    var botRepeats = 1
    var runs: Int
    var quick: Bool
    /// Baton's database, as a reader may see it: "sqlite" (a new file per run) or the
    /// PostgreSQL server (`postgres://USER@HOST:PORT/…`, no password) in which each run
    /// makes a new database.
    var database = "sqlite"
    /// Batons sharing the database (PostgreSQL only); the visitors are spread over them.
    var servers = 1
    var batonPath: String
    var benchPath: String
    /// The open-file limit in force (the bench's, inherited by the servers).
    var descriptorLimit: Int?

    /// The loads of the targets.
    static func full(baton: String, bench: String) -> BenchSettings {
        BenchSettings(scenarios: Scenario.allCases, idleConnections: 20_000, connections: 250, botRate: 2_000,
                      relayRate: 5_000, agentRate: 1_000, handoverRate: 50, duration: 10, hold: 3, window: 4, runs: 1,
                      quick: false, batonPath: baton, benchPath: bench)
    }

    /// A smoke run for CI: everything once, small and short; it shows that the generator
    /// works, not how fast anything is.
    static func quick(baton: String, bench: String) -> BenchSettings {
        BenchSettings(scenarios: Scenario.allCases, idleConnections: 100, connections: 8, botRate: 40, relayRate: 40,
                      agentRate: 20, handoverRate: 5, fileSize: 200_000, fileRate: 2, duration: 1.5, hold: 0.5, window: 2,
                      runs: 1, quick: true, batonPath: baton, benchPath: bench)
    }

    func runs(_ scenario: Scenario) -> Bool { scenarios.contains(scenario) }

    /// The stand-in and a connected Baton are needed.
    var needsAgentSide: Bool { runs(.relay) || runs(.agent) || runs(.handover) || runs(.files) }

    /// The rates the echo baseline is driven at: those of the message scenarios that run.
    var echoRates: [Double] {
        var rates: [Double] = []
        for (scenario, rate) in [(Scenario.bot, botRate), (.files, botRate), (.relay, relayRate), (.agent, agentRate)]
        where runs(scenario) && !rates.contains(rate) {
            rates.append(rate)
        }
        return rates
    }

    /// The saturation phases (highest throughput) run with the bot and relay scenarios.
    var needsEchoMax: Bool { runs(.bot) || runs(.relay) }

    /// The descriptors each process needs: every socket, plus room for the rest.
    var descriptorsNeeded: Int {
        max(runs(.idle) ? idleConnections : 0, connections, Int(handoverRate * duration)) + DescriptorLimit.reserve
    }
}
