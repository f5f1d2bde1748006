@testable import BatonServer
import Foundation
import Testing

/// Memory freed in the middle of the heap (connections gone, a few survivors between
/// them) goes back to the system when the trimmer runs.
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
}
