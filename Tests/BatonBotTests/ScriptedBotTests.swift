@testable import BatonBot
import Foundation
import BatonCore
import Testing

/// Drives a bot like the chat service does, without storage.
struct BotHarness {
    let bot: ScriptedBot
    var conversation = Conversation(id: .init("c"), widgetKey: "w", visitorID: .init("v"), createdAt: 0, updatedAt: 0)
    var handover: HandoverRequest?

    init(_ source: String) throws {
        bot = try ScriptedBot(source: source)
    }

    mutating func greet() -> [String] { bot.greet(&conversation).map(\.text) }

    /// Sends a message and returns the bot's replies' texts.
    @discardableResult
    mutating func say(_ text: String, action: String? = nil, files: [FileID] = []) -> [String] {
        let outcome = bot.respond(to: VisitorInput(text: text, action: action, files: files), in: &conversation)
        if let request = outcome.handover {
            handover = request
            try? conversation.move(to: .waitingForAgent)
        }
        return outcome.replies.map(\.text) + (outcome.handover?.message.map { [$0.text] } ?? [])
    }

    mutating func lastButtons(_ text: String) -> [String] {
        bot.respond(to: VisitorInput(text: text), in: &conversation).replies.last?.buttons.map(\.title) ?? []
    }
}

@Suite struct ScriptedBotTests {
    static let support = """
    name: Sam
    greeting: Hello, I'm Sam.
    settings:
      maxMisunderstandings: 2
      fallback: Pardon?
      handoverMessage: Passing you to a person, {{name}}.
    intents:
      - name: refund
        examples: [i want a refund, give me my money back]
        answer: Refunds take 5 days.
        then: details
      - name: complaint
        examples: [i want to complain]
        answer: Sorry to hear that.
        handover: true
    flows:
      details:
        - ask: Your name?
          save: name
        - ask: Your email?
          save: email
          type: email
          retry: Hmm, that email looks wrong.
        - ask: Your phone?
          save: phone
          type: phone
        - ask: Which product?
          save: product
          type: choice
          choices: [Basic plan, Pro plan, Enterprise]
        - say: Thanks {{name}}, we'll write to {{email}} about the {{product}}.
    """

    @Test func greetingAndIntentAnswers() throws {
        var h = try BotHarness(Self.support)
        #expect(h.greet() == ["Hello, I'm Sam."])
        #expect(h.say("I'd like a REFUND please") == ["Refunds take 5 days.", "Your name?"])
        #expect(h.conversation.state == .collecting)
    }

    /// A widget's own greeting is filled in as the bot's texts are: what a returning visitor
    /// gave before, else nothing (with the space before it).
    @Test func aWidgetsGreetingIsFilledInAsTheBotsTexts() throws {
        var h = try BotHarness(Self.support)
        #expect(h.bot.fill("Welcome back {{name}}! We write to {{email}}.", for: h.conversation) == "Welcome back! We write to.")
        h.conversation.set("name", to: "Ada")
        h.conversation.set("email", to: "ada@example.com")
        #expect(h.bot.fill("Welcome back {{name}}! We write to {{email}}.", for: h.conversation) == "Welcome back Ada! We write to ada@example.com.")
    }

    @Test func questionsValidateReaskAndStore() throws {
        var h = try BotHarness(Self.support)
        h.say("refund")
        #expect(h.say("Ann Lee") == ["Your email?"])
        #expect(h.say("ann at example") == ["Hmm, that email looks wrong.", "Your email?"])
        #expect(h.say("Ann@Example.COM") == ["Your phone?"])
        #expect(h.say("call me maybe")[0].contains("phone number"))
        #expect(h.lastButtons("+44 (20) 7946-0958") == ["Basic plan", "Pro plan", "Enterprise"])
        #expect(h.say("2") == ["Thanks Ann Lee, we'll write to Ann@example.com about the Pro plan."])
        #expect(h.conversation.variable("phone") == "+44 (20) 7946-0958")
        #expect(h.conversation.state == .bot)
        #expect(h.handover == nil)
        // A slash between digits, as Germans write numbers ("030/1234567").
        #expect(AnswerValidator.phone("030/1234567") == "030/1234567")
        #expect(AnswerValidator.phone("030/12") == nil)
    }

