/// How the real server finds the mentions of a post (its standard mention parser), so that
/// tests can tell whether a post would notify anyone: the post's text as Markdown shows it
/// (backslash escapes resolved, code left out), cut into words at every character that is
/// not a letter, a number or one of `: . - _ @`; a word is a mention when, with leading
/// `: . - _` trimmed (or also trailing `. - : _`, one at a time), it is a keyword such as
/// `@alice`, `@all`, `@channel` or `@here`; a word that is none but holds `. - :` is cut
/// again there and each piece checked.
public enum MentionParser {
    /// The mention keywords `message` contains, lowercased (`@all`, `@alice`, …), among
    /// `keywords` (also lowercased) and the channel-wide three.
    public static func mentions(in message: String, keywords: Set<String> = []) -> Set<String> {
        let channelWide: Set<String> = ["@all", "@channel", "@here"]
        var found = Set<String>()
        func check(_ word: Substring.UnicodeScalarView) -> Bool {
            let lowered = String(word).lowercased()
            guard channelWide.contains(lowered) || keywords.contains(lowered) else { return false }
            found.insert(lowered)
            return true
        }
        // Scalar by scalar, as Go's `strings.FieldsFunc` goes rune by rune with
        // `unicode.IsLetter` and `unicode.IsNumber` (a combining accent is neither).
        let text = Substring(shownText(message)).unicodeScalars
        for raw in text.split(whereSeparator: { !isWordScalar($0) }) {
            if raw.count > 1, raw.first == ":", raw.last == ":" { continue }  // an emoji
            let word = raw.drop { ":.-_".unicodeScalars.contains($0) }
            if check(word) { continue }
            var shorter = word
            var foundWithoutSuffix = false
            while let last = shorter.last, ".-:_".unicodeScalars.contains(last) {
                shorter = shorter.dropLast()
                if check(shorter) { foundWithoutSuffix = true; break }
            }
            if foundWithoutSuffix || word.first == "@" { continue }
            if word.contains(where: { ".-:".unicodeScalars.contains($0) }) {
                for piece in word.split(whereSeparator: { ".-:".unicodeScalars.contains($0) }) { _ = check(piece) }
            }
        }
        return found
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if ":.-_@".unicodeScalars.contains(scalar) { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// The text Markdown shows: a backslash before ASCII punctuation dropped, code spans and
    /// fenced code left out (the server does not look for mentions in code).
    static func shownText(_ message: String) -> String {
        var out = ""
        var inFence = false
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); out += "\n"; continue }
            if inFence { out += "\n"; continue }
            var inCode = false
            let characters = Array(line)
            var index = 0
            while index < characters.count {
                let character = characters[index]
                index += 1
                if character == "\\", !inCode, index < characters.count,
                   let next = characters[index].asciiValue, (0x21...0x7E).contains(next), !characters[index].isLetter, !characters[index].isNumber {
                    out.append(characters[index])
                    index += 1
                } else if character == "`" {
                    inCode.toggle()
                    out.append(" ")
                } else if !inCode {
                    out.append(character)
                }
            }
            out += "\n"
        }
        return out
    }
}
