import BatonCore
import Foundation

/// The bot engine: runs a `BotDefinition` for one conversation at a time. Pure: all it
/// remembers lives in the conversation (`progress`, `variables`), so it is safe to share
/// and to restart.
public struct ScriptedBot: ChatBot {
    public let definition: BotDefinition
    let intents: IntentMatcher
    let triggers: IntentMatcher
    /// `cancelTriggers`, as `Normalizer.canonical` reads them.
    let cancelPhrases: Set<String>
    /// Longest chain of steps run for one message, so a `goto` loop cannot hang the bot.
    static let maxSteps = 100

    public init(_ definition: BotDefinition) {
        self.definition = definition
        intents = IntentMatcher(definition.intents.map { ($0.name, $0.examples, $0.keywords) }, language: definition.language)
        triggers = IntentMatcher([("handover", definition.settings.handoverTriggers, [])], language: definition.language)
        cancelPhrases = Set(definition.settings.cancelTriggers.map { Normalizer.canonical($0, language: definition.language) }.filter { !$0.isEmpty })
    }

    /// Compiles a bot document; throws `BotDocumentError` with every problem found.
    /// `strict: false` for a document stored earlier (`BotDocument.parse`).
    public init(source: String, strict: Bool = true) throws(BotDocumentError) {
        self.init(try BotDocument.parse(source, strict: strict))
    }

    public var name: String { definition.name }
    /// The language the document declares; nil when it says none (English is assumed).
    public var language: String? { definition.declaresLanguage ? definition.language.code : nil }
    public func noAgentsReply(_ conversation: Conversation) -> BotReply {
        BotReply(Template.render(definition.settings.noAgentsMessage, conversation))
    }
    var settings: BotSettings { definition.settings }

    public func greet(_ conversation: inout Conversation) -> [BotReply] {
        conversation.progress = BotProgress()
        return [reply(definition.greeting, conversation)]
    }

    public func fill(_ text: String, for conversation: Conversation) -> String { Template.render(text, conversation) }

    /// Whether `{{name}}` names a variable (1 to 32 of a-z, 0-9 and _, starting with a
    /// letter): anything else between braces is shown as written.
    public static func isVariableName(_ name: String) -> Bool { BotValidator.isVariableName(name) }

    public func respond(to input: VisitorInput, in conversation: inout Conversation) -> BotOutcome {
        var run = Run(bot: self, conversation: conversation)
        // A flow the bot's definition no longer has (it was edited meanwhile): the bot is
        // in charge again rather than wait on a question that is gone.
        if run.progress.flow != nil, run.currentStep == nil { run.abandonFlow() }
        if let action = input.action.flatMap(ButtonAction.init), run.canPerform(action) {
            run.perform(action)
        } else if case .ask(let question)? = run.currentStep {
            if input.files.isEmpty {
                run.answer(input.text, to: question)
            } else {
                // A screenshot with "this is wrong" is not a name, nor a choice.
                run.say(settings.fileReceived)
                run.ask(question)
            }
        } else if !input.text.isEmpty {
            run.understand(input.text)
        }
        conversation = run.conversation
        return BotOutcome(replies: run.replies, handover: run.handover, misunderstood: run.misunderstood)
    }

    /// How the bot reads `text` when it is in charge (no question waiting): the phrases
    /// that ask for a person win when they score at least the threshold and at least as
    /// well as the best intent; else the best intent at or above the threshold answers;
    /// else it is not understood. Also what the dashboard's "Try a sentence" shows.
    public func explain(_ text: String) -> Reading {
        let input = IntentMatcher.Phrase(text, language: definition.language)
        let handover = triggers.best(for: input)?.score ?? 0
        let scores = intents.scores(for: input)
        let best = scores.first
        let threshold = settings.threshold
        let outcome: Reading.Outcome = if handover > 0, handover >= threshold, handover >= (best?.score ?? 0) {
            .handover
        } else if let best, best.score >= threshold {
            .intent
        } else {
            .notUnderstood
        }
        return Reading(outcome: outcome, intent: outcome == .intent ? best?.name : nil, threshold: threshold,
                       handoverScore: handover, scores: scores.map { Reading.Score(intent: $0.name, score: $0.score) })
    }

