import ArgumentParser
import BatonServer
import Foundation
import Logging

/// `baton bot`: bot definitions as files (docs/bot-format.md).
struct BotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bot",
        abstract: "Check, import and export bot definitions (YAML files).",
        subcommands: [Check.self, Import.self, Export.self, List.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check bot definition files, as saving them would; no database needed.",
            discussion: "Prints each problem as FILE:LINE:COLUMN: message, and fails when there is one.")

        @Argument(help: "The files (- for standard input).") var files: [String]

        func validate() throws {
            if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read once.") }
        }

        func run() async throws {
            var failed = 0
            for file in files {
                // A file that cannot be read is a problem of its own: the others are checked.
                let problems: [String]
                do {
                    problems = BotFiles.problems(of: try BotCommand.read(file), file: file)
                } catch {
                    problems = ["\(file): \(error)"]
                }
                if problems.isEmpty { print("\(file): OK") } else { failed += 1 }
                for problem in problems { FileHandle.standardError.write(Data((problem + "\n").utf8)) }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a bot definition file as a bot's, or make that bot.",
            discussion: "Nothing is saved when the file has a problem. A running Baton uses the change within seconds.")

        @Argument(help: "The file (- for standard input).") var file: String
        @Option(help: "The bot's key (as in its widget's data-widget).") var key: String
        @Option(help: "The bot's name in the dashboard; for a new bot, the definition's name when not given.") var name: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let source = try BotCommand.read(file)
            try await BotCommand.run(storage) { try await $0.importing(source, file: file, key: key, name: name) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a bot's definition (YAML), or write it to a file.")

        @Argument(help: "The bot's key.") var key: String
        @Option(name: .shortAndLong, help: "Write it to this file instead.") var output: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let source = try await BotCommand.outcome(storage) { try await $0.export(key: key) }
            guard let output else {
                print(source, terminator: source.hasSuffix("\n") ? "" : "\n")
                return
            }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
                throw CommandFailure(message: "\(output) is a folder: give the file to write, such as \(output)/\(key).yaml.")
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(source.utf8)) else {
                throw CommandFailure(message: "Baton could not write \(output) (its folder is missing, or not writable).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the bots.")

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await BotCommand.run(storage) { try await $0.list() }
        }
    }

    /// A definition file's text, or standard input's for `-`; why not, in words.
    static func read(_ file: String) throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else { throw CommandFailure(message: "there is no file \(file)") }
            guard !isFolder.boolValue else { throw CommandFailure(message: "\(file) is a folder, not a bot definition file") }
            guard let contents = try readFile(file, limit: BotFiles.maximumBytes, tooLarge: {
                CommandFailure(message: "\(file) holds more than \(BotFiles.maximumBytes / 1024) KiB: larger than a bot definition may be")
            }) else { throw CommandFailure(message: "Baton may not read \(file)") }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure(message: "\(file) is not UTF-8 text") }
        return text
    }

    /// Runs one operation on the configured database and prints its outcome.
    static func run(_ storage: StorageOptions, _ operation: (BotFiles) async throws -> String) async throws {
        print(try await outcome(storage, operation))
    }

    /// What one operation on the configured database gives, its failure in words.
    static func outcome(_ storage: StorageOptions, _ operation: (BotFiles) async throws -> String) async throws -> String {
        var logger = Logger(label: "baton")
        logger.logLevel = .warning
        do {
            return try await operation(BotFiles(config: try storage.configuration(), logger: logger))
        } catch {
            throw CommandFailure(error)
        }
    }
}
