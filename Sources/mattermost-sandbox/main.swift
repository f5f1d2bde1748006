import ArgumentParser
import Dispatch
import Foundation
import Logging
import MattermostSandbox
import NIOSSL

/// Runs the Mattermost stand-in alone, seeded for local trials of Baton.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mattermost-sandbox",
        abstract: "Run a Mattermost stand-in (REST API v4 and the event WebSocket) for trying Baton locally.",
        discussion: """
            Seeds team `support` with users relay (system admin), alice and bob; carol is not on the team. \
            State lives in memory and is gone when the process stops.
            """
    )

    @Option(help: "Port to listen on; 0 picks a free port.")
    var port: Int = 8065

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    @Option(help: "Serve HTTPS and wss:// with this certificate (PEM; give --tls-key too), as a Mattermost behind a private certificate authority.")
    var tlsCertificate: String?

    @Option(help: "The private key (PEM) of --tls-certificate.")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("Give --tls-certificate and --tls-key together.")
        }
    }

    func run() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        if let tlsCertificate, let tlsKey {
            configuration.tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
        }
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            let token = Self.seed(sandbox)
            // Written straight to the file handle: `print` is buffered when stdout is a pipe,
            // and whoever launched the sandbox is waiting for the URL.
            Self.say("""
                Mattermost sandbox listening on \(sandbox.url)
                  WebSocket: \(sandbox.webSocketURL)
                  team: support (Support)
                  relay / relay-password   system admin, on the team; personal access token \(token)
                  alice / agent-password   Alice Archer, on the team
                  bob   / agent-password   Bob Baker, on the team
                  carol / agent-password   not on the team
                Press Ctrl-C to stop.

                """)
            await Self.waitForTerminationSignal()
            Self.say("Stopping.\n")
        }
    }

    /// The seed of the brief; returns relay's personal access token.
    static func seed(_ sandbox: MattermostSandbox) -> String {
        let team = sandbox.addTeam(name: "support", displayName: "Support")
        sandbox.addUser(username: "relay", password: "relay-password", firstName: "Baton", lastName: "Relay", admin: true)
        sandbox.addUser(username: "alice", password: "agent-password", firstName: "Alice", lastName: "Archer")
        sandbox.addUser(username: "bob", password: "agent-password", firstName: "Bob", lastName: "Baker")
        sandbox.addUser(username: "carol", password: "agent-password", firstName: "Carol", lastName: "Clark")
        for name in ["relay", "alice", "bob"] { sandbox.addToTeam(name, team: team.name) }
        return sandbox.personalAccessToken(for: "relay")
    }

    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Suspends until SIGINT or SIGTERM.
    static func waitForTerminationSignal() async {
        let (signals, sink) = AsyncStream.makeStream(of: Int32.self)
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { sink.yield(number) }
            source.resume()
            return source
        }
        var iterator = signals.makeAsyncIterator()
        _ = await iterator.next()
        sources.forEach { $0.cancel() }
    }
}

/// Parses the flags and runs the command. In an `async` function the asynchronous `run()`
/// is chosen; top-level code in `main.swift` would pick the synchronous entry point.
func runCommand() async {
    do {
        let command = try SandboxCommand.parse()
        try await command.run()
    } catch {
        SandboxCommand.exit(withError: error)
    }
}

await runCommand()
