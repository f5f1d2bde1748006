import BatonCore

/// Makes text written by a visitor inert in a Mattermost post: it shows as written, but
/// mentions nobody, links nowhere, embeds nothing and cannot change the post's layout.
public enum MattermostText {
    /// Mattermost's limit on a post, in runes (Unicode scalars). Older databases: 4,000.
    public static let maxPostRunes = 16_383

    /// Characters that start or end Markdown constructs anywhere in a line (emphasis,
    /// code, links, images, tables, strikethrough, HTML, channel links, hashtags, LaTeX).
    static let escapedEverywhere: Set<Unicode.Scalar> = ["\\", "`", "*", "_", "[", "]", "(", ")", "<", ">", "|", "~", "#", "!", "$", "{", "}"]
    /// Characters that start a block construct only at the start of a line (lists,
    /// headings written with underlines).
    static let escapedAtLineStart: Set<Unicode.Scalar> = ["-", "+", "=", ":"]
    static let zeroWidthSpace: Unicode.Scalar = "\u{200B}"

    /// The text escaped: Markdown punctuation backslash-escaped; `@` followed by an
    /// invisible zero-width space so no `@all`, `@channel`, `@here` or `@user` is a
    /// mention (except inside a word, as in an email address, where none can start);
    /// addresses (`https://…`, `www.…`) in code spans, whole but no links, and any other
    /// `://` and `www.` broken by the zero-width space so nothing is auto-linked; control
    /// characters dropped; indentation that would make a code block removed.
    public static func inert(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.isEmpty { lines = [""] }
        for (index, line) in lines.enumerated() {
            if index > 0 { out.append("\n") }
            appendLine(Substring(line), to: &out)
        }
        return String(out)
    }

