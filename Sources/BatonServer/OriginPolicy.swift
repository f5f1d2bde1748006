import BatonCore

/// Which pages may open a widget's socket.
enum OriginPolicy {
    /// Baton's own pages (same host) are always allowed; others must be listed, unless the
    /// list is empty.
    static func allows(origin: String?, host: String?, allowed: [String]) -> Bool {
        guard !allowed.isEmpty else { return true }
        guard let origin = origin.map(normalise) else { return false }
        if isBatonsOwn(origin, host: host) { return true }
        // Saved origins are in the browsers' form; one saved before that was checked is
        // put in it only when none matched as it is.
        return allowed.contains { normalise($0) == origin } || allowed.contains { canonical($0) == origin }
    }

    /// Whether a page of `origin` is one of Baton's own: its host is the one the request
    /// asked for (`Host`).
    static func isBatonsOwn(_ origin: String, host: String?) -> Bool {
        guard let host, let originHost = normalise(origin).split(separator: "/").last else { return false }
        return originHost == host.lowercased()
    }

    /// An origin as browsers send it (`WebOrigin.canonical`).
    static func canonical(_ text: String) -> String? { WebOrigin.canonical(text) }

    /// The page's origin: browsers send exactly one `Origin` field; anything else counts
    /// as no origin.
    static func single(_ values: [String]) -> String? {
        values.count == 1 ? values[0] : nil
    }

    static func normalise(_ origin: String) -> String {
        var text = origin.trimmingWhitespace().lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
