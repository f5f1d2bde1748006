import Foundation
import BatonCore

/// The reverse proxies in front of Baton whose `X-Forwarded-For` it believes
/// (`--trusted-proxies`): addresses and ranges, IPv4 or IPv6. Behind such a proxy every
/// connection comes from the proxy; the visitor's or admin's own address is the one the
/// proxy added to `X-Forwarded-For`. Anyone can send that header, so it counts only when
/// the connection comes from a trusted proxy, and only up to the first address (from the
/// right, the proxy's end) that is not one: what a client wrote further left is ignored.
public struct TrustedProxies: Sendable, Equatable {
    let ranges: [AddressRange]

    /// No proxy trusted: the client is always the TCP peer.
    public static let none = TrustedProxies(ranges: [])

    public var isEmpty: Bool { ranges.isEmpty }

    /// Parses a comma- or space-separated list: `127.0.0.1, ::1, 10.0.0.0/8`.
    public init(parsing text: String, from source: String) throws(ConfigurationError) {
        var ranges: [AddressRange] = []
        for item in text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
            guard let range = AddressRange(parsing: String(item)) else {
                guard let maximum = AddressRange.maximumPrefix(of: String(item)) else {
                    throw ConfigurationError(source: source, value: text, expected: "IP addresses or ranges (CIDR, e.g. 10.0.0.0/8), separated by commas; \"\(item)\" is neither")
                }
                throw ConfigurationError(source: source, value: text, expected: "a range's prefix length from 0 to \(maximum) in \"\(item)\"")
            }
            ranges.append(range)
        }
        guard !ranges.isEmpty else {
            throw ConfigurationError(source: source, value: text, expected: "at least one IP address or range")
        }
        self.ranges = ranges
    }

    init(ranges: [AddressRange]) { self.ranges = ranges }

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

    /// An address as bytes (`AddressRange.bytes(of:)`).
    static func parse(_ text: String) -> [UInt8]? { AddressRange.bytes(of: text) }

    /// One spelling per address (throttles count per client): IPv4-mapped IPv6 as IPv4,
    /// IPv6 in its canonical form; anything unparsable as it came.
    static func normalized(_ text: String) -> String {
        parse(text).map(AddressRange.format) ?? text
    }

    /// Some proxies write a port: `203.0.113.7:4711`, `[2001:db8::1]:4711`.
    static func stripPort(_ hop: String) -> String {
        if hop.hasPrefix("["), let end = hop.firstIndex(of: "]") { return String(hop[hop.index(after: hop.startIndex)..<end]) }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") { return String(hop[..<colon]) }
        return hop
    }
}
