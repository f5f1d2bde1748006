import Foundation

/// Ids and times as the real server makes them.
enum Identifiers {
    /// The alphabet of Mattermost's `model.NewId`: base32 of 16 random bytes, 26 characters.
    private static let alphabet = Array("ybndrfg8ejkmcpqxot1uwisza345h769".utf8)

    /// A new 26-character lowercase alphanumeric id (also used for tokens).
    static func newID() -> String {
        // Two draws of 8 bytes (each draw is a system call).
        var generator = SystemRandomNumberGenerator()
        let random = [generator.next() as UInt64, generator.next() as UInt64]
        var bits: UInt64 = 0
        var count = 0
        var output: [UInt8] = []
        output.reserveCapacity(26)
        for index in 0..<16 {
            bits = (bits << 8) | ((random[index / 8] >> UInt64(8 * (index % 8))) & 0xFF)
            count += 8
            while count >= 5 {
                count -= 5
                output.append(alphabet[Int((bits >> UInt64(count)) & 31)])
            }
        }
        if count > 0 { output.append(alphabet[Int((bits << UInt64(5 - count)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// `model.IsValidId`: 26 characters, lowercase letters and digits only.
    static func isValid(_ id: String) -> Bool {
        id.utf8.count == 26 && id.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    /// Milliseconds since 1970, as every Mattermost timestamp.
    static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