    /// What a visitor typed goes into the bot's words as written: its Markdown escaped, so
    /// a "name" cannot become a link or bold text in the bot's own message.
    @Test func answersAreFilledInWithTheirMarkdownEscaped() throws {
        var h = try BotHarness(Self.support)
        h.say("refund")
        h.say("[Verify your account](https://evil.example) **NOW** `x` ~~y~~ snake_case \\")
        h.say("ann@example.com")
        h.say("+44 20 7946 0958")
        #expect(h.say("1") == [#"Thanks \[Verify your account\](https://evil.example) \*\*NOW\*\* \`x\` \~\~y\~\~ snake\_case \\, we'll write to ann@example.com about the Basic plan."#])
        // The variable itself is kept as typed.
        #expect(h.conversation.variable("name") == "[Verify your account](https://evil.example) **NOW** `x` ~~y~~ snake_case \\")
    }

    /// A file sent while a question waits (a screenshot with "this is wrong") is not the
    /// answer: the bot says it got it and asks again.
    @Test func filesWhileAQuestionWaitsAreNotTheAnswer() throws {
        var h = try BotHarness(Self.support)
        h.say("refund")
        #expect(h.say("this is my receipt", files: [FileID("f1")]) == ["Thanks, I've got your file.", "Your name?"])
        #expect(h.say("", files: [FileID("f2")]) == ["Thanks, I've got your file.", "Your name?"])
        #expect(h.conversation.variable("name") == nil)
        #expect(h.say("Ann Lee") == ["Your email?"])
        #expect(h.say("ann at example") == ["Hmm, that email looks wrong.", "Your email?"])
        #expect(h.say("here", files: [FileID("f3")]) == ["Thanks, I've got your file.", "Your email?"])
        #expect(h.handover == nil)
        // Files neither count as a wrong answer nor undo one: the second wrong answer in a
        // row hands over (maxMisunderstandings: 2).
        #expect(h.say("ann at example") == ["Passing you to a person, Ann Lee."])

        // While the bot is in charge, a caption is read like any text; files alone get no answer.
        var g = try BotHarness(Self.support)
        #expect(g.say("I want a refund, see the invoice", files: [FileID("f4")]) == ["Refunds take 5 days.", "Your name?"])
        var k = try BotHarness(Self.support)
        #expect(k.say("", files: [FileID("f5")]) == [])
        #expect(k.conversation.progress.misunderstandings == 0)

        // The text is the bot's to choose.
        var custom = try BotHarness(Self.support.replacingOccurrences(of: "  fallback: Pardon?", with: "  fallback: Pardon?\n  fileReceived: Merci !"))
        custom.say("refund")
        #expect(custom.say("", files: [FileID("f6")]) == ["Merci !", "Your name?"])
    }

    @Test func choicesTolerateCaseAndTypos() throws {
        var h = try BotHarness(Self.support)
        h.say("refund"); h.say("Al"); h.say("al@x.io"); h.say("0123456789")
        #expect(h.say("enterprize")[0].hasSuffix("about the Enterprise."))
        var g = try BotHarness(Self.support)
        g.say("refund"); g.say("Al"); g.say("al@x.io"); g.say("0123456789")
        #expect(g.say("PRO PLAN")[0].hasSuffix("about the Pro plan."))
        var k = try BotHarness(Self.support)
        k.say("refund"); k.say("Al"); k.say("al@x.io"); k.say("0123456789")
        // Naming two choices is not a choice.
        #expect(k.say("basic plan or pro plan") == ["Please pick one of the options.", "Which product?"])
    }

    @Test func twoMisunderstandingsInARowHandOver() throws {
        var h = try BotHarness(Self.support)
        #expect(h.say("blorp") == ["Pardon?"])
        #expect(h.say("refund") == ["Refunds take 5 days.", "Your name?"])
        var g = try BotHarness(Self.support)
        #expect(g.say("blorp") == ["Pardon?"])
        #expect(g.say("zzz qqq") == ["Passing you to a person."])
        #expect(g.handover?.reason == "the bot did not understand the visitor 2 times in a row")
        #expect(g.conversation.state == .waitingForAgent)
    }

    @Test func anIntentCanHandOver() throws {
        var h = try BotHarness(Self.support)
        #expect(h.say("I want to complain!") == ["Sorry to hear that.", "Passing you to a person."])
        #expect(h.handover?.reason == "the visitor asked about \"complaint\"")
    }

