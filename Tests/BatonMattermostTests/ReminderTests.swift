import BatonCore
import BatonServer
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// A visitor nobody answers is not forgotten: once their room has waited long enough with
/// no agent in it, the index channel says so, once, and only while the widget's working
/// hours are open.
@Suite struct ReminderTests {
    /// The reminder's delay: a room an agent joins must see the join within it (Henry's,
    /// below), so it is kept well above what a handover and a join take on a busy machine.
    static let wait = Duration.seconds(4)

    /// The index channel's reminders, oldest first.
    static func reminders(_ rig: HandoverRig) -> [String] {
        guard let index = rig.indexChannel else { return [] }
        return rig.messages(in: index.id).filter { $0.contains("has been waiting") }
    }

    @Test func aVisitorNobodyJoinedIsRemindedOfOnceAndOneAnAgentJoinedIsNot() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.remindAgentsAfter = Self.wait }) { rig in
            try await rig.connect()
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let graceChat = ConversationID(try await talkUntilHandover(grace, name: "Grace"))
                let graceRoom = try await rig.waitForRoom(graceChat.rawValue)
                // Henry's chat is taken at once.
                let henryChat = Collected<String>()
                // Whether Baton knew of Alice's join before Henry's room had waited the delay
                // (a starved machine can take longer, and then the reminder is right).
                let joinedInTime = Collected<Bool>()
                try await WidgetClient.connect(rig.baton.socketURL) { henry in
                    henryChat.append(try await talkUntilHandover(henry, name: "Henry", email: "henry@example.com"))
                    let room = try await rig.waitForRoom(henryChat.last!)
                    try rig.sandbox.post(as: "alice", in: room.id, "Hi Henry")
                    try await henry.message(containing: "Alice Archer joined the chat.")
                    let opened = try #require(try await store.room(for: ConversationID(henryChat.last!))).createdAt
                    joinedInTime.append(Millis.now() - opened < Millis(Self.wait))
                }
                try await eventually("the reminder of Grace") { !Self.reminders(rig).isEmpty }
                let reminder = try #require(Self.reminders(rig).first)
                #expect(reminder.contains("**Grace** has been waiting for"))
                #expect(reminder.contains("[Join the conversation](\(try #require(try await store.room(for: graceChat)).link))"))
                #expect(reminder.contains(graceRoom.name))
                // Grace hears she is not forgotten.
                let notice = try await grace.message(containing: "Thanks for waiting")
                #expect(notice.message["role"] as? String == "system")
                // Long enough for Henry's room to have waited too, and for more passes.
                try await Task.sleep(for: .seconds(3))
                #expect(Self.reminders(rig).filter { $0.contains("Grace") }.count == 1)
                if joinedInTime.last == true {
                    #expect(Self.reminders(rig).count == 1)
                    #expect(!Self.reminders(rig).contains { $0.contains("Henry") })
                    let henryTexts = try await store.messages(in: ConversationID(henryChat.last!), after: 0, limit: 100).map(\.text)
                    #expect(!henryTexts.contains { $0.contains("Thanks for waiting") })
                }
                let graceTexts = try await store.messages(in: graceChat, after: 0, limit: 100).map(\.text)
                #expect(graceTexts.filter { $0.contains("Thanks for waiting") }.count == 1)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// An agent who replies under the reminder (a post with a reply arrow like any) is
    /// told, once, that the visitor does not see that thread, with the chat's link (the
    /// reply was lost without a word).
    @Test func aReplyUnderTheReminderIsPointedToTheChat() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.remindAgentsAfter = .seconds(1) }) { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let chat = ConversationID(try await talkUntilHandover(grace, name: "Grace"))
                _ = try await rig.waitForRoom(chat.rawValue)
                let link = try #require(try await rig.baton.services.store.room(for: chat)).link
                let index = try #require(rig.indexChannel)
                try await eventually("the reminder") { !Self.reminders(rig).isEmpty }
                let reminder = try #require(rig.sandbox.posts(in: index.id).first { $0.message.contains("has been waiting") })
                for text in ["Hi Grace, I'm here", "and here"] {
                    _ = try rig.sandbox.post(as: "alice", in: index.id, text, rootID: reminder.id)
                }
                try await eventually("alice told where the chat is") {
                    rig.sandbox.ephemeralPosts(for: "alice").contains { $0.message.contains("This thread is the reminder's") }
                }
                let told = rig.sandbox.ephemeralPosts(for: "alice").filter { $0.message.contains("This thread is the reminder's") }
                #expect(told.count == 1 && told[0].message.contains(link) && told[0].message.contains("**Grace**"), "\(told.map(\.message))")
                #expect(told[0].rootID == reminder.id)
            }
        }
    }

    /// A reminder does not go on saying nobody joined: once an agent takes the chat it is
    /// struck through and says who; once the chat ends with nobody, it says so.
    @Test func aReminderIsMarkedOnceTheChatIsTakenOrEnds() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.remindAgentsAfter = .seconds(1) }) { rig in
            try await rig.connect()
            let index = try #require(rig.indexChannel)
            @Sendable func reminder(of name: String) -> String? {
                rig.messages(in: index.id).first { $0.contains("**\(name)** has been waiting") }
            }
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let room = try await rig.waitForRoom(try await talkUntilHandover(grace, name: "Grace"))
                try await eventually("Grace's reminder") { reminder(of: "Grace") != nil }
                #expect(reminder(of: "Grace")?.hasPrefix(":hourglass_flowing_sand:") == true)
                try rig.sandbox.post(as: "alice", in: room.id, "Hi Grace")
                try await grace.message(containing: "Hi Grace")
                try await eventually("Grace's reminder marked taken") { reminder(of: "Grace")?.hasSuffix("~~ :raising_hand: **Taken by Alice Archer**") == true }
                let text = try #require(reminder(of: "Grace"))
                #expect(text.hasPrefix("~~:hourglass_flowing_sand: **Grace** has been waiting for under a minute and no agent has joined yet. [Join the conversation]("),
                        "\(text)")
            }
            try await WidgetClient.connect(rig.baton.socketURL) { henry in
                _ = try await rig.waitForRoom(try await talkUntilHandover(henry, name: "Henry"))
                try await eventually("Henry's reminder") { reminder(of: "Henry") != nil }
                try await henry.send(["type": "end"])
                try await eventually("Henry's reminder marked ended") {
                    reminder(of: "Henry")?.hasSuffix("~~ :white_check_mark: **Ended before an agent joined**") == true
                }
            }
            // Each reminder was edited, not posted again.
            #expect(rig.messages(in: index.id).filter { $0.contains("has been waiting") }.count == 2)
            #expect(try rig.contractViolations() == [])
        }
    }

    @Test func outsideWorkingHoursTheReminderWaitsForThemToOpen() async throws {
        try await HandoverRig.run(baton: { $0.mattermostLimits.remindAgentsAfter = Self.wait }) { rig in
            try await rig.connect()
            // The hours are closed (today is a holiday) before the visitor comes: closing
            // them after the handover raced the reminder on a slow machine (the room had
            // waited its delay before the hours were saved).
            let bots = rig.baton.services.bots
            var widget = try #require(try await rig.baton.services.store.widget(key: "demo"))
            let today = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            widget.settings.workingHours = WorkingHours(timeZone: "UTC", days: Array(repeating: [.init(from: 0, to: 1440)], count: 7),
                                                        closedDates: [today])
            _ = try await bots.save(widget)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                // Handed over all the same, with the away message instead.
                _ = try await rig.waitForRoom(try await talkUntilHandover(client, name: "Grace", handedOver: "We're away right now"))
            }
            // The visitor waits longer than the reminder's delay, with the hours closed.
            try await Task.sleep(for: Self.wait + .seconds(2))
            #expect(Self.reminders(rig).isEmpty)
            // Open again: the agents are reminded.
            widget.settings.workingHours = nil
            _ = try await bots.save(widget)
            try await eventually("the reminder once the hours open") { Self.reminders(rig).count == 1 }
        }
    }

    @Test func theDelayIsReadFromTheEnvironment() throws {
        #expect(try BatonConfiguration.fromEnvironment([:]).mattermostLimits.remindAgentsAfter == .seconds(300))
        #expect(try BatonConfiguration.fromEnvironment(["BATON_REMIND_AGENTS_AFTER": "15"]).mattermostLimits.remindAgentsAfter == .seconds(900))
        #expect(try BatonConfiguration.fromEnvironment(["BATON_REMIND_AGENTS_AFTER": "0"]).mattermostLimits.remindAgentsAfter == nil)
        for bad in ["-1", "1441", "soon"] {
            #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_REMIND_AGENTS_AFTER": bad]) }
        }
    }
}
