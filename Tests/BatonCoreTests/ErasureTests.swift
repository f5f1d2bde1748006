import BatonCore
import Testing

/// Erasing through the chat service: the visitor's widgets are told, what the service
/// remembers is dropped, and a chat with the agents stays until it is closed and its
/// Mattermost work is done.
@Suite struct ErasureTests {
    let store = InMemoryChatStore()
    let widget = Widget(key: "w1", name: "W", botSource: "", createdAt: 1, updatedAt: 1)

    func service(agents: Bool = false) -> ChatService {
        ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget]), agents: FakeDesk(connected: agents),
                    hashToken: { "h:" + $0 })
    }

    @Test func anErasedConversationIsForgottenAndTheNextMessageStartsANewOne() async throws {
        let chat = service()
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await chat.receive(VisitorInput(text: "one"), clientID: "a", from: session, origin: 1)
        let erased = session.conversation.id

        #expect(try await chat.erase(conversation: erased) == .erased([erased]))
        #expect(inbox.summary(origin: 1).last == "erased:\(erased)")
        #expect(try await store.conversation(id: erased) == nil)
        #expect(try await chat.erase(conversation: erased) == .notFound)

        // The service does not write to the conversation it remembered: a new one starts.
        _ = try await chat.receive(VisitorInput(text: "two"), clientID: "b", from: session, origin: 1)
        let latest = try #require(try await store.latestConversation(of: session.visitor.id))
        #expect(latest.id != erased)
        #expect(try await store.messages(in: latest.id, after: 0, limit: 10).map(\.text) == ["Hello!", "two", "echo: two"])
        // The same token resumes the new conversation.
        let again = try await chat.open(widgetKey: "w1", token: session.newToken, subscription: 2, sink: { _ in })
        #expect(again.conversation.id == latest.id)
    }

    @Test func aChatWithTheAgentsStaysUntilItIsClosedAndItsWorkIsDone() async throws {
        let chat = service(agents: true)
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: session, origin: 1)
        let id = session.conversation.id
        #expect(try await store.conversation(id: id)?.state == .waitingForAgent)
        #expect(try await chat.erase(conversation: id) == .open(id))
        #expect(try await chat.erase(visitor: session.visitor.id) == .open(id))

        // Closed, with the room's closing still to do in Mattermost.
        _ = try await chat.closeConversation(id, closedBy: "Alice")
        #expect(try await chat.erase(conversation: id) == .busy(id))
        let tasks = try await store.tasks(of: id, widgetKey: "w1", limit: 10)
        try await store.completeTasks(tasks.map(\.id))
        #expect(try await chat.erase(conversation: id) == .erased([id]))
    }

    @Test func anErasedVisitorsWidgetsAreToldAndTheTokenOpensNothing() async throws {
        let chat = service()
        let tab1 = Inbox(), tab2 = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: tab1.sink)
        _ = try await chat.open(widgetKey: "w1", token: session.newToken, subscription: 2, sink: tab2.sink)
        _ = try await chat.receive(VisitorInput(text: "one"), clientID: "a", from: session, origin: 1)

        #expect(try await chat.erase(visitor: session.visitor.id) == .erased([session.conversation.id]))
        #expect(tab1.summary(origin: 1).last == "erased")
        #expect(tab2.summary(origin: 2).last == "erased")
        #expect(try await store.visitor(id: session.visitor.id) == nil)
        await #expect(throws: ChatError.unknownVisitor) {
            try await chat.open(widgetKey: "w1", token: session.newToken, subscription: 3, sink: { _ in })
        }
        #expect(try await chat.erase(visitor: session.visitor.id) == .notFound)
    }

    @Test func theSweepErasesWhatIsOldAndMayGoAndKeepsTheRest() async throws {
        let chat = service(agents: true)
        // One visitor only talked to the bot; one is with the agents; one's chat is closed
        // but its room's closing is still queued.
        let quiet = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        let helped = try await chat.open(widgetKey: "w1", token: nil, subscription: 2, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: helped, origin: 2)
        let closing = try await chat.open(widgetKey: "w1", token: nil, subscription: 3, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: closing, origin: 3)
        for task in try await store.tasks(of: closing.conversation.id, widgetKey: "w1", limit: 10) { try await store.completeTask(task.id) }
        _ = try await chat.closeConversation(closing.conversation.id, closedBy: nil)

        // Nothing is old enough yet.
        #expect(try await chat.sweep(before: quiet.conversation.createdAt - 1) == SweepResult())

        let result = try await chat.sweep(before: Millis.now() + 60_000, batch: 1)
        #expect(result.conversations == 1 && result.visitors == 1 && result.kept == 1)
        #expect(try await store.visitor(id: quiet.visitor.id) == nil)
        #expect(try await store.conversation(id: helped.conversation.id)?.state == .waitingForAgent)
        #expect(try await store.conversation(id: closing.conversation.id)?.state == .closed)

        // Once the work is done, the closed chat and its visitor go too.
        for task in try await store.tasks(of: closing.conversation.id, widgetKey: "w1", limit: 10) { try await store.completeTask(task.id) }
        let later = try await chat.sweep(before: Millis.now() + 60_000)
        #expect(later.conversations == 1 && later.visitors == 1 && later.kept == 0)
        #expect(try await store.visitor(id: closing.visitor.id) == nil)
        #expect(try await store.visitor(id: helped.visitor.id) != nil)
    }
}