    @Test func triggersAndButtonsHandOver() throws {
        var h = try BotHarness(Self.support)
        h.say("talk to a human please")
        #expect(h.handover?.reason == "the visitor asked for a person")
        var g = try BotHarness(Self.support)
        g.say("Person", action: "handover")
        #expect(g.handover != nil)
    }

    @Test func theHandoverFlowAsksItsQuestionsFirstAndSkipsKnownAnswers() throws {
        var h = try BotHarness(DemoBot.source)
        _ = h.greet()
        #expect(h.say("talk to a person") == ["Before I hand you over, a few quick questions.", "What's your name?"])
        #expect(h.handover == nil)
        #expect(h.say("Zoë") == ["What's your email address, so we can get back to you?"])
        #expect(h.say("zoe@example.org") == ["What is it about?"])
        #expect(h.say("support") == ["Thanks Zoë! I'm handing you over to a person; they'll reply right here."])
        #expect(h.handover?.reason == "the visitor asked for a person")
        #expect(h.conversation.variables.map(\.name) == ["name", "email", "topic"])
        #expect(h.conversation.variable("topic") == "Support")
        #expect(h.bot.noAgentsReply(h.conversation).text == "Thanks Zoë. Nobody is available right now; leave a message and we'll get back to you (zoe@example.org).")

        // The email question given up after two answers that are none: the message reads
        // whole without it (it said "we'll get back to you at.").
        var n = try BotHarness(DemoBot.source)
        _ = n.greet()
        _ = n.say("talk to a person")
        _ = n.say("Zed Visitor")
        _ = n.say("no")
        #expect(n.say("I'd rather not").contains("What is it about?"))
        _ = n.say("Sales")
        #expect(n.conversation.variable("email") == nil)
        #expect(n.bot.noAgentsReply(n.conversation).text == "Thanks Zed Visitor. Nobody is available right now; leave a message and we'll get back to you.")

        // With every answer known, the flow only says its opening line.
        var g = try BotHarness(DemoBot.source)
        for (name, value) in [("name", "A"), ("email", "a@b.co"), ("topic", "Sales")] { g.conversation.set(name, to: value) }
        #expect(g.say("", action: "handover") == ["Before I hand you over, a few quick questions.", "Thanks A! I'm handing you over to a person; they'll reply right here."])
    }

    /// A flow run again asks its own questions again (a second order's number), where it
    /// skipped them and reused the first answers; an answer given to another flow, or
    /// known before (a returning visitor's name), is still not asked for.
    @Test func aFlowRunAgainAsksItsQuestionsAgain() throws {
        var h = try BotHarness("""
        name: Penny
        greeting: Hi
        intents:
          - name: order
            examples: [where is my order]
            then: lookup
          - name: contact
            examples: [call me back]
            then: callback
        flows:
          lookup:
            - ask: Your order number?
              save: order
            - ask: Your email?
              save: email
              type: email
            - say: Looking up {{order}} for {{email}}.
          callback:
            - ask: Your email?
              save: email
              type: email
            - ask: Your phone?
              save: phone
              type: phone
            - say: We'll call {{phone}}.
        """)
        h.conversation.set("name", to: "Ann")
        #expect(h.say("where is my order") == ["Your order number?"])
        #expect(h.say("A-1") == ["Your email?"])
        #expect(h.say("ann@example.com") == ["Looking up A-1 for ann@example.com."])
        #expect(h.say("where is my order") == ["Your order number?"])
        #expect(h.say("B-2") == ["Your email?"])
        #expect(h.say("ann@example.org") == ["Looking up B-2 for ann@example.org."])
        // The email was given to the other flow: not asked again there.
        #expect(h.say("call me back") == ["Your phone?"])
        #expect(h.say("+44 20 7946 0000") == ["We'll call +44 20 7946 0000."])
        #expect(h.conversation.variable("order") == "B-2")
        // The handover flow after them skips what is known, as before.
        var g = try BotHarness(DemoBot.source)
        g.conversation.set("name", to: "Ann")
        #expect(g.say("talk to a person") == ["Before I hand you over, a few quick questions.", "What's your email address, so we can get back to you?"])
    }

