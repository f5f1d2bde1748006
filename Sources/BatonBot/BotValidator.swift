import BatonCore

/// Checks the meaning of a decoded bot: references that must exist, values in range,
/// texts that must not be empty. Reports every problem with its path.
struct BotValidator {
    let definition: BotDefinition
    /// With the checks added after bots were stored without them (loops, placeholders,
    /// choices, triggers and keywords, empty retry and handover texts): a document is
    /// saved only if it passes them, a stored one runs without them (the bot copes:
    /// `ScriptedBot.maxSteps`, placeholders left as text).
    var strict = true

    func issues() -> [BotIssue] {
        var issues: [BotIssue] = []
        func report(_ path: String, _ message: String) { issues.append(BotIssue(path: path, message: message)) }

        // `~` is YAML's null: no name either.
        if definition.name.trimmingWhitespace().isEmpty || definition.name == "~" { report("name", "the bot needs a name") }
        if definition.name.count > 64 { report("name", "the name is longer than 64 characters") }
        checkText(definition.greeting, at: "greeting", report: report)

        let settings = definition.settings
        if !(0...1).contains(settings.threshold) { report("settings.threshold", "the threshold is a number from 0 to 1") }
        if settings.maxMisunderstandings < 0 { report("settings.maxMisunderstandings", "must be 0 (never hand over by itself) or more") }
        if let flow = settings.handoverFlow, definition.flows[flow] == nil {
            report("settings.handoverFlow", "there is no flow named \"\(flow)\"\(suggestion(flow, among: Array(definition.flows.keys)))")
        }
        for (name, text) in [("fallback", settings.fallback), ("fileReceived", settings.fileReceived), ("handoverMessage", settings.handoverMessage),
                             ("noAgentsMessage", settings.noAgentsMessage), ("cancelMessage", settings.cancelMessage)] where text.trimmingWhitespace().isEmpty {
            report("settings.\(name)", "this text must not be empty")
        }
        for (i, trigger) in settings.cancelTriggers.enumerated() where Normalizer.canonical(trigger, language: definition.language).isEmpty {
            report("settings.cancelTriggers[\(i)]", "this phrase has no words")
        }

        var seen = Set<String>()
        for (index, intent) in definition.intents.enumerated() {
            let path = "intents[\(index)]"
            if intent.name.trimmingWhitespace().isEmpty { report("\(path).name", "the intent needs a name") }
            if !seen.insert(intent.name).inserted { report("\(path).name", "another intent is also named \"\(intent.name)\"") }
            if intent.examples.isEmpty && intent.keywords.isEmpty {
                report(path, "give the intent examples or keywords, or it can never match")
            }
            for (i, example) in intent.examples.enumerated() where Normalizer.tokens(example, language: definition.language).isEmpty {
                report("\(path).examples[\(i)]", "this example has no words")
            }
            if intent.answer == nil && intent.then == nil && !intent.handover {
                report(path, "the intent needs an answer, a flow to run (then) or handover: true")
            }
            if let answer = intent.answer, answer.trimmingWhitespace().isEmpty { report("\(path).answer", "the answer is empty") }
            if let flow = intent.then { checkFlowReference(flow, at: "\(path).then", report: report) }
            checkButtons(intent.buttons, at: "\(path).buttons", report: report)
        }

        for (name, steps) in definition.flows.sorted(by: { $0.key < $1.key }) {
            let path = "flows.\(name)"
            if steps.isEmpty { report(path, "the flow has no steps") }
            for (index, step) in steps.enumerated() {
                checkStep(step, at: "\(path)[\(index)]", report: report)
            }
        }
        guard strict else { return issues }
        checkLoops(report: report)
        for (i, trigger) in settings.handoverTriggers.enumerated() {
            let words = Normalizer.tokens(trigger, language: definition.language)
            if words.isEmpty {
                report("settings.handoverTriggers[\(i)]", "this phrase has no words")
            } else if words.allSatisfy(definition.language.isStopword) && words.count < 2 {
                report("settings.handoverTriggers[\(i)]", "\"\(trigger)\" alone is too common a word: any message with it would hand over")
            }
        }
        for (index, intent) in definition.intents.enumerated() {
            for (i, keyword) in intent.keywords.enumerated() {
                let words = Normalizer.tokens(keyword, language: definition.language)
                if words.isEmpty {
                    report("intents[\(index)].keywords[\(i)]", "this keyword has no letters or digits: it can never match")
                } else if words.allSatisfy({ $0.count == 1 && $0.unicodeScalars.allSatisfy(\.isASCII) }) {
                    // "c++" is read as "c": any message with that letter alone would match.
                    report("intents[\(index)].keywords[\(i)]", "\"\(keyword)\" is read as single letters (signs are left out): it would match too much")
                }
            }
        }
        checkPlaceholders(report: report)
        return issues
    }

