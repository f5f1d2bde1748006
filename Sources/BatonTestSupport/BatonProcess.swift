import Foundation
import Synchronization

/// The `baton` binary as a user runs it.
public final class BatonProcess: Sendable {
    public let process: Process
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
        process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
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
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("baton did not exit within \(seconds) s:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }
}

