/// The flat figures of a run (`bot.p99`, `idle.perSocketKiB`, `relay-max.rate.vsEcho`…),
/// which runs are compared and summarised by.
enum Figures {
    static func of(_ run: RunRecord, settings: BenchSettings) -> [String: Double] {
        var figures: [String: Double] = [:]
        for (name, server) in [("baton", run.baton), ("echo", run.echo)] {
            guard let server else { continue }
            figures["\(name).readyMs"] = server.readyHealthzMs
            figures["\(name).readyLineMs"] = server.readyLineMs
            if let idle = server.idleMemory {
                figures["\(name).idleRssMiB"] = idle.residentMiB
                figures["\(name).idleAnonMiB"] = idle.anonymousMiB
            }
            if let final = server.finalMemory { figures["\(name).peakRssMiB"] = final.peakResidentMiB }
        }
        for phase in run.phases {
            let key = phase.name
            figures["\(key).connected"] = Double(phase.connected)
            figures["\(key).rate"] = phase.rate
            figures["\(key).errors"] = Double(phase.errors.total)
            if let latency = phase.latency {
                figures["\(key).p50"] = latency.p50
                figures["\(key).p90"] = latency.p90
                figures["\(key).p99"] = latency.p99
                figures["\(key).max"] = latency.max
            }
            if let ack = phase.ackLatency { figures["\(key).ackP99"] = ack.p99 }
            if let posts = phase.posts, posts > 0 { figures["\(key).messagesPerPost"] = Double(phase.completed) / Double(posts) }
            if let memory = phase.memory { figures["\(key).rssMiB"] = memory.residentMiB }
            if let perSocket = phase.perSocketKiB { figures["\(key).perSocketKiB"] = perSocket }
            if let cpu = phase.serverCPU { figures["\(key).serverCPU"] = cpu }
            if let cpu = phase.benchCPU { figures["\(key).benchCPU"] = cpu }
            if let cpu = phase.stolenCPU { figures["\(key).stolenCPU"] = cpu }
            if let files = phase.files {
                figures["\(key).filesUploadedCount"] = Double(files.uploaded)
                figures["\(key).filesRelayedCount"] = Double(files.relayed)
                figures["\(key).filesFailedCount"] = Double(files.failures.values.reduce(0, +))
                if let upload = files.upload { (figures["\(key).uploadP50"], figures["\(key).uploadMax"]) = (upload.p50, upload.max) }
                if let relay = files.relay { (figures["\(key).fileRelayP50"], figures["\(key).fileRelayMax"]) = (relay.p50, relay.max) }
            }
        }
        func ratio(_ key: String, _ numerator: String, _ denominator: String) {
            guard let top = figures[numerator], let bottom = figures[denominator], bottom > 0 else { return }
            figures[key] = top / bottom
        }
        ratio("idle.perSocketKiB.vsEcho", "idle.perSocketKiB", "echo-idle.perSocketKiB")
        for (phase, rate) in [("bot", settings.botRate), ("files", settings.botRate), ("relay", settings.relayRate), ("agent", settings.agentRate)] {
            ratio("\(phase).p99.vsEcho", "\(phase).p99", "echo@\(Int(rate)).p99")
        }
        for phase in ["bot-max", "relay-max"] {
            ratio("\(phase).rate.vsEcho", "\(phase).rate", "echo-max.rate")
        }
        return figures
    }

    /// Median, min and max of every figure over the runs.
    static func summary(_ runs: [RunRecord]) -> [String: FigureSummary] {
        var values: [String: [Double]] = [:]
        for run in runs {
            for (key, value) in run.figures { values[key, default: []].append(value) }
        }
        return values.mapValues(FigureSummary.init)
    }
}