    /// Whether `text`, given while a question waits, leaves it: one of `cancelTriggers`,
    /// case, accents and punctuation aside.
    func cancels(_ text: String) -> Bool {
        let canonical = Normalizer.canonical(text, language: definition.language)
        return !canonical.isEmpty && cancelPhrases.contains(canonical)
    }

    /// Whether `text`, given while a question waits, asks for a person rather than answers:
    /// one of `handoverTriggers` nearly as written (a score of 0.9 or more).
    func asksForAPerson(_ text: String) -> Bool {
        (triggers.best(for: IntentMatcher.Phrase(text, language: definition.language))?.score ?? 0) >= max(0.9, settings.threshold)
    }

    /// What the bot makes of a visitor's text (`explain`).
    public struct Reading: Sendable, Equatable {
        public enum Outcome: String, Sendable, Equatable { case handover, intent, notUnderstood = "not_understood" }
        public struct Score: Sendable, Equatable {
            public var intent: String
            public var score: Double
        }

        public var outcome: Outcome
        /// The intent that answers (`intent` outcome only).
        public var intent: String?
        public var threshold: Double
        /// How well the text matches the phrases that ask for a person (0 when not at all).
        public var handoverScore: Double
        /// Every intent that matches at all, best first.
        public var scores: [Score]
    }

    func reply(_ text: BotText, _ conversation: Conversation) -> BotReply {
        BotReply(Template.render(text.text, conversation), buttons: text.buttons.map(\.quickReply))
    }

    /// One visitor message's worth of bot work.
    struct Run {
        let bot: ScriptedBot
        var conversation: Conversation
        var replies: [BotReply] = []
        var handover: HandoverRequest?
        /// The visitor's text was not understood.
        var misunderstood = false
        var stepsRun = 0

        var settings: BotSettings { bot.settings }
        var progress: BotProgress {
            get { conversation.progress }
            set { conversation.progress = newValue }
        }

        var currentStep: Step? {
            guard let flow = progress.flow, let steps = bot.definition.flows[flow], steps.indices.contains(progress.step) else { return nil }
            return steps[progress.step]
        }

        mutating func say(_ text: String, buttons: [Button] = []) {
            replies.append(bot.reply(BotText(text: text, buttons: buttons), conversation))
        }

        /// Whether the bot has what a button's action names: a button of an earlier version
        /// of the bot is read as its title instead.
        func canPerform(_ action: ButtonAction) -> Bool {
            switch action {
            case .handover: true
            case .flow(let flow): bot.definition.flows[flow] != nil
            case .intent(let name): bot.definition.intents.contains { $0.name == name }
            }
        }

        mutating func perform(_ action: ButtonAction) {
            progress.misunderstandings = 0
            switch action {
            case .handover: requestHandover(HandoverReason(.asked))
            case .flow(let flow): start(flow)
            case .intent(let name):
                if let intent = bot.definition.intents.first(where: { $0.name == name }) { answer(intent) }
            }
        }

        /// The visitor left the question waiting: the flow ends, and a handover its
        /// questions were for is not asked for any more.
        mutating func cancelFlow() {
            abandonFlow()
            progress.misunderstandings = 0
            if progress.handoverPending {
                progress.handoverPending = false
                progress.handoverMessage = nil
                progress.handoverReason = nil
                progress.handoverCause = nil
                progress.handoverWhy = nil
            }
            say(settings.cancelMessage)
        }

        mutating func abandonFlow() {
            progress.flow = nil
            progress.step = 0
            progress.askAgain = nil
            progress.invalidAnswers = 0
            if conversation.state == .collecting { try? conversation.move(to: .bot) }
        }