    /// Flows that lead back to themselves through `goto` would run round (a question in
    /// the loop is skipped once its answer is known): refused.
    private func checkLoops(report: (String, String) -> Void) {
        // The flow each flow goes on to: its first `goto` (the steps after it never run).
        var next: [String: (String, Int)] = [:]
        for (name, steps) in definition.flows {
            if let index = steps.firstIndex(where: { if case .goto = $0 { true } else { false } }), case .goto(let target) = steps[index] {
                next[name] = (target, index)
            }
        }
        var reported = Set<String>()
        for start in definition.flows.keys.sorted() where !reported.contains(start) {
            var path = [start], flow = start
            while let (target, _) = next[flow], definition.flows[target] != nil {
                if let loopStart = path.firstIndex(of: target) {
                    let loop = Array(path[loopStart...])
                    // Said once, from the loop's first flow by name, round to it again.
                    if loop.allSatisfy({ !reported.contains($0) }), let first = loop.min(), let at = loop.firstIndex(of: first),
                       let (_, index) = next[first] {
                        let order = Array(loop[at...] + loop[..<at]) + [first]
                        report("flows.\(first)[\(index)].goto",
                               "the flows go round (\(order.joined(separator: " → "))): the visitor would get the same messages again and again")
                    }
                    reported.formUnion(loop)
                    break
                }
                path.append(target)
                flow = target
            }
        }
    }

    /// `{{name}}` in a bot's texts must name a variable: `name`, `email`, or one a question
    /// saves. Buttons and choices are shown as written: no placeholders there.
    private func checkPlaceholders(report: (String, String) -> Void) {
        var saved: Set<String> = ["name", "email"]
        for steps in definition.flows.values {
            for case .ask(let question) in steps { saved.insert(question.save) }
        }
        func check(_ text: String, at path: String) {
            for placeholder in BotMarkdown.placeholders(in: text) {
                if !Self.isVariableName(placeholder) {
                    report(path, "{{\(placeholder)}} is no variable name (1 to 32 of a-z, 0-9 and _, starting with a letter): it would show as written")
                } else if !saved.contains(placeholder) {
                    report(path, "{{\(placeholder)}}: no question saves \"\(placeholder)\"\(suggestion(placeholder, among: Array(saved))), so it would always be empty")
                }
            }
        }
        func refuse(_ text: String, at path: String) {
            if !BotMarkdown.placeholders(in: text).isEmpty { report(path, "placeholders are not filled in here: it is shown as written") }
        }
        func checkButtons(_ buttons: [Button], at path: String) {
            for (i, button) in buttons.enumerated() { refuse(button.title, at: "\(path)[\(i)].title") }
        }
        check(definition.greeting.text, at: "greeting")
        checkButtons(definition.greeting.buttons, at: "greeting.buttons")
        let settings = definition.settings
        for (name, text) in [("fallback", settings.fallback), ("fileReceived", settings.fileReceived), ("handoverMessage", settings.handoverMessage),
                             ("noAgentsMessage", settings.noAgentsMessage), ("cancelMessage", settings.cancelMessage)] {
            check(text, at: "settings.\(name)")
        }
        for (index, intent) in definition.intents.enumerated() {
            if let answer = intent.answer { check(answer, at: "intents[\(index)].answer") }
            checkButtons(intent.buttons, at: "intents[\(index)].buttons")
        }
        for (name, steps) in definition.flows.sorted(by: { $0.key < $1.key }) {
            for (index, step) in steps.enumerated() {
                let path = "flows.\(name)[\(index)]"
                switch step {
                case .say(let text):
                    check(text.text, at: "\(path).say")
                    checkButtons(text.buttons, at: "\(path).buttons")
                case .ask(let question):
                    check(question.ask, at: "\(path).ask")
                    if let retry = question.retry { check(retry, at: "\(path).retry") }
                    for (i, choice) in question.choices.enumerated() { refuse(choice, at: "\(path).choices[\(i)]") }
                case .handover(let text?): check(text, at: "\(path).handover")
                case .handover(nil), .goto: break
                }
            }
        }
    }


