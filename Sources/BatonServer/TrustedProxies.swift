import Foundation

/// The reverse proxies in front of Baton whose `X-Forwarded-For` it believes
/// (`--trusted-proxies`): addresses and ranges, IPv4 or IPv6. Behind such a proxy every
/// connection comes from the proxy; the visitor's or admin's own address is the one the
/// proxy added to `X-Forwarded-For`. Anyone can send that header, so it counts only when
/// the connection comes from a trusted proxy, and only up to the first address (from the
/// right, the proxy's end) that is not one: what a client wrote further left is ignored.
public struct TrustedProxies: Sendable, Equatable {
    /// An address, or a range of them in CIDR notation (`10.0.0.0/8`, `fd00::/8`).
    struct Range: Sendable, Equatable, CustomStringConvertible {
        let bytes: [UInt8]  // 4 (IPv4) or 16 (IPv6)
        let prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
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

        var description: String { "\(TrustedProxies.format(bytes))/\(prefix)" }
    }

    let ranges: [Range]

    /// No proxy trusted: the client is always the TCP peer.
    public static let none = TrustedProxies(ranges: [])

    public var isEmpty: Bool { ranges.isEmpty }

    /// Parses a comma- or space-separated list: `127.0.0.1, ::1, 10.0.0.0/8`.
    public init(parsing text: String, from source: String) throws(ConfigurationError) {
        var ranges: [Range] = []
        for item in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = Self.parse(String(parts[0])) else {
                throw ConfigurationError(source: source, value: text, expected: "IP addresses or ranges (CIDR, e.g. 10.0.0.0/8), separated by commas; \"\(item)\" is neither")
            }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...prefix).contains(bits) else {
                    throw ConfigurationError(source: source, value: text, expected: "a range's prefix length from 0 to \(prefix) in \"\(item)\"")
                }
                prefix = bits
            }
            ranges.append(Range(bytes: bytes, prefix: prefix))
        }
        guard !ranges.isEmpty else {
            throw ConfigurationError(source: source, value: text, expected: "at least one IP address or range")
        }
        self.ranges = ranges
    }

    init(ranges: [Range]) { self.ranges = ranges }

    /// Loopback and private networks (RFC 1918, unique local, link local): where a proxy
    /// in front of Baton would be, rather than a visitor.
    static let local = try! TrustedProxies(parsing: "127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, ::1, fc00::/7, fe80::/10",
                                           from: "local networks")

    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client's address for a request that came from `peer` with these
    /// `X-Forwarded-For` values (in the order received): the peer itself unless it is a
    /// trusted proxy; else, walking the forwarded addresses from the right, the first that
    /// is not a trusted proxy (the leftmost when all are).
    public func client(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, trusts(peer) else { return peer.map(Self.normalized) }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { Self.stripPort(String($0).trimmingCharacters(in: .whitespaces)) }
            .filter { !$0.isEmpty }
        var client = Self.normalized(peer)
        for hop in hops.reversed() {
            client = Self.normalized(hop)
            if !trusts(hop) { break }
        }
        return client
    }

    /// An address as bytes: 4 for IPv4 (and IPv4 mapped into IPv6, `::ffff:a.b.c.d`, as a
    /// socket listening on `::` reports IPv4 peers), 16 for IPv6; nil for anything else.
    static func parse(_ text: String) -> [UInt8]? {
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

    /// One spelling per address (throttles count per client): IPv4-mapped IPv6 as IPv4,
    /// IPv6 in its canonical form; anything unparsable as it came.
    static func normalized(_ text: String) -> String {
        parse(text).map(format) ?? text
    }

    static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var ok = false
        if bytes.count == 4 {
            var v4 = in_addr()
            withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes) }
            ok = inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil
        } else {
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
            ok = inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil
        }
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    /// Some proxies write a port: `203.0.113.7:4711`, `[2001:db8::1]:4711`.
    static func stripPort(_ hop: String) -> String {
        if hop.hasPrefix("["), let end = hop.firstIndex(of: "]") { return String(hop[hop.index(after: hop.startIndex)..<end]) }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") { return String(hop[..<colon]) }
        return hop
    }
}
