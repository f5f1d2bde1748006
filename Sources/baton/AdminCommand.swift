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
        subcommands: [Create.self, List.self, Password.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a dashboard admin.",
            discussion: "Without --password-file or --password-env the password is asked for (twice, not shown).")

        @Option(help: "The admin's email address (their sign-in name).") var email: String
        @OptionGroup var password: PasswordInput
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let password = try password.read()
            try await AdminCommand.run(storage) { try await $0.create(email: email, password: password) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the dashboard admins.")

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await AdminCommand.run(storage) { try await $0.list() }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an admin a new password; they are signed out everywhere.",
            discussion: "Without --password-file or --password-env the password is asked for (twice, not shown).")

        @Option(help: "The admin's email address.") var email: String
        @OptionGroup var password: PasswordInput
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let password = try password.read()
            try await AdminCommand.run(storage) { try await $0.setPassword(email: email, password: password) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an admin; they are signed out everywhere at once.")

        @Option(help: "The admin's email address.") var email: String
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await AdminCommand.run(storage) { try await $0.delete(email: email) }
        }
    }

    /// Runs one admin operation on the configured database and prints its outcome.
    static func run(_ storage: StorageOptions, _ operation: (AdminAccounts) async throws -> String) async throws {
        let config = try storage.configuration()
        var logger = Logger(label: "baton")
        logger.logLevel = .warning
        do {
            print(try await operation(AdminAccounts(config: config, logger: logger)))
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// Where a new password comes from: a file, an environment variable, or the terminal
/// (asked twice, not shown). Never a flag's value, which others could see.
struct PasswordInput: ParsableArguments {
    @Option(help: "A file holding the password.") var passwordFile: String?
    @Option(help: "An environment variable holding the password.") var passwordEnv: String?

    func read() throws -> String {
        switch (passwordFile, passwordEnv) {
        case (let file?, nil):
            return try SecretInput.file(file)
        case (nil, let variable?):
            return try SecretInput.environment(variable)
        case (nil, nil):
            // Without a terminal (a script, a pipe) there is nobody to ask.
            guard Self.hasTerminal else {
                throw ValidationError("There is no terminal to ask the password on: give it with --password-file or --password-env.")
            }
            guard let first = Self.ask("Password (at least 10 characters): "), let second = Self.ask("The same again: ") else {
                throw ValidationError("No password was given.")
            }
            guard first == second else { throw ValidationError("The two passwords differ.") }
            return first
        default:
            throw ValidationError("Give at most one of --password-file and --password-env.")
        }
    }

    /// Whether there is a terminal to ask on (`getpass` reads the controlling one).
    static var hasTerminal: Bool {
        let fd = open("/dev/tty", O_RDONLY)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Reads a line from the terminal without echoing it.
    static func ask(_ prompt: String) -> String? {
        guard let pointer = getpass(prompt) else { return nil }
        return String(cString: pointer)
    }
}
