import Foundation

/// The machine a benchmark ran on, as far as Linux tells.
struct MachineInfo: Codable, Sendable {
    var cores: Int
    var memoryGiB: Double
    var cpuModel: String
    var kernel: String
    /// The filesystem holding the database (device, type, and whether it is rotational).
    var disk: String

    static func current(databaseFolder: String) -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return MachineInfo(cores: ProcessInfo.processInfo.activeProcessorCount,
                           memoryGiB: Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824,
                           cpuModel: model, kernel: kernel, disk: disk(of: databaseFolder))
    }

    /// The mount with the longest path that holds `folder`, from /proc/mounts.
    private static func disk(of folder: String) -> String {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        var best: (point: String, device: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 3, folder.hasPrefix(fields[1]) else { continue }
            if best == nil || fields[1].count > best!.point.count { best = (fields[1], fields[0], fields[2]) }
        }
        guard let best else { return "unknown" }
        let name = URL(fileURLWithPath: best.device).lastPathComponent
        let rotational = (try? String(contentsOfFile: "/sys/block/\(name)/queue/rotational", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let kind = rotational == "0" ? ", not rotational" : rotational == "1" ? ", rotational" : ""
        return "\(best.device) (\(best.type)\(kind)) at \(best.point)"
    }
}
