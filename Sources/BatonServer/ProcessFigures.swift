import Foundation

/// The process's own figures for `/metrics`, read from `/proc` (Linux); nil elsewhere.
struct ProcessFigures {
    var residentBytes: Int
    /// User and system CPU time so far.
    var cpuSeconds: Double
    var openFiles: Int
    /// When the process started, in seconds since 1970.
    var startTime: Double

    static func current() -> ProcessFigures? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let commEnd = stat.lastIndex(of: ")") else { return nil }
        let rssKiB = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?
            .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
        // After the command name: state is field 3, utime 14, stime 15, starttime 22.
        let fields = stat[stat.index(after: commEnd)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard fields.count > 19, let user = Double(fields[11]), let system = Double(fields[12]),
              let started = Double(fields[19]), let up = uptime.split(separator: " ").first.flatMap({ Double($0) }) else { return nil }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        let bootTime = Date().timeIntervalSince1970 - up
        return ProcessFigures(residentBytes: rssKiB * 1024, cpuSeconds: (user + system) / ticks, openFiles: files,
                              startTime: (bootTime + started / ticks).rounded())
    }
}

extension ProcessFigures {
    /// The figures in Prometheus's text format, under the names and types every
    /// Prometheus client library gives them (the CPU time is a counter).
    var exposition: String {
        func family(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", String(residentBytes))
            + family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", String(cpuSeconds))
            + family("process_open_fds", "gauge", "Number of open file descriptors.", String(openFiles))
            + family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", String(startTime))
    }
}
