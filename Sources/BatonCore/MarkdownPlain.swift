import Foundation

/// Agents' Markdown as plain text, for an email: the words as they read in the widget,
/// without the marks (`**done**` → `done`, `[our page](https://…)` → `our page
/// (https://…)`), addresses written out.
public enum MarkdownPlain {
    public static func text(_ markdown: String) -> String {
        var lines: [String] = []
        for line in markdown.components(separatedBy: "\n") {
            // A code fence's own lines say nothing; the code between them stays as it is.
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { continue }
            lines.append(inline(heading(line)))
        }
        return lines.joined(separator: "\n")
    }

    /// `## Title` → `Title`.
    private static func heading(_ line: String) -> String {
        guard let match = headingPattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
              let range = Range(match.range(at: 1), in: line) else { return line }
        return String(line[range])
    }

    private static func inline(_ line: String) -> String {
        var text = line
        for (pattern, template) in rules {
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
        }
        // A link whose label is its address, written once.
        text = sameLink.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1")
        // `\*` → `*`: a backslash before Markdown punctuation only kept it from being a mark.
        return BotMarkdown.unescaped(text)
    }

    private static let headingPattern = try! NSRegularExpression(pattern: "^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$")
    private static let sameLink = try! NSRegularExpression(pattern: "(\\S+) \\(\\1\\)")
    private static let address = "((?:https?://|mailto:)(?:[^\\s()]|\\([^\\s()]*\\))+)"
    private static let rules: [(NSRegularExpression, String)] = [
        ("`([^`\\n]+)`", "$1"),
        ("!\\[([^\\]\\n]*)\\]\\(" + address + "\\)", "$1 ($2)"),
        ("\\[([^\\]\\n]+)\\]\\(" + address + "\\)", "$1 ($2)"),
        ("\\*\\*(?=\\S)([^\\n]*?\\S)\\*\\*", "$1"),
        ("__(?=\\S)([^\\n]*?\\S)__", "$1"),
        ("~~(?=\\S)([^\\n~]*?\\S)~~", "$1"),
        ("(^|[^\\w*\\\\])\\*(?=[^\\s*])([^\\n*]*?[^\\s*\\\\])\\*(?![\\w*])", "$1$2"),
        ("(^|[^\\w_\\\\])_(?=[^\\s_])([^\\n_]*?[^\\s_\\\\])_(?![\\w_])", "$1$2"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
}