    /// `maxMisunderstandings: 0`: the fallback handover is off (the product page's "can
    /// also be programmed as a fallback"): no handover by itself, questions asked until
    /// answered; asking for a person still works, and the handover flow is not blocked.
    @Test func noFallbackHandover() throws {
        var h = try BotHarness(DemoBot.source.replacingOccurrences(of: "maxMisunderstandings: 2", with: "maxMisunderstandings: 0"))
        for _ in 0..<5 { #expect(h.say("qwerty uiop").first?.hasPrefix("Sorry, I didn't get that") == true) }
        #expect(h.handover == nil)
        h.say("talk to a person"); h.say("Bo")
        h.say("not an email")
        #expect(h.say("still not") == ["Never mind, let's go on without it.", "What is it about?"])
        #expect(h.say("Support").last?.contains("handing you over") == true)
        #expect(h.handover != nil)
    }

    @Test func aQuestionThatCannotBeAnsweredDoesNotBlockTheHandover() throws {
        var h = try BotHarness(DemoBot.source)
        h.say("talk to a person"); h.say("Bo")
        h.say("not an email")
        // Said, not skipped without a word (the next question read as the answer's acceptance).
        #expect(h.say("still not") == ["Never mind, let's go on without it.", "What is it about?"])
        #expect(h.conversation.variable("email") == nil)
    }

    /// Flows that go round through `goto` are refused (a question in the loop is skipped
    /// once answered, so it would run round), each loop once; a chain is fine.
    @Test func gotoLoopsAreRefused() throws {
        let loops = """
        name: Loop
        greeting: hi
        intents: [{name: go, examples: [go], then: a}]
        flows:
          a: [{say: A}, {goto: b}]
          b: [{ask: Name?, save: name}, {goto: a}]
          c: [{say: round and round}, {goto: c}]
          d: [{goto: a}]
          e: [{say: E}, {goto: f}]
          f: [{say: F}]
        """
        do {
            _ = try ScriptedBot(source: loops)
            Issue.record("the loops were accepted")
        } catch {
            #expect(error.issues.map(\.path) == ["flows.a[1].goto", "flows.c[1].goto"], "\(error.issues)")
            #expect(error.issues.first?.message == "the flows go round (a → b → a): the visitor would get the same messages again and again")
        }
        // A bot stored before this check still runs (`strict: false`), its loop cut short.
        let stored = try ScriptedBot(source: loops, strict: false)
        var conversation = Conversation(id: .init("c"), widgetKey: "w", visitorID: .init("v"), createdAt: 0, updatedAt: 0)
        conversation.set("name", to: "Ada")
        let outcome = stored.respond(to: VisitorInput(text: "go"), in: &conversation)
        #expect(outcome.replies.count < 100 && conversation.progress.flow == nil)
    }

    @Test func buttonActionsRunFlowsAndIntents() throws {
        var h = try BotHarness(Self.support)
        #expect(h.say("x", action: "flow:details") == ["Your name?"])
        var g = try BotHarness(Self.support)
        #expect(g.say("x", action: "intent:refund") == ["Refunds take 5 days.", "Your name?"])
    }
}

/// Why each handover happened, as the insights count it.
@Suite struct HandoverCauseTests {
    static let bot = """
    name: Sam
    greeting: Hello.
    settings:
      maxMisunderstandings: 2
      handoverFlow: details
    intents:
      - name: urgent
        handover: true
        examples: [this is urgent]
        answer: Right away.
    flows:
      details:
        - ask: Your email?
          type: email
          save: email
    """

    func cause(_ messages: [String], action: String? = nil) throws -> HandoverCause? {
        var harness = try BotHarness(Self.bot)
        if let action { harness.say("", action: action) }
        for message in messages where harness.handover == nil { harness.say(message) }
        return harness.handover?.cause
    }

    @Test func eachWayToAPersonHasItsCause() throws {
        #expect(try cause(["sam@example.com"], action: "handover") == .asked)
        #expect(try cause(["can I talk to a human", "sam@example.com"]) == .asked)
        #expect(try cause(["qwerty", "asdfgh", "sam@example.com"]) == .notUnderstood)
        #expect(try cause(["this is urgent", "sam@example.com"]) == .byDesign)
        // The handover flow's question answered badly too often: skipped, the first cause kept.
        #expect(try cause(["can I talk to a human", "no", "nope"]) == .asked)
        // A question outside a handover answered badly too often.
        var harness = try BotHarness(Self.bot)
        harness.say("", action: "flow:details")
        harness.say("no")
        harness.say("nope")  // then the handover flow asks again, before the handover
        harness.say("sam@example.com")
        #expect(harness.handover?.cause == .unansweredQuestion)
        #expect(harness.handover?.why == HandoverReason(.question, "Your email?"))
        #expect(harness.handover?.reason == "the visitor could not answer \"Your email?\"")
    }

