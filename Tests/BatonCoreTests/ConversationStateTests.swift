import BatonCore
import Testing

@Suite struct ConversationStateTests {
    func conversation(_ state: ConversationState = .bot) -> Conversation {
        Conversation(id: .init("c"), widgetKey: "w", visitorID: .init("v"), state: state, createdAt: 1, updatedAt: 1)
    }

    @Test func theHappyPathIsAllowed() throws {
        var c = conversation()
        for next in [ConversationState.collecting, .bot, .collecting, .waitingForAgent, .withAgent, .closed] {
            try c.move(to: next, at: 5)
            #expect(c.state == next)
        }
        #expect(c.closedAt == 5)
    }

    @Test(arguments: [
        (ConversationState.closed, ConversationState.bot),
        (.closed, .withAgent),
        (.withAgent, .bot),
        (.withAgent, .waitingForAgent),
        (.waitingForAgent, .collecting),
        (.bot, .withAgent),
    ])
    func backwardsOrSkippingMovesAreRefused(from: ConversationState, to: ConversationState) {
        var c = conversation(from)
        #expect(throws: InvalidTransition(from: from, to: to)) { try c.move(to: to) }
        #expect(c.state == from)
    }

    @Test func everyStateCanClose() throws {
        for state in ConversationState.allCases where state != .closed {
            var c = conversation(state)
            try c.move(to: .closed)
            #expect(c.state == .closed)
        }
    }

    @Test func rawValuesAreTheDocumentedNames() {
        #expect(ConversationState.allCases.map(\.rawValue) == ["bot", "collecting", "waiting_for_agent", "with_agent", "closed"])
    }

    @Test func variablesKeepTheLatestAnswer() {
        var c = conversation()
        c.set("name", to: "Ann")
        c.set("email", to: "a@b.co")
        c.set("name", to: "Anne")
        #expect(c.variable("name") == "Anne")
        #expect(c.variables.map(\.name) == ["email", "name"])
    }

    @Test func randomIdentifiersAreBase32AndDistinct() {
        let ids = (0..<1000).map { _ in ConversationID.random().rawValue }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.count == 20 && $0.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) } })
    }

    @Test func base64URLMatchesRFC4648() {
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }
}

/// A visitor's words in a bot's Markdown: escaped to show as typed, unescaped for plain text.
@Suite struct BotMarkdownTests {
    @Test(arguments: ["Grace Hopper", "[Verify](https://evil.example) **now**", "a\\b `c` ~d~ _e_", "\\", "Mary-Jane O'Neil. (Jr.)"])
    func escapedTextReadsAsTypedOnceUnescaped(_ text: String) {
        #expect(BotMarkdown.unescaped(BotMarkdown.escaped(text)) == text)
    }

    @Test func aBotAuthorsOwnEscapesAreReadToo() {
        #expect(BotMarkdown.escaped("Grace Hopper") == "Grace Hopper")
        #expect(BotMarkdown.unescaped(#"Prices from 5\* \(VAT\) \q and a last \"#) == #"Prices from 5* (VAT) \q and a last \"#)
    }
}

@Suite struct HandedOverTests {
    /// Asked for while the bot collects the handover flow's answers is not handed over yet.
    @Test func onlyAFinishedHandoverCounts() {
        #expect(!BotProgress().handedOver)
        #expect(!BotProgress(handoverPending: true, handoverReason: "asked").handedOver)
        #expect(BotProgress(handoverReason: "asked").handedOver)
    }
}
