import BatonCore
import Testing

/// The notice a waiting visitor gets when the agents are reminded of them.
@Suite struct StillWaitingTests {
    @Test func aWaitingVisitorIsToldOnceAndNotAfterAnAgentJoined() async throws {
        let store = InMemoryChatStore()
        let widget = Widget(key: "w1", name: "W", botSource: "", createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget]), agents: FakeDesk(connected: true),
                               hashToken: { "h:" + $0 })
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        let id = session.conversation.id
        // Still with the bot: nothing to say.
        #expect(try await chat.stillWaiting(id, externalID: "remind-1") == .ignored)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: session, origin: 1)

        guard case .delivered = try await chat.stillWaiting(id, externalID: "remind-1") else {
            Issue.record("the waiting visitor was not told")
            return
        }
        #expect(inbox.summary(origin: 1).last?.hasPrefix("msg:system:Thanks for waiting.") == true)
        #expect(try await chat.stillWaiting(id, externalID: "remind-1") == .duplicate)
        // The notice does not move the conversation: it still waits.
        #expect(try await store.conversation(id: id)?.state == .waitingForAgent)

        _ = try await chat.agentJoined(id, name: "Alice", externalID: "join-1")
        #expect(try await chat.stillWaiting(id, externalID: "remind-2") == .ignored)

        // Alice joins the chat's next room (it moved): the visitor was told of her already.
        #expect(try await chat.agentJoined(id, name: "Alice", externalID: "join-2") == .duplicate)
        guard case .delivered = try await chat.agentJoined(id, name: "Bob", externalID: "join-3") else {
            Issue.record("a second agent was not announced")
            return
        }
        let notices = try await store.messages(in: id, after: 0, limit: 100).filter { $0.text.hasSuffix("joined the chat.") }.map(\.text)
        #expect(notices == ["Alice joined the chat.", "Bob joined the chat."])
        // Each with its meaning, for the widget to say in its language.
        let meanings = try await store.messages(in: id, after: 0, limit: 100).compactMap(\.notice)
        #expect(meanings == [Notice(.stillWaiting), Notice(.agentJoined, name: "Alice"), Notice(.agentJoined, name: "Bob")])
    }
}
