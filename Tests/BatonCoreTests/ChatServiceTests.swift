import BatonCore
import Foundation
import Synchronization
import Testing

/// A bot that echoes, hands over on "human", and asks a question on "ask".
struct EchoBot: ChatBot {
    var name = "Echo"
    var language: String?
    func greet(_ conversation: inout Conversation) -> [BotReply] { [BotReply("Hello!", buttons: [QuickReply(title: "Human", action: "handover")])] }
    func noAgentsReply(_ conversation: Conversation) -> BotReply { BotReply("Nobody is here, \(conversation.variable("name") ?? "friend").") }
    func fill(_ text: String, for conversation: Conversation) -> String {
        text.replacingOccurrences(of: "{{name}}", with: conversation.variable("name") ?? "friend")
    }
    func respond(to input: VisitorInput, in conversation: inout Conversation) -> BotOutcome {
        if input.action == "handover" || input.text == "human" {
            return BotOutcome(replies: [], handover: HandoverRequest(reason: "asked", message: BotReply("Connecting…")))
        }
        if input.text == "ask" {
            try? conversation.move(to: .collecting)
            return BotOutcome(replies: [BotReply("Your name?")])
        }
        if conversation.state == .collecting {
            conversation.set("name", to: input.text)
            try? conversation.move(to: .bot)
            return BotOutcome(replies: [BotReply("Thanks \(input.text)")])
        }
        return BotOutcome(replies: [BotReply("echo: \(input.text)")])
    }
}

struct FixedDirectory: BotDirectory {
    let widgets: [String: Widget]
    var bot = EchoBot()
    func widget(forKey key: String) async throws -> (widget: Widget, bot: any ChatBot)? {
        widgets[key].map { ($0, bot) }
    }
}

/// An agent desk that records what it was told.
final class FakeDesk: AgentDesk {
    let connected: Bool
    let woken = Mutex<[String]>([])
    let typing = Mutex<[(ConversationID, Bool)]>([])
    init(connected: Bool) { self.connected = connected }
    func isConnected(widgetKey: String) async -> Bool { connected }
    func tasksAdded(widgetKey: String, conversation: ConversationID) { woken.withLock { $0.append(widgetKey) } }
    func visitorTyping(in conversation: Conversation, active: Bool) async { typing.withLock { $0.append((conversation.id, active)) } }
}

/// Collects what a subscription receives.
final class Inbox: Sendable {
    let events = Mutex<[ChatEvent]>([])
    var sink: ChatHub.Sink { { event in self.events.withLock { $0.append(event) } } }
    var all: [ChatEvent] { events.withLock { $0 } }
    /// A compact description of the events: "open", "ack:text", "msg:role:text", "state:s", "new".
    func summary(origin: SubscriptionID) -> [String] {
        all.map { event in
            switch event {
            case .opened: "open"
            case .message(let m, let o): o == origin ? "ack:\(m.text)" : "msg:\(m.role.rawValue):\(m.text)"
            case .state(_, let s): "state:\(s.rawValue)"
            case .conversationStarted: "new"
            case .typing: "typing"
            case .erased(let id): id.map { "erased:\($0)" } ?? "erased"
            }
        }
    }
}

@Suite struct ChatServiceTests {
    let store = InMemoryChatStore()
    let widget = Widget(key: "w1", name: "W", botSource: "", createdAt: 1, updatedAt: 1)
    let other = Widget(key: "w2", name: "W2", botSource: "", createdAt: 1, updatedAt: 1)

