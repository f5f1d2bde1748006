import ArgumentParser
import Foundation

/// A password or token given to a command: from a file or an environment variable, never
/// a flag's value (others could see it in the process list).
enum SecretInput {
    /// The first line-trimmed content of `path`; a missing, unreadable or empty file is
    /// said so in words.
    static func file(_ path: String, what: String = "password") throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ValidationError("There is no \(what) file \(path).")
        }
        guard !isFolder.boolValue else { throw ValidationError("\(path) is a folder, not a \(what) file.") }
        guard let data = try readFile(path, limit: 64 * 1024, tooLarge: { ValidationError("The \(what) file \(path) holds more than 64 KiB: not a \(what).") }) else {
            throw ValidationError("Baton may not read the \(what) file \(path).")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("The \(what) file \(path) is not UTF-8 text.") }
        let secret = text.trimmingCharacters(in: .newlines)
        guard !secret.isEmpty else { throw ValidationError("The \(what) file \(path) is empty.") }
        return secret
    }

    /// The value of the environment variable `name`; unset or empty is said so.
    static func environment(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            throw ValidationError("The environment variable \(name) is not set.")
        }
        guard !value.isEmpty else { throw ValidationError("The environment variable \(name) is empty.") }
        return value
    }
}

/// What a command reads from a file: a regular file, or a pipe or device (`<(…)`,
/// `/dev/stdin`), which `FileManager.contents(atPath:)` does not read on Linux. Nil when
/// the file cannot be opened; `tooLarge` is thrown past `limit` bytes (a device such as
/// `/dev/zero` never ends).
func readFile<Failure: Error>(_ path: String, limit: Int, tooLarge: () -> Failure) throws -> Data? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    var data = Data()
    while true {
        guard let chunk = try? handle.read(upToCount: 64 * 1024), !chunk.isEmpty else { break }
        data.append(chunk)
        if data.count > limit { throw tooLarge() }
    }
    return data
}