        /// Free text while the bot is in charge: a handover trigger, an intent, or a
        /// misunderstanding.
        mutating func understand(_ text: String) {
            let reading = bot.explain(text)
            if reading.outcome == .handover {
                progress.misunderstandings = 0
                requestHandover(HandoverReason(.asked))
            } else if reading.outcome == .intent, let name = reading.intent,
                      let match = bot.definition.intents.first(where: { $0.name == name }) {
                progress.misunderstandings = 0
                answer(match)
            } else {
                misunderstood = true
                progress.misunderstandings += 1
                // 0: the bot never hands over by itself (the product page's fallback is optional).
                if settings.maxMisunderstandings > 0, progress.misunderstandings >= settings.maxMisunderstandings {
                    let count = progress.misunderstandings
                    progress.misunderstandings = 0
                    requestHandover(HandoverReason(.notUnderstood, "\(count)"))
                } else {
                    say(settings.fallback)
                }
            }
        }

        mutating func answer(_ intent: Intent) {
            if let text = intent.answer { say(text, buttons: intent.buttons) }
            if intent.handover, let flow = intent.then, !progress.handoverPending {
                // Its flow first, then the handover (and the handover flow, when another).
                progress.handoverPending = true
                keep(HandoverRequest(HandoverReason(.intent, intent.name)))
                start(flow)
            } else if intent.handover {
                requestHandover(HandoverReason(.intent, intent.name))
            } else if let flow = intent.then {
                start(flow)
            }
        }

        /// The visitor's answer to the question the bot is waiting on.
        mutating func answer(_ text: String, to question: Question) {
            // "Cancel" leaves the question and its flow (a pending handover's too), unless
            // it is an answer the question takes (a choice named "Stop").
            if bot.cancels(text), (question.type == .text && question.pattern == nil)
                || AnswerValidator.validate(text, for: question, language: bot.definition.language) == nil {
                cancelFlow()
                return
            }
            // "Talk to a person" is no answer: the visitor asks for one (unless the
            // questions are the handover's own).
            if !progress.handoverPending, bot.asksForAPerson(text) {
                progress.misunderstandings = 0
                progress.invalidAnswers = 0
                requestHandover(HandoverReason(.asked))
                return
            }
            if let value = AnswerValidator.validate(text, for: question, language: bot.definition.language) {
                conversation.set(question.save, to: value)
                if let flow = progress.flow { progress.answeredIn = (progress.answeredIn ?? [:]).merging([question.save: flow]) { $1 } }
                progress.askAgain?.removeAll { $0 == question.save }
                progress.invalidAnswers = 0
                progress.step += 1
                runSteps()
                return
            }
            progress.invalidAnswers += 1
            // With no fallback handover (0), a question is asked until answered or left
            // ("cancel"); one of the handover flow's is still given up after two.
            let giveUpAfter = settings.maxMisunderstandings > 0 ? settings.maxMisunderstandings : progress.handoverPending ? 2 : Int.max
            if progress.invalidAnswers >= giveUpAfter {
                progress.invalidAnswers = 0
                if progress.handoverPending {
                    // Never let one question block the way to a person: skip it, saying so
                    // (the visitor took the next question for their answer's acceptance).
                    say(bot.definition.language.texts.questionSkipped)
                    progress.step += 1
                    runSteps()
                } else {
                    requestHandover(HandoverReason(.question, question.ask))
                }
                return
            }
            say(question.retry ?? bot.definition.language.texts.retry(question.type))
            ask(question)
        }

