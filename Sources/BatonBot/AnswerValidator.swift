import Foundation

/// Checks a visitor's answer to a question and returns the value to store.
enum AnswerValidator {
    static func validate(_ answer: String, for question: Question, language: BotLanguage = .english) -> String? {
        let answer = answer.trimmingWhitespace()
        guard !answer.isEmpty else { return nil }
        switch question.type {
        // A long answer is taken, kept to its start: the message holds it whole.
        case .text:
            if let pattern = question.pattern { return pattern.matches(answer) ? answer : nil }
            return answer.count <= 500 ? answer : String(answer.prefix(499)) + "…"
        case .email: return email(answer)
        case .phone: return phone(answer)
        case .choice: return choice(answer, among: question.choices, language: language)
        }
    }

    /// `local@domain.tld`, no spaces, domain lowercased. Typed with a Japanese or Chinese
    /// input method, full-width letters and signs are read as what they stand for
    /// (`ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ` is `user@example.com`), and the ideographic full stop
    /// parts a domain's labels as a dot does (`user@例え。jp`), as IDNA reads it.
    static func email(_ typed: String) -> String? {
        let text = typed.precomposedStringWithCompatibilityMapping.replacingOccurrences(of: "\u{3002}", with: ".")
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, text.count <= 254 else { return nil }
        let local = parts[0], domain = parts[1].lowercased()
        // Letters (any script), digits and the signs addresses use; dots between them.
        guard !local.isEmpty, local.count <= 64, local.first != ".", local.last != ".", !local.contains(".."),
              local.allSatisfy({ $0.isLetter || $0.isNumber || "!#$%&'*+/=?^_`{|}~.-".contains($0) }) else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }), let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) else { return nil }
        return "\(local)@\(domain)"
    }

    /// 7 to 15 digits (of any script), optionally led by `+`, with spaces, dots, dashes,
    /// slashes (German's "030/1234567") and parentheses allowed between them.
    static func phone(_ text: String) -> String? {
        var digits = 0
        for (offset, character) in text.enumerated() {
            // Digits of any script (Persian ۰۹۱, Arabic ٠٩١, full-width ０９０).
            if character.unicodeScalars.count == 1, character.unicodeScalars.first?.properties.numericType == .decimal {
                digits += 1
            } else if character == "+" {
                guard offset == 0 else { return nil }
            } else if !" .-()/".contains(character) {
                return nil
            }
        }
        return (7...15).contains(digits) ? text : nil
    }

    /// The choice the answer names: exactly (ignoring case and punctuation), by its
    /// number in the list, or closely enough despite a typo.
    static func choice(_ text: String, among choices: [String], language: BotLanguage = .english) -> String? {
        let canonical = Normalizer.canonical(text, language: language)
        if let exact = choices.first(where: { Normalizer.canonical($0, language: language) == canonical }) { return exact }
        if let number = Int(canonical), choices.indices.contains(number - 1) { return choices[number - 1] }
        let input = IntentMatcher.Phrase(text, language: language)
        let scored = choices.map { ($0, IntentMatcher.score(example: IntentMatcher.Phrase($0, language: language), input: input)) }
        guard let best = scored.max(by: { $0.1 < $1.1 }), best.1 >= 0.75 else { return nil }
        // Refuse a tie: "support or sales" names two choices.
        if scored.filter({ $0.1 >= best.1 - 0.05 }).count > 1 { return nil }
        return best.0
    }
}
