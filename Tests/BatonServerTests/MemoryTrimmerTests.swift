import BatonCore
@testable import BatonServer
import Foundation
import Synchronization
import Testing

/// Memory freed in the middle of the heap (connections gone, a few survivors between
/// them) goes back to the system when the trimmer runs, and it runs when the server is
/// quiet (a trim stalls every thread that allocates meanwhile).
@Suite struct MemoryTrimmerTests {
    private static func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")))
    func freedMemoryBetweenSurvivorsGoesBack() throws {
        // 64 MiB in 1 KiB blocks; every 64th survives, so the heap cannot just shrink
        // from its top.
        let count = 64 * 1024
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: 1024)
            blocks.append(block)
        }
        for (index, block) in blocks.enumerated() where index % 64 != 0 { block.deallocate() }
        let survivors = stride(from: 0, to: count, by: 64).map { blocks[$0] }
        blocks = []
        let before = try #require(Self.residentKiB())
        MemoryTrimmer.trim()
        let after = try #require(Self.residentKiB())
        #expect(before - after > 32 * 1024, "resident \(before) KiB before the trim, \(after) KiB after")
        for block in survivors { block.deallocate() }
    }

    /// Runs a trimmer (every 10 ms, probing 10 ms, at the latest 200 ms after a trim) with
    /// the CPU time `cpu` gives, until it trimmed `count` times (or 20 s passed); returns
    /// when it trimmed, from its start. Only lower bounds on time are checked: a busy
    /// machine makes every sleep longer, never shorter.
    private static func trims(_ count: Int, cpu: @escaping @Sendable (Duration) -> Double) async throws -> [Duration] {
        let clock = ContinuousClock()
        let start = clock.now
        let times = Mutex<[Duration]>([])
        let trimmer = MemoryTrimmer(interval: .milliseconds(10), probe: .milliseconds(10), quietLoad: 0.1, longest: .milliseconds(200),
                                    cpuSeconds: { cpu(clock.now - start) }, trim: { times.withLock { $0.append(clock.now - start) } })
        let loop = Task { try await trimmer.trimLoop() }
        while times.withLock({ $0.count }) < count, clock.now - start < .seconds(20) {
            try await Task.sleep(for: .milliseconds(10))
        }
        loop.cancel()
        _ = await loop.result
        return times.withLock { $0 }
    }

    @Test func aQuietServerIsTrimmedAfterEachInterval() async throws {
        let times = try await Self.trims(3) { _ in 1.0 }  // no CPU used at all
        #expect(times.count >= 3, "trimmed at \(times)")
        // Each after its interval and one probe, long before the 200 ms bound.
        #expect(times.first.map { $0 >= .milliseconds(20) } == true, "trimmed at \(times)")
    }

    @Test func aBusyServerIsTrimmedOnlyAtTheLongest() async throws {
        // A core busy all along: never quiet, so only the 200 ms bound trims.
        let times = try await Self.trims(2) { elapsed in elapsed.seconds }
        #expect(times.count >= 2, "trimmed at \(times)")
        let gaps = zip([.zero] + times, times).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= .milliseconds(200) }, "trimmed at \(times)")
    }

    @Test func theProcessCPUClockCounts() {
        let before = MemoryTrimmer.processCPUSeconds()
        var sum = 0.0
        for index in 0..<2_000_000 { sum += Double(index).squareRoot() }
        #expect(sum > 0 && MemoryTrimmer.processCPUSeconds() > before)
    }
}