        /// A handover: after the handover flow when there is one (and it is not running
        /// for this handover yet), saying `message` (else `handoverMessage`) when it
        /// happens. The handover flow already under way (an intent's `then` started it)
        /// goes on from where it is, its questions asked, then hands over; its own
        /// `handover` step (`fromFlowStep`) hands over.
        mutating func requestHandover(_ why: HandoverReason, message: String? = nil, fromFlowStep: Bool = false) {
            if let flow = settings.handoverFlow, !progress.handoverPending, bot.definition.flows[flow] != nil,
               !(fromFlowStep && progress.flow == flow) {
                progress.handoverPending = true
                keep(HandoverRequest(why))
                progress.handoverMessage = message
                guard progress.flow == flow else { return start(flow) }
                // Asked for a person while it waits on a question: the question again (what
                // was said was no answer), the handover after the last.
                if case .ask(let question)? = currentStep, needsAsking(question) { ask(question) } else { runSteps() }
            } else {
                handOver(keptRequest ?? HandoverRequest(why), message: message ?? progress.handoverMessage ?? settings.handoverMessage)
            }
        }

        /// The handover asked for earlier (before the handover flow ran), if one was.
        var keptRequest: HandoverRequest? {
            guard let reason = progress.handoverReason else { return nil }
            var request = HandoverRequest(reason: reason, cause: progress.handoverCause)
            request.why = progress.handoverWhy
            return request
        }

        mutating func keep(_ request: HandoverRequest) {
            progress.handoverReason = request.reason
            progress.handoverCause = request.cause
            progress.handoverWhy = request.why
        }

        mutating func handOver(_ request: HandoverRequest, message: String) {
            var request = request
            request.message = BotReply(Template.render(message, conversation))
            handover = request
            progress.flow = nil
            progress.step = 0
            progress.askAgain = nil
            progress.handoverPending = false
            progress.handoverMessage = nil
            keep(request)
            if conversation.state == .collecting { try? conversation.move(to: .bot) }
        }

        mutating func start(_ flow: String) {
            enter(flow)
            runSteps()
        }

        /// The flow's first step is next. Its questions answered in an earlier run of it are
        /// asked again (a second order's number); what the visitor told another flow, or
        /// Baton knew (a returning or signed-in visitor's name and email), is not.
        mutating func enter(_ flow: String) {
            progress.flow = flow
            progress.step = 0
            let again = (progress.answeredIn ?? [:]).filter { $0.value == flow }.keys.sorted()
            progress.askAgain = again.isEmpty ? nil : again
        }

        /// Whether a question is to be asked: its answer is not known, or is to be given
        /// again (`enter`).
        func needsAsking(_ question: Question) -> Bool {
            conversation.variable(question.save) == nil || progress.askAgain?.contains(question.save) == true
        }

        /// Runs steps from the current one until a question waits for an answer, a
        /// handover happens or the flow ends.
        mutating func runSteps() {
            while let flow = progress.flow, stepsRun < ScriptedBot.maxSteps {
                stepsRun += 1
                guard let step = currentStep else {
                    finishFlow()
                    return
                }
                switch step {
                case .say(let text):
                    replies.append(bot.reply(text, conversation))
                    progress.step += 1
                case .ask(let question):
                    if !needsAsking(question) {
                        progress.step += 1  // already known: don't ask again
                        continue
                    }
                    ask(question)
                    try? conversation.move(to: .collecting)
                    return
                case .handover(let text):
                    // The handover flow first, when this is not it.
                    requestHandover(HandoverReason(.flow, flow), message: text, fromFlowStep: true)
                    return
                case .goto(let next):
                    enter(next)
                }
            }
            if progress.flow != nil { finishFlow() }  // step budget exhausted: stop the loop
        }

        mutating func finishFlow() {
            let finished = progress.flow
            progress.flow = nil
            progress.step = 0
            progress.askAgain = nil
            if conversation.state == .collecting { try? conversation.move(to: .bot) }
            if progress.handoverPending {
                // An intent's own flow ran before its handover: the handover flow comes next.
                if let handoverFlow = settings.handoverFlow, finished != handoverFlow, bot.definition.flows[handoverFlow] != nil {
                    start(handoverFlow)
                    return
                }
                handOver(keptRequest ?? HandoverRequest(reason: "handover", cause: .byDesign),
                         message: progress.handoverMessage ?? settings.handoverMessage)
            }
        }

