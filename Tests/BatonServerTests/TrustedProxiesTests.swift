@testable import BatonServer
import Testing

/// Which address a request comes from behind reverse proxies (`--trusted-proxies`).
struct TrustedProxiesTests {
    let proxies = try! TrustedProxies(parsing: "127.0.0.1, ::1 10.0.0.0/8,fd00::/8", from: "--trusted-proxies")

    @Test func addressesAndRangesAreMatched() {
        for address in ["127.0.0.1", "::1", "10.0.0.1", "10.255.255.255", "fd12:3456::1", "::ffff:10.1.2.3", "::ffff:127.0.0.1"] {
            #expect(proxies.trusts(address), "\(address)")
        }
        for address in ["127.0.0.2", "11.0.0.1", "9.255.255.255", "fe80::1", "::2", "203.0.113.7", "", "localhost", "10.0.0.1/8"] {
            #expect(!proxies.trusts(address), "\(address)")
        }
        let odd = try! TrustedProxies(parsing: "192.168.4.0/22,2001:db8::/33", from: "test")
        #expect(odd.trusts("192.168.7.255") && !odd.trusts("192.168.8.0") && !odd.trusts("192.168.3.255"))
        #expect(odd.trusts("2001:db8:7fff::1") && !odd.trusts("2001:db8:8000::1"))
        #expect(try! TrustedProxies(parsing: "0.0.0.0/0", from: "test").trusts("198.51.100.1"))
    }

    @Test func theClientIsTheFirstUntrustedHopFromTheRight() {
        // Not from a proxy: the header is ignored.
        #expect(proxies.client(peer: "203.0.113.7", forwardedFor: ["198.51.100.1"]) == "203.0.113.7")
        // From a proxy without the header: the proxy.
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        // The proxy's entry is the last one; what the client wrote before it does not count.
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["1.2.3.4, 203.0.113.7"]) == "203.0.113.7")
        // Through two trusted proxies, and over several header lines.
        #expect(proxies.client(peer: "::1", forwardedFor: ["1.2.3.4", "203.0.113.7, 10.0.0.5"]) == "203.0.113.7")
        // All trusted: the leftmost.
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["10.1.1.1, 10.0.0.5"]) == "10.1.1.1")
        // Ports and brackets some proxies write; one spelling per address.
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.7:4711"]) == "203.0.113.7")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["[2001:DB8:0::1]:4711"]) == "2001:db8::1")
        #expect(proxies.client(peer: "::ffff:127.0.0.1", forwardedFor: ["::ffff:203.0.113.7"]) == "203.0.113.7")
        #expect(TrustedProxies.none.client(peer: "::ffff:203.0.113.7", forwardedFor: []) == "203.0.113.7")
        // Garbage from the proxy's end is taken as it came (a key for counting, nothing more).
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["unknown"]) == "unknown")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: [" , "]) == "127.0.0.1")
        #expect(proxies.client(peer: nil, forwardedFor: ["203.0.113.7"]) == nil)
    }

    @Test func badListsAreRefusedWithTheReason() throws {
        for (text, reason) in [("", "at least one IP address or range"), ("localhost", "\"localhost\" is neither"),
                               ("10.0.0.0/33", "from 0 to 32 in \"10.0.0.0/33\""), ("::1/129", "from 0 to 128"),
                               ("10.0.0.0/x", "prefix length"), ("1.2.3.4, 300.1.1.1", "\"300.1.1.1\" is neither")] {
            #expect(throws: ConfigurationError.self) { try TrustedProxies(parsing: text, from: "--trusted-proxies") }
            do {
                _ = try TrustedProxies(parsing: text, from: "--trusted-proxies")
            } catch {
                #expect(error.description.hasPrefix("--trusted-proxies=\"\(text)\" is not valid: expected"), "\(error)")
                #expect(error.description.contains(reason), "\(error)")
            }
        }
        #expect(try BatonConfiguration.fromEnvironment(["BATON_TRUSTED_PROXIES": "10.0.0.0/8"]).trustedProxies.trusts("10.2.3.4"))
        #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_TRUSTED_PROXIES": "10.0.0.0/99"]) }
    }
}