    /// Each handover keeps its reason in parts, for the agents' language; its English
    /// words are the reason the dashboard shows, as before.
    @Test func eachWayToAPersonKeepsItsReasonInParts() throws {
        func why(_ messages: [String], action: String? = nil) throws -> (HandoverReason?, String?, HandoverReason?) {
            var harness = try BotHarness(Self.bot)
            if let action { harness.say("", action: action) }
            for message in messages where harness.handover == nil { harness.say(message) }
            return (harness.handover?.why, harness.handover?.reason, harness.conversation.progress.handoverWhy)
        }
        let asked = try why(["sam@example.com"], action: "handover")
        #expect(asked.0 == HandoverReason(.asked) && asked.1 == "the visitor asked for a person" && asked.2 == asked.0)
        let notUnderstood = try why(["qwerty", "asdfgh", "sam@example.com"])
        #expect(notUnderstood.0 == HandoverReason(.notUnderstood, "2"))
        #expect(notUnderstood.1 == "the bot did not understand the visitor 2 times in a row")
        let urgent = try why(["this is urgent", "sam@example.com"])
        #expect(urgent.0 == HandoverReason(.intent, "urgent") && urgent.1 == "the visitor asked about \"urgent\"")
        // A flow that hands over by itself.
        var harness = try BotHarness("""
            name: Sam
            greeting: Hello.
            flows:
              sales:
                - say: One moment.
                - handover: A colleague takes over.
            """)
        harness.say("", action: "flow:sales")
        #expect(harness.handover?.why == HandoverReason(.flow, "sales"))
        #expect(harness.handover?.reason == "the \"sales\" flow hands over")
    }
}

/// A bot speaks the language its texts are written in: the German example sets every text
/// that has an English default, and German visitors are understood and handed over.
@Suite struct GermanExampleBotTests {
    static let source = { () -> String in
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/kundendienst.yaml")
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }()

    @Test func noEnglishDefaultIsLeft() throws {
        let bot = try ScriptedBot(source: Self.source)
        let defaults = BotSettings()
        let settings = bot.definition.settings
        #expect(settings.fallback != defaults.fallback && settings.fileReceived != defaults.fileReceived)
        #expect(settings.handoverMessage != defaults.handoverMessage && settings.noAgentsMessage != defaults.noAgentsMessage)
        #expect(Set(settings.handoverTriggers).isDisjoint(with: defaults.handoverTriggers))
        for (name, steps) in bot.definition.flows {
            for case .ask(let question) in steps { #expect(question.retry != nil, "\(name): \(question.ask)") }
        }
    }

    @Test func aGermanVisitorIsUnderstoodAndHandedOver() throws {
        var harness = try BotHarness(Self.source)
        #expect(harness.greet().first?.hasPrefix("Hallo!") == true)
        #expect(harness.say("Wann kommt meine Bestellung an?").first?.hasPrefix("Bestellungen verlassen unser Lager") == true)
        #expect(harness.say("Ich möchte eine Rückerstattung").first?.hasPrefix("Sie können alles innerhalb von 30 Tagen") == true)
        #expect(harness.say("Kann ich mit einem Menschen sprechen?") == ["Wie heißen Sie?"])
        #expect(harness.say("Grete") == ["Und Ihre E-Mail-Adresse?"])
        #expect(harness.say("keine ahnung") == ["Das sieht nicht nach einer E-Mail-Adresse aus. Können Sie sie prüfen?", "Und Ihre E-Mail-Adresse?"])
        harness.say("grete@example.com")
        harness.say("keine")
        #expect(harness.say("Eine Rücksendung") == ["Danke, Grete. Gleich meldet sich jemand aus unserem Team hier im Chat."])
        #expect(harness.handover != nil)
    }
}

/// What a helper found by using bots as their documentation describes them.
@Suite struct BotBehaviourTests {
    static let contact = """
    name: Sam
    greeting: Hi
    settings:
      handoverFlow: contact
      handoverMessage: Connecting you.
    intents:
      - {name: refund, examples: [i want a refund], answer: Sure., then: order, handover: true}
      - {name: other, examples: [something else], then: mid}
    flows:
      contact:
        - ask: Your name?
          save: name
      order:
        - ask: Your order number?
          save: order
      mid:
        - say: One moment.
        - handover: Passing you to billing.
      survey:
        - ask: Which colour?
          save: colour
          type: choice
          choices: [Red, Blue]
    """

