import ArgumentParser
import Foundation

/// `baton-bench`: Baton's load generator and benchmark (docs/PERFORMANCE.md).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-bench",
        abstract: "Load Baton through its widget socket and the Mattermost stand-in, and compare it with a bare echo server.",
        discussion: """
            Starts `baton serve` (found next to this executable) and an echo server as child processes, drives \
            them over real sockets, and prints a table; --json writes every number. Build everything first: \
            swift build -c release && .build/release/baton-bench --runs 3
            """,
        subcommands: [Measure.self, EchoServerCommand.self],
        defaultSubcommand: Measure.self
    )
}

struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmark (the default).")

    @Option(help: "Scenarios, comma-separated: idle, bot, relay, agent, handover, files, or all.")
    var scenario = "all"

    @Option(help: "Connections of the idle scenario (default 20000).")
    var idleConnections: Int?

    @Option(help: "Connections that chat in the bot, relay and agent scenarios (default 250).")
    var connections: Int?

    @Option(help: "Messages per second for the bot, relay and agent scenarios alike.")
    var rate: Double?

    @Option(help: "Bot scenario: messages per second (default 2000).")
    var botRate: Double?

    @Option(help: "Bot scenario: run the fixed-rate phase this many times back to back (default 1); the later phases show the latency under sustained writes.")
    var botRepeats = 1

    @Option(help: "Relay scenario: messages per second (default 5000).")
    var relayRate: Double?

    @Option(help: "Agent scenario: agent posts per second (default 1000).")
    var agentRate: Double?

    @Option(help: "Handover scenario: new visitors per second (default 50).")
    var handoverRate: Double?

    @Option(help: "Files scenario: the size of each file in bytes (default 9900000, under Baton's default limit of 10 MB).")
    var fileSize: Int?

    @Option(help: "Files scenario: files sent a second while the bot scenario's load runs (default 1).")
    var fileRate: Double?

    @Option(help: "Seconds each measured phase lasts (default 10).")
    var duration: Double?

    @Option(help: "Messages in flight per connection in the saturation phases (default 4).")
    var window: Int?

    @Option(help: "Repeat everything this many times; the table gives the median, min and max.")
    var runs = 1

    @Flag(help: "A small smoke run (CI): every scenario, few connections, low rates, short phases.")
    var quick = false

    @Option(help: "Write every number as JSON to this file.")
    var json: String?

    @Option(help: "The baton executable (default: the one next to baton-bench).")
    var baton: String?

    @Option(help: ArgumentHelp("Run Baton on PostgreSQL: the URL of a database on the server (postgres://USER:PASSWORD@HOST:PORT/DATABASE), through which each run creates a new database, dropped afterwards.", valueName: "url"))
    var database: String?

    @Option(help: "Batons sharing the PostgreSQL database (default 1); the visitors are spread over them in turn. Needs --database.")
    var servers = 1

    func run() async throws {
        var settings = try settings()
        let (limit, warning) = DescriptorLimit.raise(toAtLeast: settings.descriptorsNeeded)
        settings.descriptorLimit = limit
        if let warning { Progress.say(warning) }
        // A Swift process out of descriptors crashes (libdispatch cannot open /proc to
        // watch its threads), the bench and Baton alike: stay clear of the limit.
        let room = limit - DescriptorLimit.reserve
        if settings.idleConnections > room {
            Progress.say("Opening \(room) idle connections instead of \(settings.idleConnections), to stay under the limit.")
            settings.idleConnections = room
        }
        if settings.connections > room {
            throw ValidationError("--connections \(settings.connections) is above what the open-file limit (\(limit)) allows.")
        }
        if let postgres = try postgres {
            let dropped = try await postgres.dropLeftovers()
            if !dropped.isEmpty { Progress.say("Dropped \(dropped.count) database(s) left by killed runs: \(dropped.joined(separator: ", "))") }
        }
        let runs = try await BenchRunner(settings: settings, postgres: postgres).run()
        let summary = Figures.summary(runs)
        let report = BenchReport(
            date: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments.joined(separator: " "),
            batonVersion: (try? await WatchedProcess.run(settings.batonPath, ["--version"]))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown",
            machine: .current(databaseFolder: FileManager.default.temporaryDirectory.path),
            settings: settings, runs: runs, summary: summary,
            targets: Target.judge(summary, settings: settings),
            problems: runs.flatMap { $0.phases.compactMap(\.problem) })
        print(Report(report: report).markdown)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        guard report.problems.isEmpty else {
            for problem in report.problems { Progress.say("broken: \(problem)") }
            throw ExitCode(1)
        }
    }

    /// The PostgreSQL server of `--database`.
    private var postgres: PostgresServer? {
        get throws {
            guard let database else { return nil }
            do {
                return try PostgresServer(url: database)
            } catch {
                throw ValidationError("--database: \(error)")
            }
        }
    }

    private func settings() throws -> BenchSettings {
        let bench = Self.executablePath
        let batonPath = baton ?? URL(fileURLWithPath: bench).deletingLastPathComponent().appendingPathComponent("baton").path
        var settings = quick ? BenchSettings.quick(baton: batonPath, bench: bench) : .full(baton: batonPath, bench: bench)
        if scenario != "all" {
            settings.scenarios = try scenario.split(separator: ",").map { name in
                guard let scenario = Scenario(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("Unknown scenario \"\(name)\": use idle, bot, relay, agent, handover, files or all.")
                }
                return scenario
            }
        }
        if let idleConnections { settings.idleConnections = idleConnections }
        if let connections { settings.connections = connections }
        if let rate { (settings.botRate, settings.relayRate, settings.agentRate) = (rate, rate, rate) }
        if let botRate { settings.botRate = botRate }
        if let relayRate { settings.relayRate = relayRate }
        if let agentRate { settings.agentRate = agentRate }
        if let handoverRate { settings.handoverRate = handoverRate }
        if let fileSize { settings.fileSize = fileSize }
        if let fileRate { settings.fileRate = fileRate }
        if let duration { settings.duration = duration }
        if let window { settings.window = window }
        settings.botRepeats = botRepeats
        settings.runs = runs
        if let postgres = try postgres { settings.database = postgres.location.description }
        guard servers == 1 || database != nil else {
            throw ValidationError("--servers needs --database: several Batons share a PostgreSQL database, not a SQLite file.")
        }
        guard (1...8).contains(servers) else { throw ValidationError("--servers must be 1 to 8.") }
        settings.servers = servers
        guard settings.runs >= 1, settings.connections >= 1, settings.idleConnections >= 1, settings.window >= 1,
              settings.botRepeats >= 1, settings.duration > 0 else {
            throw ValidationError("--runs, --connections, --idle-connections, --window, --bot-repeats and --duration must be positive.")
        }
        guard [settings.botRate, settings.relayRate, settings.agentRate, settings.handoverRate, settings.fileRate].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("Rates must be above 0.")
        }
        guard settings.fileSize > 0 else { throw ValidationError("--file-size must be positive.") }
        return settings
    }

    /// This executable, resolved (`swift run` and a PATH lookup give no usable argv[0]).
    private static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}
