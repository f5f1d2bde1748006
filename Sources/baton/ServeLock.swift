import Foundation

/// One `baton serve` per SQLite database. Two would each run the Mattermost links and
/// each deliver only what passed through itself: a visitor on one and an agent's reply
/// read by the other never meet. The server holds an exclusive `flock` on a file beside
/// the database (`baton.sqlite.lock`) while it runs; the system lets go of it however the
/// process ends. (Not on the database file itself: SQLite's own locks are `fcntl` ones,
/// which a network file system may make the same kind.) The other commands do not take it.
enum ServeLock {
    /// The lock, held while its descriptor is open.
    struct Held {
        let fd: Int32
        let lockPath: String
        let databasePath: String
        /// Whether this process made the lock file (it was not there before).
        let created: Bool

        /// Lets the lock go. A lock file this process made for a database that was never
        /// made (a start that failed on its settings) goes too: a failed start leaves
        /// nothing behind.
        func release() {
            if created, !FileManager.default.fileExists(atPath: databasePath) { unlink(lockPath) }
            close(fd)
        }
    }

    /// Takes the lock for the database at `path`, to be held while serving; throws when
    /// another process holds it.
    static func take(forDatabase path: String) throws -> Held {
        let lockPath = path + ".lock"
        let existed = FileManager.default.fileExists(atPath: lockPath)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CommandFailure(message: "Cannot open \(lockPath), which keeps a second Baton off this database: \(String(cString: strerror(errno))).")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(fd)
            if reason == EWOULDBLOCK {
                throw CommandFailure(message: """
                    Another Baton serves \(path) (it holds \(lockPath)). One `baton serve` uses a SQLite database at a time; \
                    to run several servers, share a PostgreSQL database (docs/configuration.md#postgresql).
                    """)
            }
            throw CommandFailure(message: "Cannot lock \(lockPath): \(String(cString: strerror(reason))).")
        }
        return Held(fd: fd, lockPath: lockPath, databasePath: path, created: !existed)
    }
}
