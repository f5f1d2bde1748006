import Foundation
import MattermostSandbox
import Synchronization

/// The agent side of the benchmark: the Mattermost stand-in, in the bench's own process
/// so that it can timestamp each post as it is created, seeded like the end-to-end tests
/// seed it, and a Baton connected to it with `baton mattermost connect`.
struct AgentSide: Sendable {
    static let team = "support"
    static let agent = "alice"
    private static let relayPassword = "relay-password"
    private static let passwordVariable = "BATON_BENCH_MATTERMOST_PASSWORD"

    let sandbox: MattermostSandbox
    let watch: PostWatch

    /// Seeds the stand-in (a team, the relay user, one agent) and starts watching posts.
    init(sandbox: MattermostSandbox) {
        self.sandbox = sandbox
        sandbox.addTeam(name: Self.team, displayName: "Support")
        let relay = sandbox.addUser(username: "relay", password: Self.relayPassword, firstName: "Baton", lastName: "Relay", admin: true)
        sandbox.addUser(username: Self.agent, password: "agent-password", firstName: "Alice", lastName: "Archer")
        for user in ["relay", Self.agent] { sandbox.addToTeam(user, team: Self.team) }
        let watch = PostWatch(relayUserID: relay.id)
        sandbox.onPost { post in watch.observe(post) }
        self.watch = watch
    }

    /// Connects the demo bot of the Baton on `database` the way a user does, and waits
    /// until that Baton's event stream is connected (`environment` is Baton's: with
    /// PostgreSQL, the secret key).
    func connect(baton: String, database: String, environment: [String: String]) async throws {
        var environment = environment
        environment[Self.passwordVariable] = Self.relayPassword
        _ = try await WatchedProcess.run(baton, [
            "mattermost", "connect", "--bot", "demo", "--url", sandbox.url, "--username", "relay",
            "--password-env", Self.passwordVariable, "--team", Self.team, "--agents", Self.agent,
            "--create-index-channel", "Live chats", "--database", database,
        ], environment: environment)
        guard let index = sandbox.channel(team: Self.team, name: "live-chats") else {
            throw BenchError("`baton mattermost connect` did not create the index channel live-chats")
        }
        watch.setIndexChannel(index.id)
        let deadline = ContinuousClock.now + .seconds(30)
        var status = ""
        while ContinuousClock.now < deadline {
            status = try await WatchedProcess.run(baton, ["mattermost", "status", "--bot", "demo", "--database", database],
                                                environment: environment)
            if status.contains("State: connected") { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("Baton did not connect to the Mattermost stand-in within 30 s:\n\(status)")
    }

    /// The room Baton opened for a conversation.
    func roomID(of conversation: String) -> String? {
        sandbox.channel(team: Self.team, name: "chat-" + PostWatch.key(conversation))?.id
    }
}

/// Watches the posts the stand-in receives from Baton's relay user: announcements of new
/// chats (by conversation) and relayed visitor messages (probes of the running phase).
///
/// `observe` runs under the stand-in's lock, so it only looks things up and timestamps.
final class PostWatch: Sendable {
    private struct State {
        var indexChannelID: String?
        var relayProbes: ProbeTable?
        var files: FileTimes?
        var announcements: [String: Gate<ContinuousClock.Instant>] = [:]
    }

    private let relayUserID: String
    private let state = Mutex(State())

    init(relayUserID: String) { self.relayUserID = relayUserID }

    func setIndexChannel(_ id: String) { state.withLock { $0.indexChannelID = id } }

    /// Where relayed probes of the running phase are reported (nil between phases).
    func setRelayProbes(_ probes: ProbeTable?) { state.withLock { $0.relayProbes = probes } }

    /// Where the files scenario's files are reported as they reach their rooms (nil between phases).
    func setFileTimes(_ files: FileTimes?) { state.withLock { $0.files = files } }

    /// Opened when the announcement of `conversation` is posted, with the time it was.
    func announcement(of conversation: String) -> Gate<ContinuousClock.Instant> {
        gate(Self.key(conversation))
    }

    func observe(_ post: MattermostSandbox.Post) {
        let now = ContinuousClock.now
        guard post.userID == relayUserID, !post.isSystemPost else { return }
        let (indexChannel, probes, files) = state.withLock { ($0.indexChannelID, $0.relayProbes, $0.files) }
        if post.channelID == indexChannel {
            if let key = Self.roomKey(in: post.message) { gate(key).open(now) }
        } else if let files, !post.fileIDs.isEmpty {
            for id in ProbeToken.ids(in: post.message) { files.arrived(id, at: now) }
        } else if let probes {
            // Messages that waited together are relayed as one post, a line each.
            probes.carried(ProbeToken.ids(in: post.message), at: now)
        }
    }

    private func gate(_ key: String) -> Gate<ContinuousClock.Instant> {
        state.withLock { state in
            if let gate = state.announcements[key] { return gate }
            let gate = Gate<ContinuousClock.Instant>()
            state.announcements[key] = gate
            return gate
        }
    }

    /// A conversation id as Baton writes it in the room's name (`chat-KEY`).
    static func key(_ conversation: String) -> String {
        conversation.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// The KEY of the first `chat-KEY` in an announcement.
    private static func roomKey(in message: String) -> String? {
        guard let range = message.range(of: "chat-") else { return nil }
        let key = message[range.upperBound...].prefix { $0.isLetter || $0.isNumber }
        return key.isEmpty ? nil : String(key)
    }
}

/// The demo bot's way to a person: the handover button, then its three questions (name,
/// email, topic). Returns when the last answer was sent.
func handOver(_ visitor: VisitorSocket) async throws -> ContinuousClock.Instant {
    try await visitor.say("Talk to a person", clientID: "h1", action: "handover")
    try await visitor.waitForMessage(containing: "What's your name?")
    try await visitor.say("Visitor \(visitor.index)", clientID: "h2")
    try await visitor.waitForMessage(containing: "email address")
    try await visitor.say("visitor\(visitor.index)@example.com", clientID: "h3")
    try await visitor.waitForMessage(containing: "What is it about?")
    let sentAt = ContinuousClock.now
    try await visitor.say("Sales", clientID: "h4")
    return sentAt
}
