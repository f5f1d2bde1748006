import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; the Glibc module
/// leaves it out).
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
#endif

/// A child process started with `posix_spawn`, for the tests and the bench.
///
/// Not Foundation's `Process`: on Linux, Swift 6.3's `Process.run()` reads
/// `/proc/self/fd` with a 256-byte copy of each directory entry and now and then reads
/// past the end of a page and crashes (swift-corelibs-foundation pull request 5472); a test
/// process that opens and closes hundreds of sockets at once makes that likely enough to
/// take a whole test run down (and every spawn is a chance). Here the child gets standard input from /dev/null, its
/// standard output and error in one pipe (read on a thread of its own, never on the
/// threads that run tasks), and no other descriptor.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The path it was started from.
    public let executable: String
    private let status = Mutex<Int32?>(nil)
    private let ended = Mutex(false)

    /// Starts `executable`; `output` is called with what it writes, as it writes it
    /// (nil: thrown away).
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                output: (@Sendable (String) -> Void)? = nil) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        #if os(Linux)
        _ = addCloseFrom(&actions, 3)
        #endif
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, env)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            throw SpawnError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.executable = executable
        let readEnd = fds[0]
        let reader = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count > 0 {
                    output?(String(decoding: buffer[0..<count], as: UTF8.self))
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(readEnd)
            self.ended.withLock { $0 = true }
        }
        reader.name = "child-output"
        reader.start()
    }

    /// Whether the child still runs (it is reaped once it ended).
    public var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            guard reaped == pid else { return reaped == 0 }
            // Exit code, or 128 + the signal that ended it (as a shell says).
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return false
        }
    }

    /// The exit status once it ended (see `isRunning`); -1 before.
    public var terminationStatus: Int32 {
        _ = isRunning
        return status.withLock { $0 } ?? -1
    }

    /// Whether everything it wrote has been read (its output ended).
    public var outputEnded: Bool { ended.withLock { $0 } }

    public func signal(_ signal: Int32) { kill(pid, signal) }
}

/// Starting a child process failed.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