    func service(agents: Bool = false, maxText: Int = 20) -> ChatService {
        ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget, "w2": other]), agents: FakeDesk(connected: agents),
                    policy: ChatPolicy(maxTextLength: maxText), hashToken: { "h:" + $0 })
    }

    @Test func aWidgetsOwnGreetingReplacesTheBotsText() async throws {
        let shop = Widget(key: "w3", name: "Shop", botSource: "", settings: WidgetSettings(greeting: "  Welcome to the shop!  "),
                          createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w3": shop]), hashToken: { "h:" + $0 })
        let session = try await chat.open(widgetKey: "w3", token: nil, subscription: 1, sink: Inbox().sink)
        #expect(session.messages.map(\.text) == ["Welcome to the shop!"])
        // The bot's buttons stay.
        #expect(session.messages.first?.buttons == [QuickReply(title: "Human", action: "handover")])
    }

    /// A returning visitor's name in the widget's greeting, as in the bot's own texts.
    @Test func aWidgetsOwnGreetingIsFilledInByTheBot() async throws {
        let shop = Widget(key: "w3", name: "Shop", botSource: "", settings: WidgetSettings(greeting: "Welcome, {{name}}!"), createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w3": shop]), hashToken: { "h:" + $0 })
        let session = try await chat.open(widgetKey: "w3", token: nil, subscription: 1, sink: Inbox().sink)
        #expect(session.messages.map(\.text) == ["Welcome, friend!"])
        _ = try await chat.receive(VisitorInput(text: "ask"), clientID: "a", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "Grace"), clientID: "b", from: session, origin: 1)
        try await chat.closeConversation(session.conversation.id, closedBy: nil)
        _ = try await chat.receive(VisitorInput(text: "hello again"), clientID: "c", from: session, origin: 1)
        let next = try #require(try await store.latestConversation(of: session.visitor.id))
        #expect(next.id != session.conversation.id)
        #expect(try await store.messages(in: next.id, after: 0, limit: 10).first?.text == "Welcome, Grace!")
    }

    @Test func aNewVisitorGetsATokenAndTheGreeting() async throws {
        let chat = service()
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        let token = try #require(session.newToken)
        #expect(session.messages.map(\.text) == ["Hello!"])
        #expect(session.messages.first?.buttons == [QuickReply(title: "Human", action: "handover")])
        #expect(session.conversation.state == .bot)
        #expect(inbox.summary(origin: 1) == ["open"])
        // Only the token's hash is stored.
        let stored = try #require(try await store.visitor(id: session.visitor.id))
        #expect(stored.tokenHash == "h:" + token)
        #expect(try await store.visitor(tokenHash: token) == nil)
    }

    /// An admin trying the widget: the conversation they open and the ones they start
    /// after it are marked as tries; a visitor's are not.
    @Test func anAdminsConversationsAreMarkedAsTries() async throws {
        let chat = service()
        var session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        session.triedBy = "admin@example.com"
        try await chat.markTried(session)
        #expect(store.triedBy(session.conversation.id) == "admin@example.com")
        try await chat.closeConversation(session.conversation.id, closedBy: nil)
        _ = try await chat.receive(VisitorInput(text: "again"), clientID: "a", from: session, origin: 1)
        let next = try #require(try await store.latestConversation(of: session.visitor.id))
        #expect(next.id != session.conversation.id && store.triedBy(next.id) == "admin@example.com")
        let visitor = try await chat.open(widgetKey: "w1", token: nil, subscription: 2, sink: { _ in })
        try await chat.markTried(visitor)
        try await chat.closeConversation(visitor.conversation.id, closedBy: nil)
        _ = try await chat.receive(VisitorInput(text: "again"), clientID: "b", from: visitor, origin: 2)
        let visitorsNext = try #require(try await store.latestConversation(of: visitor.visitor.id))
        #expect(store.triedBy(visitor.conversation.id) == nil && store.triedBy(visitorsNext.id) == nil)
    }

    @Test func aTokenResumesWithWhatTheWidgetMissed() async throws {
        let chat = service()
        let first = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "one"), clientID: "a", from: first, origin: 1)
        let lastSeen = try await store.messages(in: first.conversation.id, after: 0, limit: 10).last!.id
        _ = try await chat.receive(VisitorInput(text: "two"), clientID: "b", from: first, origin: 1)

        let resumed = try await chat.open(widgetKey: "w1", token: first.newToken, lastSeen: lastSeen, subscription: 2, sink: { _ in })
        #expect(resumed.newToken == nil)
        #expect(resumed.visitor.id == first.visitor.id)
        #expect(resumed.messages.map(\.text) == ["two", "echo: two"])
        let all = try await chat.open(widgetKey: "w1", token: first.newToken, subscription: 3, sink: { _ in })
        #expect(all.messages.map(\.text) == ["Hello!", "one", "echo: one", "two", "echo: two"])
        #expect(!all.truncated)
        // Past the history's limit, the newest: the latest replies, not the first ones.
        let short = ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget]), agents: FakeDesk(connected: false),
                                policy: ChatPolicy(maxTextLength: 20, historyLimit: 3), hashToken: { "h:" + $0 })
        let newest = try await short.open(widgetKey: "w1", token: first.newToken, subscription: 4, sink: { _ in })
        #expect(newest.truncated && newest.messages.map(\.text) == ["echo: one", "two", "echo: two"], "\(newest.messages.map(\.text))")
    }

    @Test func aSignedInUserIsTheSameVisitorInEveryBrowser() async throws {
        let chat = service()
        let ada = VisitorIdentity(id: "42", name: "Ada Lovelace", email: "ada@example.com")
        let laptop = try await chat.open(widgetKey: "w1", token: nil, identity: ada, subscription: 1, sink: { _ in })
        // Recognised by the identity: no token to keep. The name and email are known, so
        // the bot need not ask for them.
        #expect(laptop.newToken == nil)
        #expect(laptop.visitor.externalID == "42" && laptop.visitor.name == "Ada Lovelace")
        #expect(laptop.conversation.variable("name") == "Ada Lovelace" && laptop.conversation.variable("email") == "ada@example.com")
        _ = try await chat.receive(VisitorInput(text: "from the laptop"), clientID: "a", from: laptop, origin: 1)

        let phone = try await chat.open(widgetKey: "w1", token: nil, identity: VisitorIdentity(id: "42"), subscription: 2, sink: { _ in })
        #expect(phone.visitor.id == laptop.visitor.id && phone.conversation.id == laptop.conversation.id)
        #expect(phone.messages.map(\.text) == ["Hello!", "from the laptop", "echo: from the laptop"])
        // Another widget's user 42 is another visitor.
        let elsewhere = try await chat.open(widgetKey: "w2", token: nil, identity: VisitorIdentity(id: "42"), subscription: 3, sink: { _ in })
        #expect(elsewhere.visitor.id != laptop.visitor.id)
        #expect(try await store.visitor(widgetKey: "w1", externalID: "42")?.id == laptop.visitor.id)
    }

    @Test func signingInKeepsTheChatOfThisBrowserAndSigningOutDoesNotShowIt() async throws {
        let chat = service()
        let anonymous = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "before signing in"), clientID: "a", from: anonymous, origin: 1)
        // The page now says who is signed in, and the widget still has its token: the
        // chat goes on, as that user's.
        let signedIn = try await chat.open(widgetKey: "w1", token: anonymous.newToken, identity: VisitorIdentity(id: "u-7", name: "Grace"),
                                           subscription: 2, sink: { _ in })
        #expect(signedIn.visitor.id == anonymous.visitor.id && signedIn.conversation.id == anonymous.conversation.id)
        let stored = try #require(try await store.visitor(id: anonymous.visitor.id))
        #expect(stored.externalID == "u-7" && stored.name == "Grace")
        // The bot was not asking anything: the chat learns the name, and will not ask it.
        #expect(signedIn.conversation.variable("name") == "Grace")
        #expect(try await store.conversation(id: anonymous.conversation.id)?.variable("name") == "Grace")
        // Signed out, the same browser's token opens nothing: the widget starts afresh.
        await #expect(throws: ChatError.unknownVisitor) {
            try await chat.open(widgetKey: "w1", token: anonymous.newToken, subscription: 3, sink: { _ in })
        }
        // Another user signing in on this browser does not get that chat either.
        let other = try await chat.open(widgetKey: "w1", token: anonymous.newToken, identity: VisitorIdentity(id: "u-8"), subscription: 4, sink: { _ in })
        #expect(other.visitor.id != anonymous.visitor.id)
        #expect(other.messages.map(\.text) == ["Hello!"])
    }

    @Test func twoTabsOfANewUserOpeningAtOnceGetOneVisitor() async throws {
        let chat = service()
        let ids = try await withThrowingTaskGroup(of: VisitorID.self) { group in
            for tab in 1...4 {
                group.addTask {
                    try await chat.open(widgetKey: "w1", token: nil, identity: VisitorIdentity(id: "new"), subscription: SubscriptionID(tab),
                                        sink: { _ in }).visitor.id
                }
            }
            return try await group.reduce(into: Set<VisitorID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
    }

    @Test func outsideWorkingHoursTheRoomIsOpenedAndTheVisitorToldWhenPeopleAreBack() async throws {
        var settings = WidgetSettings()
        settings.workingHours = WorkingHoursTests.office
        let shop = Widget(key: "w3", name: "Shop", botSource: "", settings: settings, createdAt: 1, updatedAt: 1)
        let desk = FakeDesk(connected: true)
        let time = Mutex<Millis>(Millis(WorkingHoursTests.utc("2026-12-12T10:00:00").timeIntervalSince1970 * 1000))  // a Saturday
        // The shop's chat, as `widget`, with `bot`.
        func service(_ widget: Widget, bot: EchoBot = EchoBot()) -> ChatService {
            ChatService(store: store, bots: FixedDirectory(widgets: ["w3": widget], bot: bot), agents: desk,
                        clock: { time.withLock { $0 } }, hashToken: { "h:" + $0 })
        }
        let chat = service(shop)
        let saturday = try await chat.open(widgetKey: "w3", token: nil, subscription: 1, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "a", from: saturday, origin: 1)
        let said = try await store.messages(in: saturday.conversation.id, after: 0, limit: 10).map(\.text)
        #expect(said.last == "We're away right now and back on Monday at 09:00 (Europe/Berlin time). Leave your message here: we'll reply as soon as we're in.")
        let waiting = try #require(try await store.conversation(id: saturday.conversation.id))
        #expect(waiting.state == .waitingForAgent)
        #expect(waiting.progress.handoverReason == "asked (outside working hours)")
        // The room is opened all the same: agents find it when they are back.
        #expect(desk.woken.withLock { $0 } == ["w3"])

        // On a Monday morning the bot's own handover message.
        time.withLock { $0 = Millis(WorkingHoursTests.utc("2026-12-14T09:00:00").timeIntervalSince1970 * 1000) }
        let monday = try await chat.open(widgetKey: "w3", token: nil, subscription: 2, sink: { _ in })
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "b", from: monday, origin: 2)
        #expect(try await store.messages(in: monday.conversation.id, after: 0, limit: 10).last?.text == "Connecting…")

        // A widget that shows French (no Language set for it): the default in French.
        time.withLock { $0 = Millis(WorkingHoursTests.utc("2026-12-12T10:00:00").timeIntervalSince1970 * 1000) }
        var french = try await chat.open(widgetKey: "w3", token: nil, subscription: 3, sink: { _ in })
        french.widgetLanguage = "fr"
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "c", from: french, origin: 3)
        #expect(try await store.messages(in: french.conversation.id, after: 0, limit: 10).last?.text
            == "Nous sommes absents pour le moment et de retour lundi à 09:00 (heure de Europe/Berlin). Laissez votre message ici : nous répondrons dès notre retour.")
        // Set for the widget, its Language wins.
        var german = shop
        german.settings.language = "de"
        let fixed = service(german)
        var anyway = try await fixed.open(widgetKey: "w3", token: nil, subscription: 4, sink: { _ in })
        anyway.widgetLanguage = "fr"
        _ = try await fixed.receive(VisitorInput(text: "human"), clientID: "d", from: anyway, origin: 4)
        #expect(try await store.messages(in: anyway.conversation.id, after: 0, limit: 10).last?.text.hasPrefix("Wir sind gerade nicht da und am Montag um 09:00") == true)
        // A bot that says it speaks Dutch: the widget is told so, and without a Language
        // setting the away message is Dutch whatever the widget showed.
        let dutchBot = service(shop, bot: EchoBot(language: "nl"))
        var dutch = try await dutchBot.open(widgetKey: "w3", token: nil, subscription: 5, sink: { _ in })
        #expect(dutch.botLanguage == "nl" && dutch.language == "nl")
        dutch.widgetLanguage = "fr"
        _ = try await dutchBot.receive(VisitorInput(text: "human"), clientID: "e", from: dutch, origin: 5)
        #expect(try await store.messages(in: dutch.conversation.id, after: 0, limit: 10).last?.text.hasPrefix("We zijn er nu niet en zijn op maandag om 09:00") == true)
        // The widget's Language still wins over the bot's.
        let both = service(german, bot: EchoBot(language: "nl"))
        let germanWidget = try await both.open(widgetKey: "w3", token: nil, subscription: 6, sink: { _ in })
        #expect(germanWidget.language == "de")
        _ = try await both.receive(VisitorInput(text: "human"), clientID: "f", from: germanWidget, origin: 6)
        #expect(try await store.messages(in: germanWidget.conversation.id, after: 0, limit: 10).last?.text.hasPrefix("Wir sind gerade nicht da") == true)
    }

    @Test func unknownWidgetsAndTokensAreRefused() async throws {
        let chat = service()
        await #expect(throws: ChatError.unknownWidget("nope")) { try await chat.open(widgetKey: "nope", token: nil, subscription: 1, sink: { _ in }) }
        await #expect(throws: ChatError.unknownVisitor) { try await chat.open(widgetKey: "w1", token: "forged", subscription: 1, sink: { _ in }) }
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        // A token is only good for the widget that issued it.
        await #expect(throws: ChatError.unknownVisitor) { try await chat.open(widgetKey: "w2", token: session.newToken, subscription: 2, sink: { _ in }) }
    }

    @Test func aMessageIsAcknowledgedBeforeTheReplyInEveryTab() async throws {
        let chat = service()
        let tab1 = Inbox(), tab2 = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: tab1.sink)
        try await chat.open(widgetKey: "w1", token: session.newToken, subscription: 2, sink: tab2.sink)
        let receipt = try await chat.receive(VisitorInput(text: "hi"), clientID: "c1", from: session, origin: 1)
        guard case .stored(let id) = receipt else { Issue.record("not stored: \(receipt)"); return }
        #expect(id > 0)
        #expect(tab1.summary(origin: 1) == ["open", "ack:hi", "msg:bot:echo: hi"])
        // The other tab sees the visitor's message as a message.
        #expect(tab2.summary(origin: 2) == ["open", "msg:visitor:hi", "msg:bot:echo: hi"])
    }

    @Test func aResentClientIDIsStoredOnceAndNotAnsweredAgain() async throws {
        let chat = service()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        let first = try await chat.receive(VisitorInput(text: "hi"), clientID: "same", from: session, origin: 1)
        let again = try await chat.receive(VisitorInput(text: "hi"), clientID: "same", from: session, origin: 1)
        guard case .stored(let id) = first else { Issue.record("first not stored"); return }
        #expect(again == .duplicate(id))
        let texts = try await store.messages(in: session.conversation.id, after: 0, limit: 100).map(\.text)
        #expect(texts == ["Hello!", "hi", "echo: hi"])
    }

    @Test func handoverWithoutAgentsWaitsAndSaysNobodyIsThere() async throws {
        let chat = service(agents: false)
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await chat.receive(VisitorInput(text: "ask"), clientID: "1", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "Ann"), clientID: "2", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "Human", action: "handover"), clientID: "3", from: session, origin: 1)
        #expect(inbox.summary(origin: 1) == [
            "open", "ack:ask", "state:collecting", "msg:bot:Your name?", "ack:Ann", "state:bot", "msg:bot:Thanks Ann",
            "ack:Human", "state:waiting_for_agent", "msg:bot:Nobody is here, Ann.",
        ])
        let conversation = try #require(try await store.conversation(id: session.conversation.id))
        #expect(conversation.state == .waitingForAgent)
        #expect(conversation.progress.handoverReason == "asked")
        // The collected name is copied to the visitor.
        #expect(try await store.visitor(id: session.visitor.id)?.name == "Ann")
        // Waiting: the bot no longer answers.
        _ = try await chat.receive(VisitorInput(text: "hello?"), clientID: "4", from: session, origin: 1)
        #expect(inbox.summary(origin: 1).last == "ack:hello?")
    }

    @Test func handoverWithAgentsSaysTheHandoverMessage() async throws {
        let chat = service(agents: true)
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "1", from: session, origin: 1)
        #expect(inbox.summary(origin: 1).suffix(2) == ["state:waiting_for_agent", "msg:bot:Connecting…"])
    }

    /// The visitor ends a chat with the agents: closed with a notice naming them, the room
    /// to be told; their next message starts over with the bot. Only a handed-over chat
    /// can be ended.
    @Test func theVisitorEndsAChatWithTheAgents() async throws {
        let chat = service(agents: true)
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        await #expect(throws: ChatError.nothingToEnd) { try await chat.visitorEndsChat(in: session) }
        _ = try await chat.receive(VisitorInput(text: "ask"), clientID: "1", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "Ann"), clientID: "2", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "Human", action: "handover"), clientID: "3", from: session, origin: 1)
        #expect(try await store.conversation(id: session.conversation.id)?.state == .waitingForAgent)

        try await chat.visitorEndsChat(in: session)
        #expect(inbox.summary(origin: 1).suffix(2) == ["msg:system:Ann ended the chat.", "state:closed"])
        // With its meaning, for the widget to say in its language.
        #expect(try await store.messages(in: session.conversation.id, after: 0, limit: 100).last?.notice == Notice(.visitorEnded, name: "Ann"))
        #expect(try await store.conversation(id: session.conversation.id)?.state == .closed)
        let tasks = try await store.tasks(of: session.conversation.id, widgetKey: "w1", limit: 10).map(\.task)
        #expect(tasks.last == .closeRoom(closedBy: "Ann", roomArchived: false, endedByVisitor: true))
        // Once ended there is nothing left to end; the next message starts a new conversation.
        await #expect(throws: ChatError.nothingToEnd) { try await chat.visitorEndsChat(in: session) }
        _ = try await chat.receive(VisitorInput(text: "back"), clientID: "4", from: session, origin: 1)
        #expect(inbox.summary(origin: 1).suffix(4) == ["new", "msg:bot:Hello!", "ack:back", "msg:bot:echo: back"])
    }

    /// A chat with the agents that ended is rated once: kept with its answers, a notice in
    /// the transcript, the room told. Open chats, chats that never left the bot, older
    /// chats and a second rating are refused; so is any rating where the widget asks none.
    @Test func theVisitorRatesAChatWithTheAgentsOnce() async throws {
        let chat = service(agents: true)
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        let first = session.conversation.id
        // The bot's own chat, closed: it never went to the agents.
        _ = try await chat.closeConversation(first, closedBy: nil)
        await #expect(throws: ChatError.cannotRate) { try await chat.rate(.good, conversation: first, in: session) }
        _ = try await chat.receive(VisitorInput(text: "ask"), clientID: "1", from: session, origin: 1)
        let second = try #require(try await store.latestConversation(of: session.visitor.id)).id
        _ = try await chat.receive(VisitorInput(text: "Ann"), clientID: "2", from: session, origin: 1)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "3", from: session, origin: 1)
        await #expect(throws: ChatError.cannotRate) { try await chat.rate(.good, conversation: second, in: session) }
        try await chat.visitorEndsChat(in: session)
        await #expect(throws: ChatError.cannotRate) { try await chat.rate(.good, conversation: first, in: session) }

        try await chat.rate(.bad, conversation: second, in: session)
        #expect(inbox.summary(origin: 1).last == "msg:system:Ann rated the chat: bad.")
        #expect(try await store.messages(in: second, after: 0, limit: 100).last?.notice == Notice(.visitorRated, name: "Ann", rating: "bad"))
        let rated = try #require(try await store.conversation(id: second))
        #expect(rated.variable(ChatRating.variable) == "bad")
        #expect(rated.state == .closed)
        #expect(try await store.tasks(of: second, widgetKey: "w1", limit: 10).map(\.task).last == .chatRated(.bad))
        await #expect(throws: ChatError.cannotRate) { try await chat.rate(.good, conversation: second, in: session) }
        #expect(try await store.conversation(id: second)?.variable(ChatRating.variable) == "bad")
    }

    @Test func noRatingWhereTheWidgetAsksNone() async throws {
        let quiet = Widget(key: "w9", name: "Quiet", botSource: "", settings: WidgetSettings(askForRating: false), createdAt: 1, updatedAt: 1)
        let chat = ChatService(store: store, bots: FixedDirectory(widgets: ["w9": quiet]), agents: FakeDesk(connected: true),
                               hashToken: { "h:" + $0 })
        let session = try await chat.open(widgetKey: "w9", token: nil, subscription: 1, sink: Inbox().sink)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "1", from: session, origin: 1)
        try await chat.visitorEndsChat(in: session)
        await #expect(throws: ChatError.cannotRate) { try await chat.rate(.good, conversation: session.conversation.id, in: session) }
    }

    @Test func aVisitorWithoutANameEndsAsTheVisitor() async throws {
        let chat = service(agents: false)
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await chat.receive(VisitorInput(text: "human"), clientID: "1", from: session, origin: 1)
        try await chat.visitorEndsChat(in: session)
        #expect(inbox.summary(origin: 1).suffix(2) == ["msg:system:The visitor ended the chat.", "state:closed"])
        // Without an agent side there is no room to tell.
        #expect(try await store.tasks(of: session.conversation.id, widgetKey: "w1", limit: 10).isEmpty)
    }

    @Test func writingToAClosedConversationStartsANewOne() async throws {
        let chat = service()
        let inbox = Inbox()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await chat.closeConversation(session.conversation.id, closedBy: nil)

        _ = try await chat.receive(VisitorInput(text: "back"), clientID: "x", from: session, origin: 1)
        #expect(inbox.summary(origin: 1).suffix(4) == ["new", "msg:bot:Hello!", "ack:back", "msg:bot:echo: back"])
        let latest = try #require(try await store.latestConversation(of: session.visitor.id))
        #expect(latest.id != session.conversation.id)
        #expect(latest.state == .bot)
        // The closed conversation is left as it was.
        #expect(try await store.messages(in: session.conversation.id, after: 0, limit: 10).map(\.text) == ["Hello!", "The chat was closed."])
        #expect(try await store.messages(in: session.conversation.id, after: 0, limit: 10).map(\.notice) == [nil, Notice(.closed)])
        #expect(try await store.conversation(id: session.conversation.id)?.state == .closed)
    }

    /// Two processes on one database: the one that runs the agent side closes the chat,
    /// while the other still has the conversation open in its cache. The visitor's next
    /// message there is not relayed to a closed room: the step is refused, read again and
    /// redone, and starts a new conversation.
    @Test func aStepOnAConversationAnotherProcessMovedIsRedoneFromTheStoredOne() async throws {
        let here = service(agents: true)
        let there = service(agents: true)
        let inbox = Inbox()
        let session = try await here.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await here.receive(VisitorInput(text: "human"), clientID: "1", from: session, origin: 1)
        _ = try await here.receive(VisitorInput(text: "anyone?"), clientID: "2", from: session, origin: 1)
        #expect(try await store.conversation(id: session.conversation.id)?.state == .waitingForAgent)
        _ = try await there.closeConversation(session.conversation.id, closedBy: "Alice")
        _ = try await here.receive(VisitorInput(text: "hello?"), clientID: "3", from: session, origin: 1)
        let latest = try #require(try await store.latestConversation(of: session.visitor.id))
        #expect(latest.id != session.conversation.id && latest.state == .bot)
        #expect(try await store.messages(in: latest.id, after: 0, limit: 10).map(\.text) == ["Hello!", "hello?", "echo: hello?"])
        #expect(try await store.messages(in: session.conversation.id, after: 0, limit: 10).map(\.text).last == "Alice closed the chat.")
        #expect(inbox.summary(origin: 1).suffix(4) == ["new", "msg:bot:Hello!", "ack:hello?", "msg:bot:echo: hello?"])
    }

    /// What another process committed reaches the widgets open here, in order, and wakes
    /// the agent side when it queued tasks.
    @Test func aStepCommittedElsewhereReachesTheWidgetsHere() async throws {
        let desk = FakeDesk(connected: true)
        let here = ChatService(store: store, bots: FixedDirectory(widgets: ["w1": widget]), agents: desk, hashToken: { "h:" + $0 })
        let there = service(agents: true)
        let inbox = Inbox()
        let session = try await here.open(widgetKey: "w1", token: nil, subscription: 1, sink: inbox.sink)
        _ = try await here.receive(VisitorInput(text: "human"), clientID: "1", from: session, origin: 1)
        let before = inbox.all.count
        // An agent's message, stored by the other process.
        let result = try await there.agentMessage(session.conversation.id, name: "Alice", text: "Hi, Alice here", externalID: "p1")
        guard case .delivered(let id) = result else { Issue.record("\(result)"); return }
        #expect(inbox.all.count == before)
        await here.applyShared(.step(visitor: session.visitor.id, conversation: session.conversation.id, widgetKey: "w1",
                                     firstMessage: id, lastMessage: id, newState: .withAgent, started: false, tasks: true))
        #expect(inbox.summary(origin: 1).suffix(2) == ["msg:agent:Hi, Alice here", "state:with_agent"])
        #expect(desk.woken.withLock { $0 }.last == "w1")
        // The visitor's next message continues from the stored state, with an agent.
        _ = try await here.receive(VisitorInput(text: "thanks"), clientID: "2", from: session, origin: 1)
        #expect(try await store.conversation(id: session.conversation.id)?.state == .withAgent)
        await here.applyShared(.typing(visitor: session.visitor.id, conversation: session.conversation.id, role: .agent, name: "Alice", active: true))
        #expect(inbox.summary(origin: 1).last == "typing")
    }

    @Test func badTextIsRefusedAndNothingIsStored() async throws {
        let chat = service(maxText: 5)
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        await #expect(throws: ChatError.textTooLong(limit: 5)) {
            try await chat.receive(VisitorInput(text: "123456"), clientID: "a", from: session, origin: 1)
        }
        await #expect(throws: ChatError.emptyMessage) {
            try await chat.receive(VisitorInput(text: " \n\t\u{0}"), clientID: "b", from: session, origin: 1)
        }
        await #expect(throws: ChatError.invalidClientID) {
            try await chat.receive(VisitorInput(text: "ok"), clientID: "has space", from: session, origin: 1)
        }
        await #expect(throws: ChatError.invalidClientID) {
            try await chat.receive(VisitorInput(text: "ok"), clientID: String(repeating: "a", count: 65), from: session, origin: 1)
        }
        // Five scalars even though one is an emoji made of two UTF-16 units.
        _ = try await chat.receive(VisitorInput(text: "ab\u{1F600}\u{7}cd"), clientID: "c", from: session, origin: 1)
        let texts = try await store.messages(in: session.conversation.id, after: 0, limit: 10).map(\.text)
        #expect(texts == ["Hello!", "ab\u{1F600}cd", "echo: ab\u{1F600}cd"])
    }

    /// What a visitor writes is stored without control characters (C0, C1) and without the
    /// bidirectional overrides that would show a name or a line reversed to the agents;
    /// right-to-left text and its marks are kept.
    @Test func visitorTextLosesControlsAndDirectionOverrides() {
        #expect(ChatService.clean("Eve\u{202E}gnp.exe") == "Evegnp.exe")
        #expect(ChatService.clean("\u{202D}a\u{202A}b\u{202B}c\u{202C}\u{2066}d\u{2067}e\u{2068}f\u{2069}") == "abcdef")
        #expect(ChatService.clean(" a\u{85}b\u{9F}c\u{80}\u{2028}d\r\ne\u{2029}f ") == "abc\nd\ne\nf")
        #expect(ChatService.clean("שלום \u{200F}world\u{200E}!") == "שלום \u{200F}world\u{200E}!")
        #expect(ChatService.clean("tab\tand\nline") == "tab\tand\nline")
        // What shows nothing goes; a text of nothing visible is empty; the joiners stay.
        #expect(ChatService.clean("a\u{200B}b\u{00AD}c\u{2060}d\u{FEFF}e\u{034F}f\u{FFF9}g") == "abcdefg")
        #expect(ChatService.clean("\u{200B}\u{200B}\u{2060}") == "")
        #expect(ChatService.clean(" \u{200D}\u{FE0F} \u{3164}") == "")
        #expect(ChatService.clean("👨\u{200D}👩\u{200D}👧 می\u{200C}خواهم") == "👨\u{200D}👩\u{200D}👧 می\u{200C}خواهم")
    }

    @Test func concurrentMessagesOfOneVisitorAreProcessedOneAtATime() async throws {
        let chat = service()
        let session = try await chat.open(widgetKey: "w1", token: nil, subscription: 1, sink: { _ in })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { _ = try await chat.receive(VisitorInput(text: "m\(i)"), clientID: "c\(i)", from: session, origin: 1) }
            }
            try await group.waitForAll()
        }
        let messages = try await store.messages(in: session.conversation.id, after: 0, limit: 200)
        #expect(messages.count == 1 + 80)
        // Every visitor message is directly followed by its own echo.
        for index in stride(from: 1, to: messages.count, by: 2) {
            #expect(messages[index + 1].text == "echo: " + messages[index].text)
        }
    }
}

