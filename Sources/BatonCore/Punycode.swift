import Foundation

/// Domain names in other letters as mail servers and DNS take them (IDNA's ToASCII, RFC
/// 5891): each label in Unicode Normalization Form C, lowercased, then Punycode (RFC 3492)
/// behind `xn--`. `müller.de` is `xn--mller-kva.de`.
public enum Punycode {
    /// `domain` in ASCII; nil when a label is empty, over 63 bytes, or holds what no
    /// domain may (spaces, control characters).
    public static func asciiDomain(_ domain: String) -> String? {
        // The ideographic and full-width full stops separate labels too.
        let dots: Set<Character> = [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"]
        var labels: [String] = []
        for label in domain.split(omittingEmptySubsequences: false, whereSeparator: { dots.contains($0) }) {
            let mapped = String(label).precomposedStringWithCanonicalMapping.lowercased()
            guard !mapped.isEmpty, mapped.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }),
                  let ascii = mapped.unicodeScalars.allSatisfy({ $0.isASCII }) ? mapped : encode(mapped).map({ "xn--" + $0 }),
                  ascii.utf8.count <= 63 else { return nil }
            labels.append(ascii)
        }
        let joined = labels.joined(separator: ".")
        return joined.utf8.count <= 253 ? joined : nil
    }

    // RFC 3492's parameters.
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    /// RFC 3492's encoding of `text` (without `xn--`); nil on overflow.
    public static func encode(_ text: String) -> String? {
        let input = text.unicodeScalars.map { Int($0.value) }
        var output = input.filter { $0 < 0x80 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = output.count
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias, handled = basicCount
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { break }
            let (product, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - product else { return nil }
            delta += product
            n = m
            for c in input {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta, k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    private static func digit(_ d: Int) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? 0x61 + d : 0x30 + d - 26)))
    }

    private static func adapt(_ delta: Int, _ count: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
