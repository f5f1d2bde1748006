@testable import BatonMattermost
import BatonCore
import BatonTestSupport
import Foundation
import Logging
import MattermostSandbox
import Testing

/// A Mattermost server the scenarios can use: an admin account and a team.
struct MattermostServerAccess: Sendable {
    var url: String
    var username: String
    var password: String
    var team: String

    /// From MATTERMOST_URL, MATTERMOST_USERNAME, MATTERMOST_PASSWORD and MATTERMOST_TEAM.
    static var fromEnvironment: MattermostServerAccess? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["MATTERMOST_URL"], let username = environment["MATTERMOST_USERNAME"],
              let password = environment["MATTERMOST_PASSWORD"], let team = environment["MATTERMOST_TEAM"],
              ![url, username, password, team].contains(where: \.isEmpty) else { return nil }
        return MattermostServerAccess(url: url, username: username, password: password, team: team)
    }
}

/// The end-to-end handover driven only through Mattermost's REST API, so it runs against
/// any Mattermost: an agent account is created for the run, and acts like a person in the
/// Mattermost app would.
enum RealServerScenario {
    static func run(_ access: MattermostServerAccess, rooms: MattermostSettings.RoomKind = .channel) async throws {
        let logger = Logger(label: "real-mattermost")
        let admin = try MattermostClient(url: access.url, credentials: .password(username: access.username, password: access.password), logger: logger)
        _ = try await admin.signIn()
        let team = try await admin.team(named: access.team)
        let suffix = RandomIDs.short()
        let agentName = "baton-agent-\(suffix)", agentPassword = "Agent-\(suffix)-Pw!1"
        struct NewUser: Encodable { var username, email, password, first_name, last_name: String }
        let agent = try await admin.request(.POST, "/api/v4/users",
                                            body: NewUser(username: agentName, email: "\(agentName)@example.com", password: agentPassword,
                                                          first_name: "Test", last_name: "Agent \(suffix)"), as: MMUser.self)
        let agentClient = try MattermostClient(url: access.url, credentials: .password(username: agentName, password: agentPassword), logger: logger)

        try await LiveBaton.run(configure: { $0.integrationPollInterval = .milliseconds(200); $0.socket.burst = 1000 }) { baton in
            // Connect through the same steps as the wizard.
            let credentials = MattermostCredentials.password(username: access.username, password: access.password)
            let setup = try await MattermostSetup.signIn(url: access.url, credentials: credentials, logger: logger)
            let agents = try await setup.agents([agentName], team: team)
            let index = try await setup.indexChannel(.create("baton-tests-\(suffix)"), team: team, agents: agents)
            try await baton.services.connections.save(setup.settings(team: team, agents: agents, indexChannel: index, rooms: rooms),
                                                      credentials: credentials, widgetKey: "demo")
            baton.services.mattermost.reload()
            try await eventually("Baton connects", seconds: 30) { baton.services.mattermost.status(widgetKey: "demo")?.state == .connected }
            // Pages of a site the widget is allowed on reach the agents as links (the test
            // client's own origin is allowed too).
            var demo = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
            demo.settings.allowedOrigins = ["https://shop.example", "ws://127.0.0.1"]
            _ = try await baton.services.bots.save(demo)

            try await WidgetClient.connect(baton.socketURL) { client in
                let tickets = Collected<String>()
                let conversation = try await talkUntilHandover(client, name: "Tess \(suffix)", email: "tess@example.com", topic: "Support",
                                                               page: ["url": "https://shop.example/pricing", "title": "Pricing"]) {
                    if let ticket = $0.uploadTicket { tickets.append(ticket) }
                }
                // Where the agent answers: the chat's channel, or its thread in the index channel.
                let channelID: String, rootID: String?
                switch rooms {
                case .channel:
                    // The room, with the agent in it, the transcript, and the announcement.
                    try await eventually("the room", seconds: 30) {
                        try await admin.channel(teamID: team.id, name: "chat-\(conversation)") != nil
                    }
                    let channel = try #require(try await admin.channel(teamID: team.id, name: "chat-\(conversation)"))
                    try await eventually("the agent in the room", seconds: 30) {
                        try await admin.channelMemberIDs(channelID: channel.id).contains(agent.id)
                    }
                    try await eventually("the announcement", seconds: 30) {
                        try await admin.posts(channelID: index.id, since: 1).contains { $0.message.contains("/channels/chat-\(conversation)") }
                    }
                    (channelID, rootID) = (channel.id, nil)
                case .thread:
                    // The announcement starts the thread; the transcript follows in it.
                    @Sendable func root() async throws -> MMPost? {
                        try await admin.posts(channelID: index.id, since: 1).first { $0.rootID.isEmpty && $0.message.contains("Tess \(suffix)") }
                    }
                    try await eventually("the thread", seconds: 30) {
                        guard let root = try await root() else { return false }
                        return try await admin.posts(channelID: index.id, since: 1).contains { $0.rootID == root.id }
                    }
                    (channelID, rootID) = (index.id, try #require(try await root()).id)
                }
                // The page the visitor is on is in the transcript; a new one is told.
                try await eventually("the transcript with the page", seconds: 30) {
                    try await admin.posts(channelID: channelID, since: 1).contains {
                        $0.message.contains("On the page [Pricing](https://shop.example/pricing)") && $0.rootID == (rootID ?? "")
                    }
                }
                try await client.send(["type": "page", "url": "https://shop.example/cart", "title": "Cart"])
                try await eventually("the new page told", seconds: 30) {
                    try await admin.posts(channelID: channelID, since: 1).contains { $0.message.contains("is now on [Cart](https://shop.example/cart)") }
                }
                // Allowed anywhere again (the uploads below come from no page).
                var anywhere = try #require(try await baton.services.bots.widget(forKey: "demo")).widget
                anywhere.settings.allowedOrigins = []
                _ = try await baton.services.bots.save(anywhere)
                // The agent replies from Mattermost.
                _ = try await agentClient.signIn()
                let hello = try await agentClient.createPost(channelID: channelID, message: "Hello from a real Mattermost", rootID: rootID)
                let reply = try await client.message(containing: "Hello from a real Mattermost")
                #expect(reply.message["name"] as? String == "Test Agent \(suffix)")
                // The agent corrects the reply, and takes another back: the widget follows both
                // (a real server keeps the text before an edit as a deleted post of its own).
                _ = try await agentClient.editPost(id: hello.id, message: "Hello from a real Mattermost, corrected")
                let corrected = try await client.message(containing: "real Mattermost, corrected")
                #expect((corrected.message["replaces"] as? NSNumber)?.int64Value == reply.messageID)
                // The agent typing shows in the widget, with their name.
                struct Typing: Encodable { var channel_id: String; var parent_id: String }
                try await agentClient.perform(.POST, "/api/v4/users/\(agent.id)/typing", body: Typing(channel_id: channelID, parent_id: rootID ?? ""))
                let typing = try #require(try await client.until("the agent typing") { $0.type == "typing" }.last)
                #expect(typing.string("name") == "Test Agent \(suffix)")
                let mistake = try await agentClient.createPost(channelID: channelID, message: "Sent by mistake", rootID: rootID)
                let mistaken = try await client.message(containing: "Sent by mistake")
                try await agentClient.deletePost(id: mistake.id)
                let removal = try #require(try await client.until("the removal") { ($0.message["replaces"] as? NSNumber)?.int64Value == mistaken.messageID }.last)
                #expect(removal.messageText == "")
                // The agent removes the relay user from where the chat is: it joins again,
                // and the agent's next reply still reaches the visitor.
                try await agentClient.perform(.DELETE, "/api/v4/channels/\(channelID)/members/\(setup.relayUser.id)")
                try await eventually("the relay user back", seconds: 30) {
                    guard try await admin.isChannelMember(channelID: channelID, userID: setup.relayUser.id) else { return false }
                    return try await admin.posts(channelID: channelID, since: 1).contains { $0.message.contains("has joined it again") }
                }
                _ = try await agentClient.createPost(channelID: channelID, message: "Still here after removing Baton", rootID: rootID)
                try await client.message(containing: "Still here after removing Baton")
                // Files both ways: the agent's attachment reaches the widget, the visitor's the room.
                let files = FileTransfer(base: baton.http)
                let agentBytes: [UInt8] = (0..<2048).map { UInt8($0 % 256) }
                let upload = try await agentClient.uploadFile(channelID: channelID, name: "agent-\(suffix).bin", contentType: "application/octet-stream",
                                                              data: agentBytes)
                _ = try await agentClient.createPost(channelID: channelID, message: "A file for you", rootID: rootID, fileIDs: [upload.id])
                let withFile = try await client.message(containing: "A file for you")
                let file = try #require(withFile.messageFiles.first)
                #expect(try await files.fetch(files.url(of: file)).body == agentBytes)
                let visitorBytes: [UInt8] = (0..<3000).map { UInt8(255 - $0 % 256) }
                let sent = try await files.upload(visitorBytes, name: "visitor-\(suffix).bin", type: "application/octet-stream", ticket: tickets.last)
                try await client.send(["type": "message", "clientId": "real-file", "files": [try #require(sent.json["id"] as? String)]])
                _ = try await client.expect("ack")
                try await eventually("the visitor's file in the room", seconds: 30) {
                    try await admin.posts(channelID: channelID, since: 1).contains { $0.userID == setup.relayUser.id && !$0.fileIDs.isEmpty }
                }
                let filePost = try #require(try await admin.posts(channelID: channelID, since: 1).last { $0.userID == setup.relayUser.id && !$0.fileIDs.isEmpty })
                #expect(try await admin.downloadFile(id: filePost.fileIDs[0], maxBytes: 1 << 20).data == visitorBytes)
                // The visitor's @all, or the agent's name after a dot, mentions nobody (the
                // agent's mention count stays as it was), and an email address stays whole.
                struct Member: Decodable { var mention_count: Int64 }
                let mentions = { try await admin.request(.GET, "/api/v4/channels/\(channelID)/members/\(agent.id)", as: Member.self).mention_count }
                let mentionsBefore = try await mentions()
                _ = try await client.say("@all thanks, x.@\(agentName) and -@here; mail tess@\(agentName).example", clientID: "real-1")
                try await eventually("the visitor's message in the room", seconds: 30) {
                    try await admin.posts(channelID: channelID, since: 1).contains {
                        $0.message.contains("thanks") && $0.userID == setup.relayUser.id && $0.rootID == (rootID ?? "")
                    }
                }
                let relayed = try await admin.posts(channelID: channelID, since: 1).last { $0.message.contains("thanks") }
                #expect(relayed?.message.contains("@all") == false)
                #expect(relayed?.message.contains("tess@\(agentName).example") == true)
                #expect(try await mentions() == mentionsBefore)
                // The agent closes the chat.
                _ = try await agentClient.createPost(channelID: channelID, message: "!close", rootID: rootID)
                try await client.message(containing: "closed the chat")
                // The insights count it: handed over, answered by the agent, by their name.
                let id = ConversationID(conversation)
                let everything = InsightsFilter(start: 0, end: .now() + 1)
                let replies = try await baton.services.store.firstReplies(everything)
                #expect(replies.count == 1, "\(replies)")
                #expect(replies.first?.agent == "Test Agent \(suffix)" && replies.first?.agentID == agent.id, "\(replies)")
                #expect((replies.first?.wait ?? -1) >= 0, "\(replies)")
                #expect(try await baton.services.store.agentActivity(everything).map(\.agent) == ["Test Agent \(suffix)"])
                let buckets = try await baton.services.store.insightBuckets(everything)
                #expect(buckets.map(\.handedOver).reduce(0, +) == 1 && buckets.map(\.unanswered).reduce(0, +) == 0, "\(buckets)")
                // The chat erased from Baton, and from Mattermost too.
                try await eventually("the closing done", seconds: 30) { try await baton.services.store.taskCount(widgetKey: "demo") == 0 }
                #expect(try await baton.services.chat.erase(conversation: id, eraseRooms: true) == .erased([id]))
                try await eventually("the erasing done", seconds: 60) { try await baton.services.store.taskCount(widgetKey: "demo") == 0 }
                // The room, as Mattermost has it now (an error reading it fails the test).
                try await eventually("the room erased in Mattermost", seconds: 60) {
                    if let rootID { return try await admin.post(id: rootID) == nil }
                    do {
                        // Where channels cannot be deleted for good: renamed, emptied, archived.
                        let channel = try await admin.channel(id: channelID)
                        guard channel.deleteAt != 0, channel.displayName == "Erased chat" else { return false }
                        return try await admin.posts(channelID: channelID, since: 1).allSatisfy { $0.deleteAt != 0 || $0.isSystem }
                    } catch MattermostError.server(404, _, _) {
                        return true  // deleted for good
                    }
                }
            }
            // A second visitor, who ends the chat from the widget.
            try await WidgetClient.connect(baton.socketURL) { client in
                let second = try await talkUntilHandover(client, name: "Ulla \(suffix)", email: "ulla@example.com", topic: "Something else")
                let room: String
                switch rooms {
                case .channel:
                    try await eventually("the second room", seconds: 30) {
                        try await admin.channel(teamID: team.id, name: "chat-\(second)") != nil
                    }
                    room = try #require(try await admin.channel(teamID: team.id, name: "chat-\(second)")).id
                case .thread:
                    room = index.id
                }
                @Sendable func announced(_ text: String) async throws -> Bool {
                    try await admin.posts(channelID: index.id, since: 1).contains {
                        $0.deleteAt == 0 && $0.message.contains(text) && $0.message.contains("Ulla \(suffix)")
                    }
                }
                try await eventually("the second chat announced", seconds: 30) { try await announced("New chat") }
                try await client.send(["type": "end"])
                try await client.message(containing: "Ulla \(suffix) ended the chat.")
                try await eventually("the room told", seconds: 30) {
                    try await admin.posts(channelID: room, since: 1).contains {
                        $0.userID == setup.relayUser.id && $0.message.contains("ended the chat in the website's widget")
                    }
                }
                try await eventually("the announcement marked", seconds: 30) { try await announced("**Ended by the visitor**") }
                // Ulla comes back: the bot knows her, and her new chat links the first one.
                try await client.send(["type": "message", "text": "qwerty uiop", "clientId": "back-1"])
                _ = try await client.until("ack")
                try await client.message(containing: "Sorry, I didn't get that")
                _ = try await client.say("zxcv bnm", clientID: "back-2")
                try await client.message(containing: "What is it about?")
                _ = try await client.say("Support", clientID: "back-3")
                try await client.message(containing: "handing you over to a person")
                let firstRoom = rooms == .channel ? "/channels/chat-\(second))" : "/pl/"
                try await eventually("the returning chat announced with the first one", seconds: 30) {
                    try await admin.posts(channelID: index.id, since: 1).contains {
                        $0.deleteAt == 0 && $0.message.contains("Ulla \(suffix)") && $0.message.contains("**Earlier chats:** [")
                            && $0.message.contains(firstRoom)
                    }
                }
                try await eventually("the returning chat's room made", seconds: 30) {
                    try await baton.services.store.taskCount(widgetKey: "demo") == 0
                }
            }
            try? await admin.archiveChannel(id: index.id)
        }
    }
}

enum RandomIDs {
    static func short() -> String { String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8)) }
}

/// Runs against a real Mattermost when MATTERMOST_URL, MATTERMOST_USERNAME,
/// MATTERMOST_PASSWORD and MATTERMOST_TEAM are set (docs/mattermost.md); skipped otherwise.
@Suite(.enabled(if: MattermostServerAccess.fromEnvironment != nil, "set MATTERMOST_URL, _USERNAME, _PASSWORD and _TEAM to run"))
struct RealMattermostTests {
    @Test(.timeLimit(.minutes(2))) func theWholeHandoverAgainstARealMattermost() async throws {
        try await RealServerScenario.run(try #require(MattermostServerAccess.fromEnvironment))
    }

    @Test(.timeLimit(.minutes(2))) func aThreadPerChatAgainstARealMattermost() async throws {
        try await RealServerScenario.run(try #require(MattermostServerAccess.fromEnvironment), rooms: .thread)
    }
}

/// The real-server scenario itself is kept working by running it against the stand-in.
@Suite struct RealServerScenarioTests {
    @Test func theRealServerScenarioRunsAgainstTheStandIn() async throws {
        try await MattermostSandbox.run { sandbox in
            sandbox.addTeam(name: "baton-tests", displayName: "Baton tests")
            sandbox.addUser(username: "admin", password: "admin-password", admin: true)
            sandbox.addToTeam("admin", team: "baton-tests")
            let access = MattermostServerAccess(url: sandbox.url, username: "admin", password: "admin-password", team: "baton-tests")
            // Twice on one server, as two Batons with their own databases would: the
            // message ids of the second repeat the first's.
            try await RealServerScenario.run(access)
            try await RealServerScenario.run(access, rooms: .thread)
        }
    }
}
