import Foundation

/// The report as Markdown tables: start and memory, traffic, targets. Each cell is the
/// median of the runs, with min–max when there were several.
struct Report {
    let report: BenchReport

    private var summary: [String: FigureSummary] { report.summary }
    private var several: Bool { report.runs.count > 1 }

    var markdown: String {
        var lines: [String] = []
        let runs = report.runs.count
        lines.append("Median of \(runs) run\(runs == 1 ? "" : "s")\(several ? ", min–max in parentheses" : ""). \(storage)")
        lines.append("")
        lines += startAndMemory
        lines.append("")
        lines += traffic
        lines.append("")
        lines += targets
        return lines.joined(separator: "\n")
    }

    /// What Baton ran on.
    private var storage: String {
        let settings = report.settings
        guard settings.database != "sqlite" else { return "Baton on SQLite (a new file per run)." }
        let servers = settings.servers == 1 ? "Baton" : "\(settings.servers) Batons sharing one database (visitors spread over them; memory and CPU are their sums)"
        return "\(servers) on PostgreSQL, \(settings.database) (a new database per run)."
    }

    private var startAndMemory: [String] {
        let n = report.settings.idleConnections
        var rows = [
            "| start and memory | Baton | echo baseline | Baton ÷ echo |",
            "|---|--:|--:|--:|",
            row("ready: spawn → first `GET /healthz` 200 (ms)", "baton.readyMs", "echo.readyMs", .count),
            row("ready: spawn → `ready at` line (ms)", "baton.readyLineMs", "echo.readyLineMs", .count),
            row("resident memory, idle (MiB)", "baton.idleRssMiB", "echo.idleRssMiB", .memory),
            row("… of which anonymous (heap, stacks; MiB)", "baton.idleAnonMiB", "echo.idleAnonMiB", .memory),
        ]
        if report.settings.runs(.idle) {
            rows += [
                row("idle sockets open (of \(n))", "idle.connected", "echo-idle.connected", .count),
                row("resident memory with them (MiB)", "idle.rssMiB", "echo-idle.rssMiB", .memory),
                row("memory per idle socket (KiB)", "idle.perSocketKiB", "echo-idle.perSocketKiB", .memory,
                    ratio: "idle.perSocketKiB.vsEcho"),
            ]
        }
        rows.append(row("peak resident memory over the run (MiB)", "baton.peakRssMiB", "echo.peakRssMiB", .memory))
        return rows
    }

    private func row(_ label: String, _ baton: String, _ echo: String, _ kind: Kind, ratio: String? = nil) -> String {
        "| \(label) | \(cell(baton, kind)) | \(cell(echo, kind)) | \(ratio.map { cell($0, .ratio) } ?? "") |"
    }

    private var traffic: [String] {
        var rows = [
            "| scenario | load | answered /s | p50 ms | p90 ms | p99 ms | max ms | errors | server RSS MiB | CPU cores server / bench | vs echo |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
        ]
        for phase in report.runs.first?.phases ?? [] where phase.load != "idle" {
            let key = phase.name
            rows.append("| \(key) | \(load(phase)) | \(cell("\(key).rate", .rate)) | \(cell("\(key).p50", .latency)) | "
                + "\(cell("\(key).p90", .latency)) | \(cell("\(key).p99", .latency)) | \(cell("\(key).max", .latency)) | "
                + "\(cell("\(key).errors", .count)) | \(cell("\(key).rssMiB", .memory)) | "
                + "\(cell("\(key).serverCPU", .ratio)) / \(cell("\(key).benchCPU", .ratio)) | \(versusEcho(key)) |")
        }
        rows += stolenNote
        for phase in report.runs.first?.phases ?? [] {
            guard let files = phase.files else { continue }
            let key = phase.name
            rows += ["", "\(key): the bot's answers (the `bot` phase's load) while \(files.planned) files of "
                + String(format: "%.1f MB", Double(files.size) / 1_000_000) + " went from \(files.senders) handed-over visitor\(files.senders == 1 ? "" : "s"), "
                + "evenly over the window: uploaded \(cell("\(key).filesUploadedCount", .count)) "
                + "(upload p50 \(cell("\(key).uploadP50", .latency)) ms, max \(cell("\(key).uploadMax", .latency)) ms), "
                + "in their rooms \(cell("\(key).filesRelayedCount", .count)) "
                + "(message to post p50 \(cell("\(key).fileRelayP50", .latency)) ms, max \(cell("\(key).fileRelayMax", .latency)) ms), "
                + "failed \(cell("\(key).filesFailedCount", .count))."]
        }
        return rows
    }

    /// Cores the host may take from the machine before a phase is named as unsound.
    static let stolenNoted = 0.05

