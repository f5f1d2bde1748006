/// The Markdown of a bot's messages, which the widget and the dashboard show (bold,
/// italics, code, links): what a visitor typed is put into it escaped.
public enum BotMarkdown {
    /// Characters that start or end the Markdown the widget shows.
    static let markup: Set<Character> = ["\\", "`", "*", "_", "~", "[", "]"]
    /// Characters a backslash makes literal (the widget's escapes, CommonMark's).
    static let escapable: Set<Character> = ["\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "-", ".", "!", "~", "|", ">"]

    /// `text` with a backslash before each character that could start Markdown.
    public static func escaped(_ text: String) -> String {
        guard text.contains(where: markup.contains) else { return text }
        var out = ""
        for character in text {
            if markup.contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// The text a bot's message shows, without its escaping backslashes, for where it is
    /// shown as plain text (Mattermost's transcript, files).
    public static func unescaped(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                if !escapable.contains(character) { out.append("\\") }
                out.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        if escaping { out.append("\\") }
        return out
    }

    /// The `{{name}}` placeholders of a text: what stands between `{{` and `}}`, trimmed,
    /// in order (`{{{name}}}` holds `name`).
    public static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            let after = rest[open.upperBound...]
            guard let close = after.range(of: "}}") else { break }
            let inside = after[..<close.lowerBound]
            // `{{{name}}}`: the placeholder is the innermost.
            if inside.hasPrefix("{") { rest = rest[rest.index(after: open.lowerBound)...]; continue }
            found.append(String(inside).trimmingWhitespace())
            rest = after[close.upperBound...]
        }
        return found
    }
}
