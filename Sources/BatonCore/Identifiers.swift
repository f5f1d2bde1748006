/// Identifiers used across Baton. They are plain strings underneath so they travel
/// unchanged through SQL, JSON and Mattermost channel names.

/// A string identifier tagged with what it identifies, so a visitor id can never be
/// passed where a conversation id is expected.
public struct Identifier<Tag>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// A new random identifier: 20 characters of lowercase base32 (100 bits), safe in
    /// URLs and in Mattermost channel names.
    public static func random() -> Self { .init(RandomID.make()) }
    public var description: String { rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public enum ConversationTag {}
public enum VisitorTag {}
public typealias ConversationID = Identifier<ConversationTag>
public typealias VisitorID = Identifier<VisitorTag>

/// A server message id: increases with every stored message, so "everything after id N"
/// is a well-defined replay point for a widget that reconnects.
public typealias MessageID = Int64

/// Random identifiers of 100 bits, written in lowercase RFC 4648 base32.
public enum RandomID {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// A random identifier of `length` base32 characters (5 bits each).
    public static func make(length: Int = 20) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            bytes.append(alphabet[Int(generator.next(upperBound: UInt8(32)))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A random secret of `byteCount` bytes, URL-safe base64 without padding.
    public static func secret(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Base64URL.encode(bytes)
    }
}

/// URL-safe base64 without padding (RFC 4648 §5).
public enum Base64URL {
    static let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes URL-safe base64 with or without padding; nil when malformed.
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let value = table.firstIndex(of: byte) ?? (byte == UInt8(ascii: "+") ? 62 : byte == UInt8(ascii: "/") ? 63 : nil) else { return nil }
            values.append(UInt8(value))
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 1 < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var n: UInt32 = 0
            for (k, v) in chunk.enumerated() { n |= UInt32(v) << (18 - 6 * UInt32(k)) }
            out.append(UInt8(n >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
