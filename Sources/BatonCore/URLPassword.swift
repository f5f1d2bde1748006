import Foundation

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

    /// Whether the user name and password of `text` (`scheme://USER:PASSWORD@HOST…`) are
    /// well percent-encoded: every `%` starts an escape of two hex digits. URLComponents
    /// on Linux takes a stray `%` as written (`p%zz` stays `p%zz`), which a server then
    /// refuses with nothing to say why. True when there is no user name.
    public static func hasValidUserInfo(_ text: String) -> Bool {
        guard let start = text.range(of: "://")?.upperBound else { return true }
        let authority = text[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return true }
        return String(authority[..<at]).removingPercentEncoding != nil
    }
}
