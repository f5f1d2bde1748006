/// An address that may hold a password (`scheme://USER:PASSWORD@HOST…`), for an error or a
/// log line: the password is left out.
public enum URLPassword {
    /// `text` with what stands between `://USER:` and the last `@` replaced by `…`; as it is
    /// when it holds no password.
    public static func hidden(in text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://").map(\.upperBound) ?? text.startIndex
        guard start < at, let colon = text[start..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "…" + String(text[at...])
    }
}
