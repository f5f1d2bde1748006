@_exported import ChildProcesses
import Foundation
import Synchronization

/// The `baton` binary as a user runs it.
public final class BatonProcess: Sendable {
    public let process: ChildProcess
    private let output = TextBuffer()

    final class TextBuffer: Sendable {
        let text = Mutex("")
    }

    /// The binary built next to the tests (`swift build` puts both in .build/debug).
    public static var binary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/baton").standardized
    }

    public init(_ arguments: [String], environment: [String: String]? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw TestFailure("\(Self.binary.path) is missing: run `swift build` first (scripts/test does)")
        }
        let output = self.output
        process = try ChildProcess(Self.binary.path, arguments, environment: environment) { chunk in output.text.withLock { $0 += chunk } }
    }

    public var log: String { output.text.withLock { $0 } }

    /// Waits until the log matches `pattern`; returns the first capture group.
    public func wait(for pattern: String, seconds: Double = 20) async throws -> String {
        let regex = try Regex(pattern)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let match = log.firstMatch(of: regex) {
                return match.output.count > 1 ? String(match.output[1].substring ?? "") : String(match.output[0].substring ?? "")
            }
            if !process.isRunning { throw TestFailure("baton exited (\(process.terminationStatus)) before \(pattern):\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no \(pattern) in the log after \(seconds) s:\n\(log)")
    }

    /// Waits for the process to end; returns its exit status.
    public func exit(seconds: Double = 20) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.signal(SIGKILL)
                throw TestFailure("baton did not exit within \(seconds) s:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // The process is gone, but what it wrote last may not have been read yet: wait
        // for the end of its output (briefly: on a busy machine it comes late).
        let drained = ContinuousClock.now + .seconds(5)
        while !process.outputEnded, ContinuousClock.now < drained {
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    public func signal(_ signal: Int32) { process.signal(signal) }
}

