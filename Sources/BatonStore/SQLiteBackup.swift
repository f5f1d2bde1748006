import Foundation
import SQLiteNIO

/// A consistent copy of a SQLite database, taken while Baton runs: SQLite's `VACUUM INTO`
/// reads one snapshot (writes that commit meanwhile are not in it, and do not wait for
/// it) and writes it compacted into a new file, which is then checked. The copy is a
/// database Baton opens as it is (`--database COPY`).
public enum SQLiteBackup {
    public enum Failure: Error, CustomStringConvertible {
        case noDatabase(String)
        case notBaton(String)
        case targetExists(String)
        case noTarget
        /// A name SQLite reads as something else than a file's (`file:…`, `:memory:`).
        case notAFileName(String)
        case failed(String)

        public var description: String {
            switch self {
            case .noDatabase(let path): "There is no database at \(path)."
            case .notBaton(let path): "\(path) is not a Baton database."
            case .targetExists(let path): "\(path) exists already; choose a new file (a backup never overwrites one)."
            case .noTarget: "Name the new file to write the backup into."
            case .notAFileName(let path): "SQLite reads \(path) as a URI or an in-memory database, not a file's name; write ./\(path) for a file named so."
            case .failed(let reason): "The backup failed: \(reason)"
            }
        }
    }

    /// Copies the database at `path` into the new file `target`; returns the copy's size
    /// in bytes.
    @discardableResult
    public static func copy(_ path: String, to target: String) throws(Failure) -> Int64 {
        let files = FileManager.default
        guard files.fileExists(atPath: path) else { throw .noDatabase(path) }
        // SQLite takes an empty name for a temporary database: the copy would go nowhere.
        guard !target.trimmingCharacters(in: .whitespaces).isEmpty else { throw .noTarget }
        // `VACUUM INTO` reads `file:x.db` as a URI (writing x.db, which the checks below
        // would not look at) and `:memory:` as no file at all.
        guard !target.lowercased().hasPrefix("file:"), target != ":memory:" else { throw .notAFileName(target) }
        guard !files.fileExists(atPath: target) else { throw .targetExists(target) }
        do {
            let source = try SQLiteHandle(path: path)
            defer { source.close() }
            var migrations = 0
            try source.run("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", []) { row in
                if case .integer(let count)? = row.values.first { migrations = count }
            }
            guard migrations == 1 else { throw Failure.notBaton(path) }
            try source.run("VACUUM INTO ?1", [.text(target)])
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .failed("\(error)")
        }
        do {
            let copy = try SQLiteHandle(path: target)
            defer { copy.close() }
            var verdict = ""
            try copy.run("PRAGMA integrity_check", []) { row in
                if case .text(let text)? = row.values.first { verdict = text }
            }
            guard verdict == "ok" else { throw Failure.failed("the copy does not pass SQLite's integrity check (\(verdict))") }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .failed("\(error)")
        }
        guard let size = (try? files.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value else {
            throw .failed("no file was written at \(target)")
        }
        return size
    }
}