    /// The phases during which the host took CPU from this (virtual) machine, if any.
    private var stolenNote: [String] {
        var worst: [String: Double] = [:]
        for run in report.runs {
            for phase in run.phases {
                guard let stolen = phase.stolenCPU, stolen >= Self.stolenNoted else { continue }
                worst[phase.name] = max(worst[phase.name] ?? 0, stolen)
            }
        }
        guard !worst.isEmpty else { return [] }
        let list = worst.sorted { $0.key < $1.key }.map { "\($0.key) (up to " + String(format: "%.2f", $0.value) + ")" }
        return ["", "The host took CPU from this machine for its other guests (steal time, in cores) during "
            + list.joined(separator: ", ") + ": those figures measured the host as much as Baton."]
    }

    private func load(_ phase: PhaseRecord) -> String {
        let load = offered(phase)
        guard summary["\(phase.name).messagesPerPost"] != nil else { return load }
        return "\(load); \(cell("\(phase.name).messagesPerPost", .ratio)) messages per post"
    }

    private func offered(_ phase: PhaseRecord) -> String {
        let seconds = phase.seconds.formatted1
        switch phase.load {
        case "rate" where phase.name == "handover":
            return "\(Int(phase.targetRate ?? 0)) visitors/s for \(seconds) s"
        case "rate":
            return "\(Int(phase.targetRate ?? 0))/s, \(phase.connections) sockets, \(seconds) s"
        case "saturate":
            return "max: \(phase.window ?? 0) in flight × \(phase.connections) sockets, \(seconds) s"
        default:
            return phase.load
        }
    }

    private func versusEcho(_ phase: String) -> String {
        if summary["\(phase).p99.vsEcho"] != nil { return "p99 × \(cell("\(phase).p99.vsEcho", .ratio))" }
        if summary["\(phase).rate.vsEcho"] != nil { return "\(cell("\(phase).rate.vsEcho", .ratio)) of echo-max" }
        return ""
    }

    private var targets: [String] {
        var rows = ["| target | measured (median) | |", "|---|--:|:-:|"]
        for result in report.targets {
            let measured = result.measured.map { format($0, kind(of: result.figure)) } ?? "—"
            let verdict = switch result.met {
            case true?: "✓"
            case false?: "✗"
            case nil: "n/a: \(result.note ?? "")"
            }
            rows.append("| \(result.target) | \(measured) | \(verdict) |")
        }
        return rows
    }

    // MARK: Cells

    private enum Kind { case latency, rate, memory, count, ratio }

    private func kind(of figure: String) -> Kind {
        if figure.hasSuffix("vsEcho") { return .ratio }
        if figure.hasSuffix("MiB") || figure.hasSuffix("KiB") { return .memory }
        if figure.hasSuffix(".rate") { return .rate }
        if figure.hasSuffix("Ms") || figure.hasSuffix(".connected") || figure.hasSuffix("Count") { return .count }
        return .latency
    }

    private func cell(_ figure: String, _ kind: Kind) -> String {
        guard let value = summary[figure] else { return "—" }
        let median = format(value.median, kind)
        guard several else { return median }
        return "\(median) (\(format(value.min, kind))–\(format(value.max, kind)))"
    }

    private func format(_ value: Double, _ kind: Kind) -> String {
        switch kind {
        case .latency: String(format: value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value)
        case .rate, .count: String(format: "%.0f", value)
        case .memory: String(format: "%.1f", value)
        case .ratio: String(format: "%.2f", value)
        }
    }
}

/// Progress lines on standard error, so that standard output holds only the report.
enum Progress {
    static func say(_ line: String) {
        FileHandle.standardError.write(Data("[baton-bench] \(line)\n".utf8))
    }

    static func phase(_ phase: PhaseRecord) {
        var parts = ["\(phase.name):", "\(phase.connected)/\(phase.connections) connected"]
        if phase.load != "idle" { parts.append(String(format: "%.0f answered/s", phase.rate)) }
        if let latency = phase.latency { parts.append(String(format: "p50 %.2f p99 %.2f max %.1f ms", latency.p50, latency.p99, latency.max)) }
        if let posts = phase.posts, posts > 0 { parts.append(String(format: "%.2f messages per post", Double(phase.completed) / Double(posts))) }
        if let perSocket = phase.perSocketKiB { parts.append(String(format: "%.1f KiB per socket", perSocket)) }
        if let files = phase.files {
            parts.append("files uploaded \(files.uploaded)/\(files.planned) relayed \(files.relayed)")
            if let upload = files.upload { parts.append(String(format: "upload p50 %.1f max %.1f ms", upload.p50, upload.max)) }
            if let relay = files.relay { parts.append(String(format: "file relay p50 %.1f max %.1f ms", relay.p50, relay.max)) }
        }
        if let memory = phase.memory { parts.append(String(format: "server %.1f MiB", memory.residentMiB)) }
        if let server = phase.serverCPU, let bench = phase.benchCPU {
            parts.append(String(format: "CPU server %.2f bench %.2f cores", server, bench))
        }
        if let stolen = phase.stolenCPU, stolen >= Report.stolenNoted { parts.append(String(format: "taken by the host %.2f cores", stolen)) }
        if phase.errors.total > 0 { parts.append("errors \(phase.errors.total)") }
        if let failure = phase.errors.firstFailure { parts.append("first failure: \(failure)") }
        say(parts.joined(separator: " "))
    }
}
