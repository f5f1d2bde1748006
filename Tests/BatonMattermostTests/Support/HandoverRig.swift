import BatonCore
import BatonMattermost
import BatonServer
import BatonStore
import BatonTestSupport
import Foundation
import Logging
import MattermostSandbox
import OpenAPIContract
import Testing

/// A Mattermost stand-in seeded like a small support team, and a Baton whose demo bot is
/// connected to it: the setting of every end-to-end scenario.
struct HandoverRig: Sendable {
    let sandbox: MattermostSandbox
    let baton: LiveBaton
    let team = "support"
    let indexChannelName = "live-chats"

    /// Seeds the sandbox: relay (admin), alice and bob (agents), carol (not on the team).
    static func seed(_ sandbox: MattermostSandbox) {
        sandbox.addTeam(name: "support", displayName: "Support")
        sandbox.addUser(username: "relay", password: "relay-password", firstName: "Baton", lastName: "Relay", admin: true)
        sandbox.addUser(username: "alice", password: "agent-password", firstName: "Alice", lastName: "Archer")
        sandbox.addUser(username: "bob", password: "agent-password", nickname: "Bobby")
        sandbox.addUser(username: "carol", password: "agent-password", firstName: "Carol")
        // A team lead with admin rights who is not among the default agents.
        sandbox.addUser(username: "erin", password: "agent-password", firstName: "Erin", admin: true)
        for user in ["relay", "alice", "bob", "erin"] { sandbox.addToTeam(user, team: "support") }
    }

    static let relayCredentials = MattermostCredentials.password(username: "relay", password: "relay-password")

    /// Connects the demo bot the way the wizard and the CLI do (to the rig's sandbox, or
    /// `server`), and waits until Baton's event stream is connected.
    func connect(agents: [String] = ["alice", "bob", "carol"], archiveOnClose: Bool = false,
                 rooms: MattermostSettings.RoomKind = .channel, as credentials: MattermostCredentials = relayCredentials,
                 to server: MattermostSandbox? = nil, language: String = "en",
                 internalPrefix: String = "//", closeCommand: String = "!close") async throws {
        let logger = Logger(label: "test")
        let setup = try await MattermostSetup.signIn(url: (server ?? sandbox).url, credentials: credentials, logger: logger)
        let team = try await setup.team(named: self.team)
        let users = try await setup.agents(agents, team: team)
        let index = try await setup.indexChannel(.create("Live chats"), team: team, agents: users)
        let settings = setup.settings(team: team, agents: users, indexChannel: index, closeCommand: closeCommand, internalPrefix: internalPrefix,
                                      archiveOnClose: archiveOnClose, rooms: rooms, language: language)
        try await baton.services.connections.save(settings, credentials: credentials, widgetKey: "demo")
        baton.services.mattermost.reload()
        // 30 s: at the start of a full test run hundreds of tests share the two cores, and a
        // stream through a proxy (Baton's SOCKS bridge, the proxy's tunnel) has taken more
        // than 15 s there, its first attempts timing out and backing off.
        // The link of these settings: a link of earlier ones may still be connected.
        try await eventually("Baton connects to the event stream", seconds: 30) {
            baton.services.mattermost.runningSettings(widgetKey: "demo") == settings
                && baton.services.mattermost.status(widgetKey: "demo")?.state == .connected
        }
    }