        mutating func ask(_ question: Question) {
            say(question.ask, buttons: question.type == .choice ? question.choices.map { Button(title: $0) } : [])
        }
    }
}

/// Fills `{{name}}` placeholders with collected variables (empty when not collected, with
/// the space before them when a sign, a space or the end follows, and a comma before that
/// when a sign or the end does). A
/// value is what a visitor typed: its Markdown is escaped, so that a name such as
/// `[Verify your account](https://…)` shows as written in the bot's message, not as a link;
/// inside a code span, where nothing is Markdown, it goes as typed, its backticks as `'`.
/// Braces around anything but a variable name (`{{ a b }}`, `{{x}`) stay as written.
enum Template {
    static func render(_ text: String, _ conversation: Conversation) -> String {
        guard hasPlaceholder(text) else { return text }
        var result = ""
        var rest = Substring(text)
        // Whether what is written so far ends inside a code span: an odd number of the
        // template's own backticks (not escaped) before the placeholder.
        var inCode = false, escaped = false
        func write(_ template: Substring) {
            result += template
            for character in template {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "`" { inCode.toggle() }
            }
        }
        while let open = rest.range(of: "{{") {
            write(rest[..<open.lowerBound])
            let after = rest[open.upperBound...]
            guard let close = after.range(of: "}}"),
                  case let name = String(after[..<close.lowerBound]).trimmingWhitespace(), BotValidator.isVariableName(name) else {
                // Not a placeholder here: one brace is text, and the next may open one.
                write("{")
                rest = rest[rest.index(after: open.lowerBound)...]
                continue
            }
            let value = conversation.variable(name) ?? ""
            rest = after[close.upperBound...]
            if value.isEmpty, !inCode {
                // Alone in brackets: "(your guide, {{name}})" is handled below; "I'm Ada
                // ({{name}})" loses the brackets, and the space before them.
                if result.hasSuffix("("), rest.first == ")" {
                    result.removeLast()
                    if result.hasSuffix(" ") { result.removeLast() }
                    rest = rest.dropFirst()
                    continue
                }
                // At the start of the text or of a line, with a comma after it: "{{name}},
                // welcome!" says "Welcome!".
                if result.isEmpty || result.hasSuffix("\n"), let sign = rest.first, [",", ";", ":"].contains(sign) {
                    rest = rest.dropFirst().drop { $0 == " " }
                    if let first = rest.first, first.isLowercase {
                        write(Substring(first.uppercased()))
                        rest = rest.dropFirst()
                    }
                    continue
                }
            }
            // Nothing to fill in ("Welcome back {{name}}!" to a visitor who gave no name):
            // the space before it goes too, before a sign, a space or the end ("Welcome
            // back!", not "Welcome back !").
            if value.isEmpty, !inCode, result.hasSuffix(" "), rest.first.map({ $0.isWhitespace || $0.isPunctuation }) ?? true {
                result.removeLast()
                // And a comma that introduced it, before a sign or the end ("Passing you
                // to a person, {{name}}." says "Passing you to a person.").
                if result.hasSuffix(","), rest.first.map(\.isPunctuation) ?? true { result.removeLast() }
                continue
            }
            // Values add no backticks to count: escaped outside a code span, replaced in one.
            result += inCode ? value.replacingOccurrences(of: "`", with: "'") : BotMarkdown.escaped(value)
        }
        return result + rest
    }

    /// Whether the text has a `{{`: most replies have none, and Foundation's
    /// `contains` costs far more than a look at the bytes.
    static func hasPlaceholder(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "{"), previous == byte { return true }
            previous = byte
        }
        return false
    }
}
