import Glibc

/// Makes durable what background checkpoints copied into the database file, through a
/// read-only descriptor of its own.
///
/// Closed only after every connection: closing any descriptor of a file drops the
/// process's POSIX locks on it, SQLite's among them.
///
/// A checkpoint copies the pages written since the last one: at 2,000 messages/s, every
/// 250 ms, some 4 MB scattered over the file. One `fdatasync` queues all of them for the
/// disk at once, and every commit's own sync meanwhile waits behind them: a few
/// milliseconds for each message written then. So the file is written back a range at a
/// time, each range finished before the next starts (`sync_file_range`), and a commit's
/// sync waits for one range at most; the `fdatasync` at the end has little left but the
/// disk's flush. The file is cut into a fixed number of ranges, not ranges of a fixed
/// size: the pages are spread over the whole file, so each range holds a share of them
/// whatever the file's size, and a large database costs no more calls than a small one.
struct DatabaseFileSync: Sendable {
    private let descriptor: Int32

    /// Ranges the file is written back in.
    static let ranges: off_t = 64
    /// The smallest range, for a small file.
    static let smallestRange: off_t = 64 << 10

    init(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
    }

    /// Writes back, and syncs, everything written to the file. False when it could not
    /// (no descriptor, or a call failed).
    @discardableResult
    func sync() -> Bool {
        guard descriptor >= 0 else { return false }
        var info = stat()
        var written = fstat(descriptor, &info) == 0
        let range = max(Self.smallestRange, (info.st_size + Self.ranges - 1) / Self.ranges)
        var offset: off_t = 0
        while written, offset < info.st_size {
            written = syncFileRange(descriptor, offset, range, Self.waitBefore | Self.write | Self.waitAfter) == 0
            offset += range
        }
        return fdatasync(descriptor) == 0 && written
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    // Linux's flags (fcntl.h declares the call and them only with _GNU_SOURCE).
    private static let waitBefore: UInt32 = 1, write: UInt32 = 2, waitAfter: UInt32 = 4
}

@_silgen_name("sync_file_range")
private func syncFileRange(_ descriptor: Int32, _ offset: off_t, _ count: off_t, _ flags: UInt32) -> Int32
