import Foundation

/// An IP address, or a range of them in CIDR notation (`10.0.0.0/8`, `fd00::/8`), IPv4 or
/// IPv6: what `--trusted-proxies` and `NO_PROXY` list.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]  // 4 (IPv4) or 16 (IPv6)
    let prefix: Int

    /// `127.0.0.1`, `::1`, `10.0.0.0/8`; nil for anything else (a name, a bad prefix).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
        var prefix = bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...prefix).contains(bits) else { return nil }
            prefix = bits
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// For `text` that starts with an address (its range's prefix length may be wrong),
    /// the longest prefix length that address takes (32 or 128); nil when it does not.
    public static func maximumPrefix(of text: String) -> Int? {
        bytes(of: String(text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])).map { $0.count * 8 }
    }

    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var bits = prefix
        for (a, b) in zip(address, bytes) {
            guard bits > 0 else { return true }
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            guard a & mask == b & mask else { return false }
            bits -= 8
        }
        return true
    }

    /// Whether the address `text` is in the range (false for what is no address).
    public func contains(address text: String) -> Bool {
        Self.bytes(of: text).map(contains) ?? false
    }

    public var description: String { "\(Self.format(bytes))/\(prefix)" }

    /// An address as bytes: 4 for IPv4 (and IPv4 mapped into IPv6, `::ffff:a.b.c.d`, as a
    /// socket listening on `::` reports IPv4 peers), 16 for IPv6; nil for anything else.
    public static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    /// The address's usual spelling (IPv6 canonical); "" for a wrong number of bytes.
    /// What limits per client count: an IPv4 address, or an IPv6 address's /64 (one
    /// client usually has a whole /64, and would otherwise have its limits many times
    /// over); anything unparsable as it came.
    public static func client(_ text: String) -> String {
        guard let bytes = bytes(of: text) else { return text }
        guard bytes.count == 16 else { return format(bytes) }
        return format(Array(bytes.prefix(8)) + Array(repeating: 0, count: 8)) + "/64"
    }

    public static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var ok = false
        if bytes.count == 4 {
            var v4 = in_addr()
            withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes) }
            ok = inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil
        } else if bytes.count == 16 {
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
            ok = inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil
        }
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    /// Loopback addresses: 127.0.0.0/8 and ::1.
    public static let loopback = [AddressRange(parsing: "127.0.0.0/8")!, AddressRange(parsing: "::1")!]
}
