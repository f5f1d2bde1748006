import ArgumentParser
import BatonServer
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage dashboard admins.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a dashboard admin.",
            discussion: "Without --password-file or --password-env the password is asked for (twice, not shown).")

        @Option(help: "The admin's email address (their sign-in name).") var email: String
        @Option(help: "A file holding the password.") var passwordFile: String?
        @Option(help: "An environment variable holding the password.") var passwordEnv: String?
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let password: String
            switch (passwordFile, passwordEnv) {
            case (let file?, nil):
                password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
            case (nil, let variable?):
                guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                    throw ValidationError("The environment variable \(variable) is not set.")
                }
                password = value
            case (nil, nil):
                guard let first = Self.ask("Password (at least 10 characters): "), let second = Self.ask("The same again: ") else {
                    throw ValidationError("No password was given.")
                }
                guard first == second else { throw ValidationError("The two passwords differ.") }
                password = first
            default:
                throw ValidationError("Give at most one of --password-file and --password-env.")
            }
            let config = try storage.configuration()
            var logger = Logger(label: "baton")
            logger.logLevel = .warning
            do {
                print(try await AdminAccounts(config: config, logger: logger).create(email: email, password: password))
            } catch {
                throw CommandFailure(error)
            }
        }

        /// Reads a line from the terminal without echoing it.
        static func ask(_ prompt: String) -> String? {
            guard let pointer = getpass(prompt) else { return nil }
            return String(cString: pointer)
        }
    }
}