/// Outbox tasks are stored as JSON and read by whichever Baton runs the agent side: the
/// `endedByVisitor` added to `closeRoom` must not break tasks stored before it, nor a
/// Baton that does not know it yet.
@Suite struct AgentTaskJSONTests {
    /// `AgentTask.closeRoom` as Batons before `endedByVisitor` declared it.
    enum EarlierTask: Codable, Equatable {
        case openRoom
        case relay
        case closeRoom(closedBy: String?, roomArchived: Bool)
    }

    @Test func closeRoomReadsBothWays() throws {
        let earlier = try JSONEncoder().encode(EarlierTask.closeRoom(closedBy: "Alice", roomArchived: true))
        #expect(try JSONDecoder().decode(AgentTask.self, from: earlier) == .closeRoom(closedBy: "Alice", roomArchived: true, endedByVisitor: nil))
        let now = try JSONEncoder().encode(AgentTask.closeRoom(closedBy: "Ann", roomArchived: false, endedByVisitor: true))
        #expect(try JSONDecoder().decode(EarlierTask.self, from: now) == .closeRoom(closedBy: "Ann", roomArchived: false))
        #expect(try JSONDecoder().decode(AgentTask.self, from: now) == .closeRoom(closedBy: "Ann", roomArchived: false, endedByVisitor: true))
    }
}