    /// Runs a sandbox and a Baton (on `database`, or a new SQLite one) for the length of `body`.
    /// `body` fails after `timeLimit` seconds.
    static func run(database: DatabaseLocation? = nil, sandbox existing: MattermostSandbox? = nil,
                    configuration: MattermostSandbox.Configuration = .init(), timeLimit: Double = LiveBaton.defaultTimeLimit,
                    baton tweak: @Sendable @escaping (inout BatonConfiguration) -> Void = { _ in },
                    _ body: @Sendable @escaping (HandoverRig) async throws -> Void) async throws {
        if let existing {
            try await runBaton(database: database, sandbox: existing, timeLimit: timeLimit, tweak: tweak, body)
            return
        }
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            seed(sandbox)
            try await runBaton(database: database, sandbox: sandbox, timeLimit: timeLimit, tweak: tweak, body)
        }
    }

    private static func runBaton(database: DatabaseLocation?, sandbox: MattermostSandbox, timeLimit: Double,
                                 tweak: @Sendable @escaping (inout BatonConfiguration) -> Void,
                                 _ body: @Sendable @escaping (HandoverRig) async throws -> Void) async throws {
        let configure: @Sendable (inout BatonConfiguration) -> Void = { config in
            config.integrationPollInterval = .milliseconds(100)
            config.mattermostLimits.sessionCheckInterval = .milliseconds(500)
            // Scenarios send faster than a person types.
            config.socket.messagesPerSecond = 1000
            config.socket.burst = 1000
            if let database { config.database = database }
            tweak(&config)
        }
        try await LiveBaton.run(timeLimit: timeLimit, configure: configure) { baton in try await body(HandoverRig(sandbox: sandbox, baton: baton)) }
    }

    // MARK: Looking at Mattermost

    func room(for conversation: String) -> MattermostSandbox.Channel? {
        sandbox.channel(team: team, name: "chat-\(conversation)")
    }

    var indexChannel: MattermostSandbox.Channel? { sandbox.channel(team: team, name: indexChannelName) }

    /// Messages of the posts that are not system posts, oldest first.
    func messages(in channelID: String, by user: String? = nil) -> [String] {
        let userID = user.flatMap { sandbox.user(named: $0)?.id }
        return sandbox.posts(in: channelID).filter { !$0.isSystemPost && (userID == nil || $0.userID == userID) }.map(\.message)
    }

    /// Visitor messages in a room, in order, as Baton posted them (messages that waited
    /// together go out as one post, a line each).
    func relayed(in room: String, from visitor: String = "Grace") -> [String] {
        let prefix = "**\(visitor):** "
        return messages(in: room, by: "relay").flatMap { $0.split(separator: "\n") }.compactMap { line in
            line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
        }
    }

    /// Waits for the room of a conversation, with its transcript and announcement posted.
    func waitForRoom(_ conversation: String) async throws -> MattermostSandbox.Channel {
        try await eventually("the room and its announcement") {
            guard let room = room(for: conversation), let index = indexChannel else { return false }
            return !messages(in: room.id).isEmpty && messages(in: index.id).contains { $0.contains("chat-\(conversation)") }
        }
        return room(for: conversation)!
    }

    /// Waits for a conversation's thread in the index channel, with its transcript posted:
    /// returns the thread's root post (the announcement).
    func waitForThread(_ conversation: String) async throws -> MattermostSandbox.Post {
        let store = baton.services.store
        try await eventually("the thread and its transcript") {
            try await store.room(for: ConversationID(conversation))?.transcriptUntil != nil
        }
        let room = try #require(try await store.room(for: ConversationID(conversation)))
        #expect(room.threadChannelID == indexChannel?.id)
        return try #require(sandbox.post(id: room.externalID))
    }

    /// Messages of a thread's replies that are not system posts, oldest first (by `user` only when given).
    func replies(to root: String, by user: String? = nil) -> [String] {
        guard let channel = sandbox.post(id: root)?.channelID else { return [] }
        let userID = user.flatMap { sandbox.user(named: $0)?.id }
        return sandbox.posts(in: channel).filter { $0.rootID == root && !$0.isSystemPost && (userID == nil || $0.userID == userID) }.map(\.message)
    }

    /// Every request Baton sent and every answer the stand-in gave, checked against the
    /// Mattermost API reference.
    func contractViolations() throws -> [String] {
        let exchanges = sandbox.exchanges.map {
            HTTPExchange(method: $0.method, path: $0.path, query: $0.query, requestBody: $0.requestBody, status: $0.status,
                         responseContentType: $0.responseContentType, responseBody: $0.responseBody)
        }
        return try OpenAPIContract.mattermost.violations(of: exchanges)
    }
}

/// Waits until `condition` holds (checked every 20 ms), failing after `seconds`.
func eventually(_ what: String, seconds: Double = 15, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("waited \(seconds) s for \(what)")
}

/// The demo bot's way to a handover: two misunderstandings, then the handover questions.
/// Returns the conversation id.
@discardableResult
func talkUntilHandover(_ client: WidgetClient, name: String = "Grace", email: String = "grace@example.com",
                       topic: String = "Sales", page: [String: String]? = nil, handedOver: String = "handing you over to a person",
                       welcomed: (Frame) -> Void = { _ in }) async throws -> String {
    let welcome = try await client.hello(page: page)
    welcomed(welcome)
    let conversation = (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
    _ = try await client.say("qwerty uiop", clientID: "u1")
    try await client.message(containing: "Sorry, I didn't get that")
    _ = try await client.say("zxcv bnm", clientID: "u2")
    try await client.message(containing: "What's your name?")
    _ = try await client.say(name, clientID: "u3")
    try await client.message(containing: "email address")
    _ = try await client.say(email, clientID: "u4")
    try await client.message(containing: "What is it about?")
    _ = try await client.say(topic, clientID: "u5")
    try await client.message(containing: handedOver)
    return conversation
}