    private static func appendLine(_ line: Substring, to out: inout String.UnicodeScalarView) {
        // Leading white space would make an indented code block: drop it.
        let scalars = Array(line.unicodeScalars.drop { $0 == " " || $0 == "\t" })
        var atStart = true
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            defer { index += 1 }
            if scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F { continue }
            if scalar == "\u{200B}" || scalar == "\u{2060}" || scalar == "\u{FEFF}" {
                // Invisible characters of the visitor's could hide a mention from a reader.
                continue
            }
            if let end = addressEnd(scalars, from: index, after: out.last) {
                // An address the visitor wrote: shown whole in a code span, which Mattermost
                // neither links nor reads for mentions, so agents copy it as it is.
                out.append("`")
                out.append(contentsOf: scalars[index..<end])
                out.append("`")
                atStart = false
                index = end - 1
                continue
            }
            if escapedEverywhere.contains(scalar) || (atStart && escapedAtLineStart.contains(scalar)) {
                out.append("\\")
                out.append(scalar)
            } else if atStart, ("0"..."9").contains(scalar), let end = digitsEnd(scalars, from: index),
                      end < scalars.count, scalars[end] == "." || scalars[end] == ")" {
                // "1. item" would be a numbered list: escape its dot.
                out.append(contentsOf: scalars[index..<end])
                out.append("\\")
                out.append(scalars[end])
                index = end
            } else if scalar == "@" {
                // After a letter or a number an `@` starts no mention (Mattermost reads words
                // of letters, numbers and `: . - _ @`, trimmed of `: . - _` in front, and cut
                // again at `. - :`): an email address stays whole, to copy and to click.
                // Anywhere else, broken.
                let inWord = out.last.map(isLetterOrNumber) ?? false
                out.append(scalar)
                if !inWord { out.append(zeroWidthSpace) }
            } else if scalar == ":", index + 2 < scalars.count, scalars[index + 1] == "/", scalars[index + 2] == "/" {
                out.append(scalar)
                out.append(zeroWidthSpace)
            } else if scalar == ".", index >= 3, scalars[(index - 3)..<index].map({ Character($0).lowercased() }).joined() == "www" {
                out.append(zeroWidthSpace)
                out.append(scalar)
            } else {
                out.append(scalar)
            }
            if scalar != " " && scalar != "\t" { atStart = false }
        }
    }

    /// Where an address starting at `start` ends (`http://…`, `https://…` or `www.…` up to
    /// the next space, without the punctuation that ends a sentence or closes a bracket),
    /// when one starts there: not inside a word, and without anything a code span could
    /// not hold (a backtick, a control or invisible character).
    static func addressEnd(_ scalars: [Unicode.Scalar], from start: Int, after previous: @autoclosure () -> Unicode.Scalar?) -> Int? {
        // Called at every character of every relayed message: no strings made to look.
        func starts(with prefix: StaticString) -> Bool {
            let bytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            guard scalars.count - start >= bytes.count else { return false }
            for (offset, byte) in bytes.enumerated() {
                var value = scalars[start + offset].value
                if (0x41...0x5A).contains(value) { value += 0x20 }
                if value != UInt32(byte) { return false }
            }
            return true
        }
        guard starts(with: "http://") || starts(with: "https://") || starts(with: "www.") else { return nil }
        if let previous = previous(), isLetterOrNumber(previous) { return nil }
        var end = start
        while end < scalars.count, !scalars[end].properties.isWhitespace { end += 1 }
        // Punctuation after an address is the sentence's; a closing parenthesis is the
        // address's when it closes one of its own (`…/Swift_(programming_language)`).
        while end > start {
            let last = scalars[end - 1]
            if last == ")" {
                let opened = scalars[start..<end].reduce(0) { $0 + ($1 == "(" ? 1 : $1 == ")" ? -1 : 0) }
                guard opened < 0 else { break }
            } else if !".,;:!?]}'\"*_~>".unicodeScalars.contains(last) {
                break
            }
            end -= 1
        }
        let address = scalars[start..<end]
        guard end - start > 8,
              !address.contains(where: { $0 == "`" || $0.value < 0x20 || $0.value == 0x7F || $0.properties.generalCategory == .format })
        else { return nil }
        return end
    }

    /// A letter or a number as Go's `unicode.IsLetter` and `unicode.IsNumber` say (general
    /// categories L and N), which is what Mattermost's mention parser asks.
    static func isLetterOrNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }

    private static func digitsEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var end = start
        while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
        return end > start ? end : nil
    }

    /// A name for a post or a display name: one line, inert, at most `limit` characters.
    public static func inertName(_ name: String, limit: Int = 64) -> String {
        let line = name.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingWhitespace()
        return inert(String(line.prefix(limit)))
    }

    /// Splits a post that is over the limit into parts that are not, at line breaks or
    /// spaces where it can, never inside an escape (`\x`) or after an `@` or `:` whose
    /// zero-width space would be cut off.
    /// A page the visitor is on, as agents see it. On a site the widget is allowed on
    /// (`linked`), a Markdown link; else the title and the address inert, which agents can
    /// copy but not click: the page is the visitor's word, and a widget allowed anywhere
    /// (or a script that is no browser) could otherwise have Baton post a link of anyone's
    /// choosing, under a title of theirs, to every agent.
    public static func page(_ page: VisitedPage, linked: Bool) -> String {
        if linked { return link(to: page) }
        guard !page.title.isEmpty else { return inert(page.url) }
        return "\(inertName(page.title, limit: VisitedPage.maxTitleLength)) (\(inert(page.url)))"
    }

    /// A Markdown link to a page the visitor is on: the title inert (or the address when
    /// there is none), the address with every character that could end or bend the link
    /// percent-encoded. The address is an absolute http(s) one (`VisitedPage`).
    public static func link(to page: VisitedPage) -> String {
        var url = ""
        for byte in page.url.utf8 {
            let kept = (0x21...0x7E).contains(byte) && !Array("()<>[]`\"'\\{}|^".utf8).contains(byte)
            if kept {
                url.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                url += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        let title = page.title.isEmpty ? page.url : page.title
        return "[\(inertName(title, limit: VisitedPage.maxTitleLength))](\(url))"
    }

    public static func split(_ text: String, limit: Int = maxPostRunes) -> [String] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > limit, limit > 8 else { return [text] }
        let characterEnds = text.characterEnds
        var parts: [String] = []
        var start = 0
        while scalars.count - start > limit {
            var end = start + limit
            // Prefer the last line break, then the last space, in the second half; else the
            // last end of a character (a flag, a family emoji is not cut in two).
            let window = scalars[(start + limit / 2)..<end]
            if let newline = window.lastIndex(of: "\n") {
                end = newline + 1
            } else if let space = window.lastIndex(of: " ") {
                end = space + 1
            } else if let between = (start + 1...end).reversed().first(where: characterEnds.contains) {
                end = between
            }
            while end > start + 1, scalars[end - 1] == "\\" || scalars[end] == zeroWidthSpace { end -= 1 }
            parts.append(String(String.UnicodeScalarView(scalars[start..<end])))
            start = end
        }
        parts.append(String(String.UnicodeScalarView(scalars[start...])))
        return parts
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
