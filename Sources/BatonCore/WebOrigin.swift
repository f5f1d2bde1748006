import Foundation

/// Web origins (`https://shop.example`), as browsers send them in `Origin`.
public enum WebOrigin {
    /// An origin as browsers send it: scheme and host in lower case, a host in other
    /// letters in its ASCII form (`https://ü.example` → `https://xn--tda.example`), the
    /// scheme's default port left out; nil when `text` is no http(s) origin or its port is
    /// not 1 to 65535. (Settings saved before this was checked may still hold `:443`.)
    public static func canonical(_ text: String) -> String? {
        var text = text.trimmingWhitespace()
        while text.hasSuffix("/") { text.removeLast() }
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound].lowercased()
        var rest = Substring(text[separator.upperBound...])
        guard scheme == "http" || scheme == "https", !rest.isEmpty,
              !rest.contains(where: { "/?#@\\%".contains($0) || $0.isWhitespace }) else { return nil }
        var port: Int?
        let hostEnd = rest.hasPrefix("[") ? rest.firstIndex(of: "]").map(rest.index(after:)) : rest.lastIndex(of: ":") ?? rest.endIndex
        guard let hostEnd else { return nil }
        if hostEnd < rest.endIndex {
            guard rest[hostEnd] == ":", let number = Int(rest[rest.index(after: hostEnd)...]), (1...65535).contains(number) else { return nil }
            port = number == (scheme == "https" ? 443 : 80) ? nil : number
        }
        rest = rest[..<hostEnd]
        let host: String
        if rest.hasPrefix("[") {
            guard rest.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            host = rest.lowercased()
        } else {
            guard let ascii = Punycode.asciiDomain(String(rest)),
                  ascii.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "." })
            else { return nil }
            host = ascii
        }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    /// The origin of a page's address (`https://shop.example/cart?x` → `https://shop.example`);
    /// nil when it is no http(s) address.
    public static func of(url: String) -> String? {
        guard let separator = url.range(of: "://") else { return nil }
        var authority = Substring(url[separator.upperBound...].prefix { !"/?#".contains($0) })
        // Credentials before the host are not part of the origin.
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return canonical(String(url[..<separator.upperBound]) + authority)
    }
}