    /// A `handover` step runs the handover flow first, and its own text is said at the end.
    @Test func aHandoverStepRunsTheHandoverFlowFirst() throws {
        var h = try BotHarness(Self.contact)
        #expect(h.say("something else") == ["One moment.", "Your name?"])
        #expect(h.handover == nil)
        #expect(h.say("Grace") == ["Passing you to billing."])
        #expect(h.handover != nil && h.conversation.variable("name") == "Grace")
    }

    /// A handover flow that an intent's `then` starts, ending in its own handover step.
    static let dup = """
        name: Dup
        greeting: Hi
        settings:
          handoverFlow: contact
        intents:
          - {name: contact, keywords: [contact], answer: Okay, then: contact}
        flows:
          contact:
            - ask: Your name?
              save: name
            - say: "Summary for {{name}}"
            - handover: true
        """

    /// The handover flow's own `handover` step hands over: the flow is not run again
    /// (its `say` steps were said twice).
    @Test func theHandoverFlowsOwnHandoverStepHandsOver() throws {
        var h = try BotHarness(Self.dup)
        #expect(h.say("contact") == ["Okay", "Your name?"])
        let replies = h.say("Ann")
        #expect(replies.filter { $0 == "Summary for Ann" }.count == 1, "\(replies)")
        #expect(h.handover != nil)
        // Asking for a person while that flow waits on its question: the question again,
        // then the handover after it (the handover came at once, the questions skipped).
        var asked = try BotHarness(Self.dup)
        #expect(asked.say("contact") == ["Okay", "Your name?"])
        #expect(asked.say("Talk to a person", action: "handover") == ["Your name?"])
        #expect(asked.handover == nil)
        let last = asked.say("Ann")
        #expect(last.filter { $0 == "Summary for Ann" }.count == 1 && asked.handover != nil, "\(last)")
        #expect(asked.conversation.variable("name") == "Ann")
    }

    /// An intent with `then` and `handover: true`: its flow, then the handover flow, then the handover.
    @Test func anIntentsFlowComesBeforeItsHandover() throws {
        var h = try BotHarness(Self.contact)
        #expect(h.say("i want a refund") == ["Sure.", "Your order number?"])
        #expect(h.say("A-17") == ["Your name?"])
        #expect(h.say("Grace") == ["Connecting you."])
        #expect(h.conversation.variable("order") == "A-17" && h.handover?.reason.contains("refund") == true, "\(String(describing: h.handover))")
    }

    /// Asking for a person while a question waits hands over (after the handover flow);
    /// during the handover flow's own questions it is an answer like any other.
    @Test func askingForAPersonWhileAQuestionWaits() throws {
        var h = try BotHarness(Self.contact)
        #expect(h.say("survey", action: "flow:survey") == ["Which colour?"])
        #expect(h.say("talk to a person") == ["Your name?"])
        #expect(h.conversation.variable("colour") == nil)
        #expect(h.say("Grace") == ["Connecting you."])
    }

    /// After an edit of the bot, a question of a flow it no longer has is not waited on,
    /// and a button of the older version reads as its title.
    @Test func anEditedBotLetsGoOfWhatItNoLongerHas() throws {
        var h = try BotHarness(Self.contact)
        #expect(h.say("survey", action: "flow:survey") == ["Which colour?"])
        #expect(h.conversation.state == .collecting)
        var edited = try BotHarness(Self.contact.replacingOccurrences(of: "  survey:", with: "  poll:"))
        edited.conversation = h.conversation
        #expect(edited.say("something else") == ["One moment.", "Your name?"])
        var again = try BotHarness(Self.contact)
        #expect(again.say("something else", action: "intent:gone") == ["One moment.", "Your name?"])
        #expect(again.say("x", action: "dance").count == 1)
    }

