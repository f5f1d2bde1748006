/// Checks the meaning of a decoded bot: references that must exist, values in range,
/// texts that must not be empty. Reports every problem with its path.
struct BotValidator {
    let definition: BotDefinition

    func issues() -> [BotIssue] {
        var issues: [BotIssue] = []
        func report(_ path: String, _ message: String) { issues.append(BotIssue(path: path, message: message)) }

        if definition.name.trimmingWhitespace().isEmpty { report("name", "the bot needs a name") }
        if definition.name.count > 64 { report("name", "the name is longer than 64 characters") }
        checkText(definition.greeting, at: "greeting", report: report)

        let settings = definition.settings
        if !(0...1).contains(settings.threshold) { report("settings.threshold", "the threshold is a number from 0 to 1") }
        if settings.maxMisunderstandings < 1 { report("settings.maxMisunderstandings", "must be at least 1") }
        if let flow = settings.handoverFlow, definition.flows[flow] == nil {
            report("settings.handoverFlow", "there is no flow named \"\(flow)\"\(suggestion(flow, among: Array(definition.flows.keys)))")
        }
        for (name, text) in [("fallback", settings.fallback), ("fileReceived", settings.fileReceived), ("handoverMessage", settings.handoverMessage),
                             ("noAgentsMessage", settings.noAgentsMessage)] where text.trimmingWhitespace().isEmpty {
            report("settings.\(name)", "this text must not be empty")
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
        return issues
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
            if question.type != .choice && !question.choices.isEmpty {
                report("\(path).choices", "choices only go with type: choice")
            }
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
