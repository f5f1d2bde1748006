import BatonCore
import Foundation
import ServiceLifecycle

#if os(Linux)
/// glibc's `malloc_trim` (declared in malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_MMAP_THRESHOLD` of malloc.h.
private let mmapThreshold: Int32 = -3
#endif

/// Gives memory the server no longer uses back to the system, at a quiet moment.
///
/// glibc keeps freed memory in its per-thread arenas: after a crowd of visitors leaves
/// (20,000 sockets closed), the process would stay at its peak size for good. So every
/// `interval` this asks glibc to return what is free. A trim holds each arena's lock while
/// it walks the arena's free memory, and every thread that allocates meanwhile waits: 63 ms
/// once 19,744 sockets had closed, 27 ms under the bot at full speed, a stall of every
/// reply under way. So after each `interval` the trimmer waits for a `probe` in which the
/// process used under `quietLoad` of a core, and trims then; a server that is never quiet
/// that long is trimmed at the latest `longest` after the last trim.
final class MemoryTrimmer: Service, Sendable {
    let interval: Duration
    let probe: Duration
    let quietLoad: Double
    let longest: Duration
    private let cpuSeconds: @Sendable () -> Double
    private let trimNow: @Sendable () -> Void

    init(interval: Duration = .seconds(15), probe: Duration = .seconds(1), quietLoad: Double = 0.1,
         longest: Duration = .seconds(300), cpuSeconds: @escaping @Sendable () -> Double = MemoryTrimmer.processCPUSeconds,
         trim: @escaping @Sendable () -> Void = MemoryTrimmer.trim) {
        self.interval = interval
        self.probe = probe
        self.quietLoad = quietLoad
        self.longest = longest
        self.cpuSeconds = cpuSeconds
        trimNow = trim
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            try? await self.trimLoop()
        }
    }

    /// Trims after every `interval`, at the first quiet `probe` (or at `longest`), until cancelled.
    func trimLoop() async throws {
        let clock = ContinuousClock()
        var lastTrim = clock.now
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            while clock.now - lastTrim < longest {
                let (cpu, start) = (cpuSeconds(), clock.now)
                try await Task.sleep(for: probe)
                if cpuSeconds() - cpu < quietLoad * (clock.now - start).seconds { break }
            }
            trimNow()
            lastTrim = clock.now
        }
    }

    /// Blocks from this size up (a file's bytes on their way, a large answer) are mapped
    /// each on its own, and given back to the system as soon as they are freed.
    static let mappedBlockBytes: Int32 = 1 << 20

    /// Sets `mappedBlockBytes` for the whole process. glibc's default is a threshold that
    /// rises to the size of the largest mapped block freed so far (up to 32 MiB): after the
    /// first file of 10 MB went through, the next ones would come from the arenas and stay
    /// with the process until a trim.
    static func mapLargeBlocksOnTheirOwn() {
        #if os(Linux)
        _ = mallopt(mmapThreshold, mappedBlockBytes)
        #endif
    }

    /// Returns free memory to the system now.
    static func trim() {
        #if os(Linux)
        _ = malloc_trim(0)
        #endif
    }

    /// The CPU time the process has used so far, all threads, user and system.
    @Sendable static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