    /// Digits of other scripts make a phone number; an address with signs no address has
    /// is refused; a long text answer is kept to its start.
    @Test func answersInEveryScript() {
        let phone = Question(ask: "Phone?", save: "phone", type: .phone, choices: [], retry: nil)
        for number in ["۰۹۱۲۳۴۵۶۷۸۹", "٠٩١٢٣٤٥٦٧٨٩", "０９０１２３４５６７８", "+49 30 1234567"] {
            #expect(AnswerValidator.validate(number, for: phone) == number, "\(number)")
        }
        #expect(AnswerValidator.validate("12³4567890", for: phone) == nil)
        let email = Question(ask: "Email?", save: "email", type: .email, choices: [], retry: nil)
        for bad in ["<script>@x.io", "mailto:a@b.co", ".a@b.co", "a..b@c.co", "a.@b.co", "a b@c.co"] {
            #expect(AnswerValidator.validate(bad, for: email) == nil, "\(bad)")
        }
        for good in ["grace.hopper+baton@Example.COM", "müller@example.de", "o'brien@example.ie"] {
            #expect(AnswerValidator.validate(good, for: email) != nil, "\(good)")
        }
        // Typed with a Japanese input method: full width, and the ideographic full stop.
        #expect(AnswerValidator.validate("ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", for: email) == "user@example.com")
        #expect(AnswerValidator.validate("山田@例え。jp", for: email) == "山田@例え.jp")
        let text = Question(ask: "About?", save: "topic", type: .text, choices: [], retry: nil)
        let long = String(repeating: "é", count: 600)
        #expect(AnswerValidator.validate(long, for: text) == String(repeating: "é", count: 499) + "…")
    }

    /// Placeholders: braces around anything but a variable name stay as written; inside a
    /// code span the value goes in as typed.
    @Test func placeholdersInTheirContext() {
        var conversation = Conversation(id: .init("c"), widgetKey: "w", visitorID: .init("v"), createdAt: 0, updatedAt: 0)
        conversation.set("name", to: "Ada_L*")
        conversation.set("order", to: "x_y`z")
        #expect(Template.render("5 [{{name}] 6 [{{{name}}}] 7", conversation) == "5 [{{name}] 6 [{Ada\\_L\\*}] 7")
        #expect(Template.render("Order `{{order}}` for **{{name}}**", conversation) == "Order `x_y'z` for **Ada\\_L\\***")
        #expect(Template.render("{{ not a name }} {{name}}", conversation) == "{{ not a name }} Ada\\_L\\*")
        // A value not given takes the space before it along, before a sign, a space or the end.
        #expect(Template.render("Welcome back {{first}}!", conversation) == "Welcome back!")
        #expect(Template.render("Bienvenue {{first}} !", conversation) == "Bienvenue !")
        #expect(Template.render("Thanks {{first}}, {{name}}.", conversation) == "Thanks, Ada\\_L\\*.")
        #expect(Template.render("Hi {{first}} there {{first}}", conversation) == "Hi there")
        #expect(Template.render("{{first}}, welcome! I'm Ada ({{first}}), or ({{name}}).\n{{first}}: ok", conversation)
            == "Welcome! I'm Ada, or (Ada\\_L\\*).\nOk")
        #expect(Template.render("Passing you on, {{first}}. Bye, {{first}}, {{name}}", conversation) == "Passing you on. Bye, Ada\\_L\\*")
        #expect(Template.render("Code `a {{first}}`, x{{first}}y", conversation) == "Code `a `, xy")
    }
}

/// Checks added to the bot format later refuse a new save, not a bot stored before them.
@Suite struct StoredBotTests {
    @Test func aStoredBotThatNewerChecksRefuseStillRuns() async throws {
        let store = InMemoryChatStore()
        let source = "name: X\ngreeting: Hi {{nosuch}}\nintents: [{name: a, examples: [a], answer: A}]\n"
        var widget = Widget(key: "w", name: "W", botSource: source, createdAt: 1, updatedAt: 1)
        try await store.saveWidget(widget)
        let library = BotLibrary(store: store)
        #expect(try await library.widget(forKey: "w")?.bot.name == "X")
        widget.updatedAt = 2
        await #expect(throws: BotDocumentError.self) { try await library.save(widget) }
    }
}
