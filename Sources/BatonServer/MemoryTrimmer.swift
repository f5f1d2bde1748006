import ServiceLifecycle

#if os(Linux)
/// glibc's `malloc_trim` (declared in malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
#endif

/// Gives memory the server no longer uses back to the system.
///
/// glibc keeps freed memory in its per-thread arenas: after a crowd of visitors leaves
/// (20,000 sockets closed), the process would stay at its peak size for good. Every
/// `interval` this asks glibc to return what is free; when little was freed that costs
/// next to nothing.
final class MemoryTrimmer: Service, Sendable {
    let interval: Duration

    init(interval: Duration = .seconds(15)) { self.interval = interval }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                Self.trim()
            }
        }
    }

    /// Returns free memory to the system now.
    static func trim() {
        #if os(Linux)
        _ = malloc_trim(0)
        #endif
    }
}
