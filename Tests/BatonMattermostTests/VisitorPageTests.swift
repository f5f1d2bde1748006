import BatonCore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Testing

/// Agents see which page of the website the visitor is on (and their browser's language):
/// in the room's first post and the announcement, and, while the chat is with them, each
/// page the visitor moves to.
@Suite struct VisitorPageTests {
    @Test func agentsSeeThePageTheVisitorIsOn() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            // Pages of a site the widget is allowed on are links.
            try await MissedRepliesEmailTests.allow(["https://shop.example", "ws://127.0.0.1"], in: rig)
            let store = rig.baton.services.store
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                try await grace.send(["type": "hello", "widget": "demo", "language": "de-de",
                                      "page": ["url": "https://shop.example/pricing?plan=(pro)", "title": "Pricing | Shop"]])
                let welcome = try await grace.expect("welcome")
                let conversation = try #require((welcome["conversation"] as? [String: Any])?["id"] as? String)
                let visitor = try #require(try await store.conversation(id: ConversationID(conversation))?.visitorID)
                // Recorded just after the welcome.
                try await eventually("the page recorded") { try await store.visitor(id: visitor)?.page?.title == "Pricing | Shop" }
                try await eventually("the language recorded") { try await store.visitor(id: visitor)?.language == "de-DE" }
                _ = try await grace.say("talk to a person", clientID: "p1")
                _ = try await grace.message(containing: "What's your name?")
                _ = try await grace.say("Grace", clientID: "p2")
                _ = try await grace.message(containing: "email address")
                _ = try await grace.say("grace@example.com", clientID: "p3")
                _ = try await grace.message(containing: "What is it about?")
                _ = try await grace.say("Sales", clientID: "p4")
                _ = try await grace.message(containing: "handing you over")
                let room = try await rig.waitForRoom(conversation)
                // The address's parentheses cannot end the link early.
                let transcript = try #require(rig.messages(in: room.id, by: "relay").first)
                #expect(transcript.contains("On the page [Pricing"))
                #expect(transcript.contains("](https://shop.example/pricing?plan=%28pro%29)."))
                // And which language to answer in.
                #expect(transcript.contains("Their browser's language: German (Germany)."), "\(transcript)")
                let index = try #require(rig.indexChannel)
                #expect(rig.messages(in: index.id).contains { $0.contains("**Page:** [Pricing") })
                #expect(rig.messages(in: index.id).contains { $0.contains("**Language:** German (Germany)") })

                // The visitor moves on: the room is told, once per new page.
                try await grace.send(["type": "page", "url": "https://shop.example/cart", "title": "Cart"])
                try await eventually("the room told of the new page") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("**Grace** is now on [Cart](https://shop.example/cart)") }
                }
                try await grace.send(["type": "page", "url": "https://shop.example/cart", "title": "Cart"])
                try await grace.send(["type": "page", "url": "javascript:alert(1)"])
                #expect(try await grace.expect("error").string("code") == "invalid_page")
                try await eventually("the outbox empty") { try await store.taskCount(widgetKey: "demo") == 0 }
                #expect(rig.messages(in: room.id, by: "relay").filter { $0.contains("is now on") }.count == 1)
                #expect(try await store.visitor(id: visitor)?.page == VisitedPage(stored: "https://shop.example/cart", title: "Cart"))
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// A new page whose room is gone for good: the chat moves to a new room (as a visitor
    /// message would), and the page is told there; nothing waits behind it.
    @Test func aNewPageMovesAChatWhoseRoomIsGone() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await MissedRepliesEmailTests.allow(["https://shop.example", "ws://127.0.0.1"], in: rig)
            try await WidgetClient.connect(rig.baton.socketURL) { grace in
                let conversation = try await talkUntilHandover(grace)
                let old = try await rig.waitForRoom(conversation)
                try rig.sandbox.deletePermanently(old.id)
                try await grace.send(["type": "page", "url": "https://shop.example/checkout", "title": "Checkout"])
                try await eventually("the page told in a new room") {
                    guard let room = rig.room(for: conversation), room.id != old.id else { return false }
                    return rig.messages(in: room.id, by: "relay").contains { $0.contains("is now on [Checkout](https://shop.example/checkout)") }
                }
                _ = try await grace.say("still there?", clientID: "after-page")
                try await eventually("the next message relayed") { rig.relayed(in: rig.room(for: conversation)!.id).contains("still there?") }
            }
        }
    }

    /// A page is the visitor's word: on a widget allowed anywhere (or of a site it is not
    /// allowed on), agents see its title and address but get no link, so that no one can
    /// have Baton post a link of theirs under a title of theirs ("session expired, sign in
    /// again") to every agent.
    @Test func aPageOfNoAllowedSiteIsNoLink() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            try await WidgetClient.connect(rig.baton.socketURL) { mallory in
                let conversation = try await talkUntilHandover(mallory, page: ["url": "https://evil.example/login",
                                                                               "title": "Mattermost: session expired, sign in again"])
                let room = try await rig.waitForRoom(conversation)
                let transcript = try #require(rig.messages(in: room.id, by: "relay").first)
                #expect(transcript.contains("Mattermost: session expired, sign in again (`https://evil.example/login`)"), "\(transcript)")
                #expect(!transcript.contains("](https://evil.example"), "\(transcript)")
                let index = try #require(rig.indexChannel)
                let announcement = try #require(rig.messages(in: index.id).first { $0.contains("**Page:**") })
                #expect(announcement.contains("(`https://evil.example/login`)") && !announcement.contains("](https://evil.example"), "\(announcement)")
                try await mallory.send(["type": "page", "url": "https://evil.example/next", "title": "Next"])
                try await eventually("the room told of the new page") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("is now on Next (`https://evil.example/next`)") }
                }
            }
        }
    }
}