    private func checkStep(_ step: Step, at path: String, report: (String, String) -> Void) {
        switch step {
        case .say(let text):
            if text.text.trimmingWhitespace().isEmpty { report("\(path).say", "this text must not be empty") }
            checkButtons(text.buttons, at: "\(path).buttons", report: report)
        case .ask(let question):
            if question.ask.trimmingWhitespace().isEmpty { report("\(path).ask", "the question must not be empty") }
            if !Self.isVariableName(question.save) {
                report("\(path).save", "a variable name is 1 to 32 of a-z, 0-9 and _, starting with a letter")
            }
            if question.type == .choice && question.choices.count < 2 {
                report("\(path).choices", "a choice question needs at least two choices")
            }
            if question.type != .text && question.pattern != nil {
                report("\(path).pattern", "a pattern only goes with type: text (the other types check their answers themselves)")
            } else if question.pattern != nil && question.retry == nil {
                // The default ("I need an answer to go on") is wrong for an answer that was given.
                report("\(path).pattern", "a question with a pattern needs a retry text that says what an answer looks like (\"Order numbers look like PC-123456.\")")
            }
            if question.type != .choice && !question.choices.isEmpty {
                report("\(path).choices", "choices only go with type: choice")
            }
            guard strict else { return }
            if question.choices.count > 10 { report("\(path).choices", "at most 10 choices fit under a question") }
            var seenChoices = Set<String>()
            for (i, choice) in question.choices.enumerated() {
                let canonical = Normalizer.canonical(choice, language: definition.language)
                if choice.trimmingWhitespace().isEmpty {
                    report("\(path).choices[\(i)]", "a choice must not be empty")
                } else if choice.count > 60 {
                    report("\(path).choices[\(i)]", "a choice is at most 60 characters (it is a button)")
                } else if !seenChoices.insert(canonical).inserted {
                    report("\(path).choices[\(i)]", "\"\(choice)\" is another choice again (case and punctuation aside): the visitor could not tell them apart")
                }
            }
            if let retry = question.retry, retry.trimmingWhitespace().isEmpty { report("\(path).retry", "this text must not be empty") }
        case .handover(let text?) where strict && text.trimmingWhitespace().isEmpty:
            report("\(path).handover", "the text must not be empty (or write handover: true)")
        case .handover:
            break
        case .goto(let flow):
            checkFlowReference(flow, at: "\(path).goto", report: report)
        }
    }

    private func checkText(_ text: BotText, at path: String, report: (String, String) -> Void) {
        if text.text.trimmingWhitespace().isEmpty { report(path, "this text must not be empty") }
        checkButtons(text.buttons, at: "\(path).buttons", report: report)
    }

    private func checkButtons(_ buttons: [Button], at path: String, report: (String, String) -> Void) {
        if buttons.count > 10 { report(path, "at most 10 buttons fit under a message") }
        for (index, button) in buttons.enumerated() {
            let here = "\(path)[\(index)]"
            if button.title.trimmingWhitespace().isEmpty { report("\(here).title", "the button needs a title") }
            if button.title.count > 60 { report("\(here).title", "a button title is at most 60 characters") }
            guard let action = button.action else { continue }
            switch ButtonAction(action) {
            case .handover: break
            case .flow(let flow): checkFlowReference(flow, at: "\(here).action", report: report)
            case .intent(let name):
                if !definition.intents.contains(where: { $0.name == name }) {
                    report("\(here).action", "there is no intent named \"\(name)\"\(suggestion(name, among: definition.intents.map(\.name)))")
                }
            case nil: report("\(here).action", "an action is handover, flow:NAME or intent:NAME")
            }
        }
    }

    private func checkFlowReference(_ flow: String, at path: String, report: (String, String) -> Void) {
        if definition.flows[flow] == nil {
            report(path, "there is no flow named \"\(flow)\"\(suggestion(flow, among: Array(definition.flows.keys)))")
        }
    }

    private func suggestion(_ name: String, among names: [String]) -> String {
        let close = names.min { Fuzzy.distance($0, name) < Fuzzy.distance($1, name) }
        guard let close, Fuzzy.distance(close, name) <= 2 else { return "" }
        return " (did you mean \"\(close)\"?)"
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 32 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// What a quick-reply button does when pressed.
enum ButtonAction: Equatable {
    case handover
    case flow(String)
    case intent(String)

    init?(_ action: String) {
        if action == "handover" {
            self = .handover
        } else if action.hasPrefix("flow:"), action.count > 5 {
            self = .flow(String(action.dropFirst(5)))
        } else if action.hasPrefix("intent:"), action.count > 7 {
            self = .intent(String(action.dropFirst(7)))
        } else {
            return nil
        }
    }
}
