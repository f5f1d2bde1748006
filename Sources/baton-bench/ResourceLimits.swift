#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The open-file limit: every socket is a descriptor, in the bench and in the servers it
/// starts (children inherit the limit, so raising the bench's raises theirs).
enum DescriptorLimit {
    /// Descriptors kept for everything but the sockets under test (stdio, NIO's epoll and
    /// event fds, the database, pipes to child processes, the stand-in's connections).
    static let reserve = 256

    /// Raises the soft limit to `needed` (or to the hard limit), raising the hard limit
    /// too where the bench may (as root). Returns the limit in force and, when it is too
    /// low, a sentence for the user.
    static func raise(toAtLeast needed: Int) -> (limit: Int, warning: String?) {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return (0, "cannot read the open-file limit") }
        let wanted = rlim_t(needed)
        if limit.rlim_cur < wanted {
            if limit.rlim_max < wanted {
                var raised = rlimit(rlim_cur: wanted, rlim_max: wanted)
                if setrlimit(resource, &raised) == 0 { return (needed, nil) }
            }
            var soft = rlimit(rlim_cur: min(wanted, limit.rlim_max), rlim_max: limit.rlim_max)
            _ = setrlimit(resource, &soft)
            _ = getrlimit(resource, &limit)
        }
        let current = Int(clamping: limit.rlim_cur)
        guard current < needed else { return (current, nil) }
        return (current, "The open-file limit is \(current), too low for this run (it needs about \(needed)): "
            + "raise it (`ulimit -n \(needed)` as root, or LimitNOFILE) or use fewer connections.")
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
