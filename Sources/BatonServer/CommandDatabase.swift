import BatonStore
import Foundation

// What the commands that work on the database directly (`baton mattermost`, `baton
// admin`) share: refusing a database that is not there, and removing one they made and
// then failed in.

extension DatabaseLocation {
    /// The path of a SQLite database whose file does not exist yet (opening makes it).
    var missingSQLiteFile: String? {
        guard case .sqlite(let path) = self, !FileManager.default.fileExists(atPath: path) else { return nil }
        return path
    }

    /// Removes a SQLite database a command made and then failed in, with its WAL files.
    static func removeSQLite(at path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Refuses a SQLite file that is not there, for the commands that read or change what
    /// a database holds.
    func checkExists() throws {
        if let path = missingSQLiteFile {
            throw AdminError("There is no database at \(path). Check --database (or BATON_DATABASE): Baton makes the database when it first starts.")
        }
    }
}

extension SQLStore {
    /// Runs `body` on this store and closes it after, whether `body` succeeded or threw
    /// (a command's one use of its database).
    func closing<T>(after body: (SQLStore) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}

/// A mistake of the person running a command.
public struct AdminError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
