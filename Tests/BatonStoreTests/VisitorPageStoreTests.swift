import BatonCore
@testable import BatonStore
import BatonTestSupport
import Testing

/// The page a visitor's widget is on: recorded apart from the conversation's steps, which
/// leave it as it is. The same on SQLite, PostgreSQL and in memory.
@Suite struct VisitorPageStoreTests {
    @Test(arguments: StoreKind.available) func thePageIsKeptInTheDatabase(_ kind: StoreKind) async throws {
        try await kind.withStore { store in try await Self.keepingThePage(in: store) }
    }

    @Test func thePageIsKeptInMemory() async throws {
        try await Self.keepingThePage(in: InMemoryChatStore())
    }

    static func keepingThePage(in store: some ChatStore) async throws {
        var visitor = Visitor.new()
        let conversation = Conversation.new(visitor.id)
        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation))
        #expect(try await store.visitor(id: visitor.id)?.page == nil)
        let pricing = try #require(VisitedPage(url: "https://shop.example/pricing", title: "Pricing"))
        try await store.setPage(pricing, of: visitor.id)
        #expect(try await store.visitor(id: visitor.id)?.page == pricing)
        // So are the browser's language and the one the widget showed.
        try await store.setLanguage("de-AT", of: visitor.id)
        try await store.setWidgetLanguage("ar", of: visitor.id)
        // A step that writes the visitor (the bot learned a name) keeps the page.
        visitor.name = "Grace"
        _ = try await store.commit(ChangeSet(visitor: visitor, conversation: conversation, basis: conversation))
        let read = try #require(try await store.visitor(id: visitor.id))
        #expect(read.name == "Grace" && read.page == pricing)
        #expect(read.language == "de-AT" && read.widgetLanguage == "ar")
        #expect(try await store.visitor(tokenHash: visitor.tokenHash)?.page == pricing)
        // A visitor that is gone: nothing happens.
        try await store.setPage(pricing, of: VisitorID.random())
    }
}
