import AsyncHTTPClient
import ChildProcesses
import Foundation
import Synchronization

/// A child process of the bench — Baton, the echo server, a `baton` command — with its
/// output captured line by line, each line timestamped as it arrives.
///
/// Systems under test run as children so that their memory can be read from `/proc` and
/// so that the load generator does not share their heap. They are started with
/// `posix_spawn` (`ChildProcesses`), not Foundation's `Process`, whose `run()` can crash
/// in Swift 6.3.
final class WatchedProcess: Sendable {
    let process: ChildProcess
    let launchedAt: ContinuousClock.Instant
    private let output: Output

    private final class Output: Sendable {
        struct Lines {
            var partial = ""
            var lines: [(at: ContinuousClock.Instant, text: String)] = []
        }
        let state = Mutex(Lines())

        func append(_ text: String) {
            let now = ContinuousClock.now
            state.withLock { state in
                state.partial += text
                while let newline = state.partial.firstIndex(of: "\n") {
                    state.lines.append((now, String(state.partial[..<newline])))
                    state.partial = String(state.partial[state.partial.index(after: newline)...])
                }
            }
        }
    }

    init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError("\(executable) is missing: build it first (`swift build -c release` builds every product)")
        }
        let output = Output()
        self.output = output
        launchedAt = .now
        do {
            process = try ChildProcess(executable, arguments, environment: environment) { output.append($0) }
        } catch {
            throw BenchError("\(error)")
        }
    }

    var pid: Int32 { process.pid }
    private var name: String { URL(fileURLWithPath: process.executable).lastPathComponent }

    /// Everything the process printed so far.
    var log: String {
        output.state.withLock { state in (state.lines.map(\.text) + [state.partial]).joined(separator: "\n") }
    }

    /// Waits for a line containing `marker`; returns it and when it arrived.
    func waitForLine(containing marker: String, timeout: Duration) async throws -> (text: String, at: ContinuousClock.Instant) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.state.withLock({ $0.lines.first { $0.text.contains(marker) } }) { return (line.text, line.at) }
            guard process.isRunning else {
                throw BenchError("\(name) exited (\(process.terminationStatus)) before printing \"\(marker)\":\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("no \"\(marker)\" from \(name) within \(timeout.seconds.formatted1) s:\n\(log)")
    }

    /// Waits for the process to end and its output to be read; kills it and fails after
    /// `timeout`.
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !process.outputEnded {
            guard ContinuousClock.now < deadline else {
                process.signal(SIGKILL)
                throw BenchError("\(name) did not finish within \(timeout.seconds.formatted1) s:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// SIGTERM (a graceful shutdown), then SIGKILL if it is still running after `timeout`.
    func stop(timeout: Duration = .seconds(20)) async {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        _ = try? await waitForExit(timeout: timeout)
    }

    var gauge: ProcessGauge { ProcessGauge(pid: pid) }

    /// Runs a command to its end; fails when it exits with another status than 0.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    timeout: Duration = .seconds(60)) async throws -> String {
        let child = try WatchedProcess(executable: executable, arguments: arguments, environment: environment)
        let status = try await child.waitForExit(timeout: timeout)
        guard status == 0 else {
            throw BenchError("`\(([executable] + arguments).joined(separator: " "))` failed (\(status)):\n\(child.log)")
        }
        return child.log
    }
}

/// Reads the memory and CPU time of a process, or the sum over a few (several Batons
/// sharing a database), from `/proc`.
struct ProcessGauge: Sendable {
    let pids: [Int32]

    init(pid: Int32) { pids = [pid] }
    init(pids: [Int32]) { self.pids = pids }

    /// The bench itself.
    static var bench: ProcessGauge { ProcessGauge(pid: getpid()) }

    var memory: ProcessMemory? {
        let each = pids.compactMap(ProcessMemory.of(pid:))
        guard each.count == pids.count else { return nil }
        return each.dropFirst().reduce(each[0], +)
    }

    /// User and system CPU time so far, in seconds (`/proc/PID/stat`).
    var cpuSeconds: Double? {
        let each = pids.compactMap(Self.cpuSeconds(of:))
        return each.count == pids.count ? each.reduce(0, +) : nil
    }

    private static func cpuSeconds(of pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let commEnd = stat.lastIndex(of: ")") else { return nil }
        // After the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: commEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// CPU time the host took from this machine (a virtual one) for its other guests: the
/// `steal` of `/proc/stat`, in seconds summed over the cores. A phase during which the
/// host took much measured the host, not Baton.
enum StolenCPU {
    static var seconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        // cpu user nice system idle iowait irq softirq steal …
        let fields = line.split(separator: " ")
        guard fields.count > 8, let steal = Double(fields[8]) else { return nil }
        return steal / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A process's resident memory, from `/proc/PID/status`.
struct ProcessMemory: Codable, Sendable {
    /// VmRSS.
    var residentBytes: Int
    /// VmHWM: the highest resident size so far.
    var peakResidentBytes: Int
    /// RssAnon: the part of VmRSS that is the process's own (heap, stacks); the rest is
    /// mostly pages of the executable and shared libraries, which the system can share
    /// and drop.
    var anonymousBytes: Int

    var anonymousMiB: Double { Double(anonymousBytes) / 1_048_576 }

    var residentMiB: Double { Double(residentBytes) / 1_048_576 }
    var peakResidentMiB: Double { Double(peakResidentBytes) / 1_048_576 }

    static func of(pid: Int32) -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func kibibytes(_ field: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        guard let rss = kibibytes("VmRSS"), let hwm = kibibytes("VmHWM") else { return nil }
        return ProcessMemory(residentBytes: rss * 1024, peakResidentBytes: hwm * 1024, anonymousBytes: (kibibytes("RssAnon") ?? 0) * 1024)
    }

    /// Two processes together (each peak is its own, so the sum of peaks bounds the
    /// peak of the sum).
    static func + (left: ProcessMemory, right: ProcessMemory) -> ProcessMemory {
        ProcessMemory(residentBytes: left.residentBytes + right.residentBytes,
                      peakResidentBytes: left.peakResidentBytes + right.peakResidentBytes,
                      anonymousBytes: left.anonymousBytes + right.anonymousBytes)
    }
}

/// A server under test (Baton or the echo server) started as a child process on a free
/// port, which it announces with a `ready at http://HOST:PORT/` line.
struct ServerUnderTest: Sendable {
    let child: WatchedProcess
    let port: Int
    /// From spawning to the `ready at` line.
    let readyLine: Duration
    /// From spawning to the first successful `GET /healthz`.
    let readyHealthz: Duration

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ServerUnderTest {
        let child = try WatchedProcess(executable: executable, arguments: arguments, environment: environment)
        do {
            let line = try await child.waitForLine(containing: "ready at http://", timeout: .seconds(30))
            guard let address = line.text.split(separator: "ready at http://").last?.split(separator: "/").first,
                  let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw BenchError("cannot read the port from \"\(line.text)\"")
            }
            let healthy = try await waitForHealth("http://127.0.0.1:\(port)/healthz", timeout: .seconds(10))
            return ServerUnderTest(child: child, port: port, readyLine: child.launchedAt.duration(to: line.at),
                                   readyHealthz: child.launchedAt.duration(to: healthy))
        } catch {
            await child.stop()
            throw error
        }
    }

    /// Polls `url` until it answers 200; returns when it first did.
    private static func waitForHealth(_ url: String, timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        var lastError = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
                _ = try await response.body.collect(upTo: 1 << 16)
                if response.status == .ok { return .now }
                lastError = "status \(response.status.code)"
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("\(url) did not answer 200 within \(timeout.seconds.formatted1) s (\(lastError))")
    }
}

/// A failure that stops the bench, with a sentence for the user.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
