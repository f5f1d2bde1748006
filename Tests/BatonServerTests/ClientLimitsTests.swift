@testable import BatonCore
@testable import BatonServer
import BatonTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What one client address may take of the widget's socket (`ClientLimits`).
struct ClientLimitsTests {
    /// The visitor message rate is 0.01 to 100,000 a second; a bucket's wait is at most a
    /// day whatever its rate (a tiny one overflowed the wait and stopped the process).
    @Test func ratesAreBoundedAndSoIsTheWait() throws {
        #expect(try BatonConfiguration.fromEnvironment(["BATON_RATE_LIMIT": "0.01"]).socket.messagesPerSecond == 0.01)
        for bad in ["0.009", "1e-300", "0", "-1", "100001", "nan", "inf"] {
            #expect { try BatonConfiguration.fromEnvironment(["BATON_RATE_LIMIT": bad]) } throws: { error in
                "\(error)".contains("BATON_RATE_LIMIT=\"\(bad)\" is not valid: expected a number of messages per second from 0.01 to 100000")
            }
        }
        let start = ContinuousClock.now
        var bucket = TokenBucket(rate: 1e-300, burst: 1, now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == .seconds(86_400))
    }

    @Test func socketsAreCountedAndNewVisitorsPaced() {
        let limits = ClientLimits(socketsPerClient: 2, newVisitorsPerMinute: 3)
        #expect(limits.admitSocket("203.0.113.7") && limits.admitSocket("203.0.113.7"))
        #expect(!limits.admitSocket("203.0.113.7"))
        #expect(limits.admitSocket("198.51.100.1"), "another address has its own count")
        limits.releaseSocket("203.0.113.7")
        #expect(limits.admitSocket("203.0.113.7"))
        #expect(limits.sockets(of: "203.0.113.7") == 2)
        // An address that cannot be told is not limited.
        #expect((0..<10).allSatisfy { _ in limits.admitSocket(nil) })
        let start = ContinuousClock.now
        #expect((0..<3).allSatisfy { _ in limits.admitNewVisitor("203.0.113.7", now: start) == nil })
        let wait = limits.admitNewVisitor("203.0.113.7", now: start)
        #expect(wait != nil && wait! <= .seconds(20) && wait! > .seconds(19))
        #expect(limits.admitNewVisitor("198.51.100.1", now: start) == nil)
        #expect(limits.admitNewVisitor("203.0.113.7", now: start + .seconds(21)) == nil, "one more after a third of a minute")
        #expect(limits.admitNewVisitor(nil, now: start) == nil)
        // An IPv6 client usually holds a whole /64: its addresses count as one.
        let six = ClientLimits(socketsPerClient: 2, newVisitorsPerMinute: 3)
        #expect(six.admitSocket("2001:db8:1:2::1") && six.admitSocket("2001:db8:1:2:ffff::9"))
        #expect(!six.admitSocket("2001:db8:1:2:abcd:ef01:2345:6789"))
        #expect(six.admitSocket("2001:db8:1:3::1"), "another /64 has its own count")
        #expect((0..<3).allSatisfy { six.admitNewVisitor("2001:db8:1:2::\($0 + 10)", now: start) == nil })
        #expect(six.admitNewVisitor("2001:db8:1:2::99", now: start) != nil)
        #expect(AddressRange.client("2001:db8:1:2:abcd::1") == "2001:db8:1:2::/64" && AddressRange.client("203.0.113.7") == "203.0.113.7")
        #expect(AddressRange.client("::ffff:203.0.113.7") == "203.0.113.7")
        // A returning visitor's hellos (each sends the chat again): ten at once, then one a second.
        #expect((0..<10).allSatisfy { _ in limits.admitReturningHello("key-1", now: start) == nil })
        #expect(limits.admitReturningHello("key-1", now: start) != nil)
        #expect(limits.admitReturningHello("key-2", now: start) == nil, "another visitor has their own")
        #expect(limits.admitReturningHello("key-1", now: start + .seconds(1)) == nil)
        // Made-up keys of any length (a hello's token or link, before anything checks it)
        // take a short digest each, and the table stays bounded: 60 KB keys in a loop took
        // 64 KB each until the table passed 10,000.
        let long = String(repeating: "k", count: 60_000)
        for index in 0..<(ClientLimits.bucketsKept + 100) {
            _ = limits.admitReturningHello("\(index)\(long)", now: start + .seconds(2))
        }
        #expect(limits.returningHelloBuckets <= ClientLimits.bucketsKept)
        let none = ClientLimits(socketsPerClient: 0, newVisitorsPerMinute: 0)
        #expect((0..<1000).allSatisfy { _ in none.admitSocket("203.0.113.7") && none.admitNewVisitor("203.0.113.7", now: start) == nil })
    }

    @Test func theClientIsKnownOnlyWhereItCanBeTold() throws {
        func client(peer: String, forwarded: String? = nil, proxies: String? = nil) throws -> String? {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/widget/v1/socket")
            if let forwarded { head.headers.add(name: "X-Forwarded-For", value: forwarded) }
            let trusted = try proxies.map { try TrustedProxies(parsing: $0, from: "test") } ?? .none
            return WidgetRequest(head, peer: try SocketAddress(ipAddress: peer, port: 4711), proxies: trusted).client
        }
        // Directly from the internet: the peer.
        #expect(try client(peer: "203.0.113.7") == "203.0.113.7")
        #expect(try client(peer: "203.0.113.7", forwarded: "198.51.100.1") == "203.0.113.7")
        // From this machine or a private network with no proxy named: most likely a proxy.
        for local in ["127.0.0.1", "::1", "10.1.2.3", "172.20.0.5", "192.168.1.9", "fd00::5"] {
            #expect(try client(peer: local, forwarded: "198.51.100.1") == nil, "\(local)")
        }
        // Behind a named proxy: the forwarded address; none forwarded, unknown.
        #expect(try client(peer: "127.0.0.1", forwarded: "198.51.100.1", proxies: "127.0.0.1") == "198.51.100.1")
        #expect(try client(peer: "127.0.0.1", proxies: "127.0.0.1") == nil)
        #expect(try client(peer: "10.0.0.2", forwarded: "192.168.5.5", proxies: "10.0.0.0/8") == "192.168.5.5",
                "behind a named proxy, a visitor on the company network is a client like any")
    }

    /// A client gone without a close frame (its process killed: the system closes the
    /// connection) leaves no socket open: it counted against its address until the
    /// keep-alive found it, a minute later.
    @Test func aClientGoneWithoutACloseFrameLeavesAtOnce() async throws {
        try await LiveBaton.run(configure: { $0.metricsToken = "gone-test-metrics-token" }) { baton in
            let raw = try await RawConnection.open(port: baton.port)
            try await raw.send("GET /widget/v1/socket HTTP/1.1\r\nHost: 127.0.0.1:\(baton.port)\r\nUpgrade: websocket\r\n"
                               + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            #expect(await raw.received("101 Switching Protocols"))
            try await raw.send(bytes: RawConnection.maskedTextFrame(#"{"type":"hello","widget":"demo"}"#))
            #expect(await raw.received("\"welcome\""))
            await raw.close()
            #expect(try await Self.openSockets(on: baton, token: "gone-test-metrics-token", whenNone: 100) == 0)
        }
    }

    /// The widget sockets the server counts (`baton_widget_sockets`), read until there are
    /// none (at most `tries` times, 50 ms apart): the server sees a socket close a little
    /// after the client's side does.
    static func openSockets(on baton: LiveBaton, token: String, whenNone tries: Int) async throws -> Double {
        var open = -1.0
        for _ in 0..<tries {
            let line = try await get("\(baton.http)/metrics", headers: [("Authorization", "Bearer \(token)")]).body
                .split(separator: "\n").first { $0.hasPrefix("baton_widget_sockets ") }
            open = line.flatMap { Double($0.dropFirst("baton_widget_sockets ".count)) } ?? -1
            if open == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return open
    }

    /// Behind a named proxy, one address gets so many sockets and so many new chats, and is
    /// told why (closed with 1013, try again later); another address is not affected.
    @Test func oneAddressIsLimitedAndAnotherIsNot() async throws {
        try await LiveBaton.run(configure: {
            $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1, ::1", from: "test")
            $0.socket.socketsPerClient = 2
            $0.socket.newVisitorsPerMinute = 2
            $0.metricsToken = "limits-test-metrics-token"
        }) { baton in
            let busy = [("X-Forwarded-For", "203.0.113.7")], other = [("X-Forwarded-For", "198.51.100.1")]
            // Two new chats, then a third is refused.
            for _ in 0..<2 {
                try await WidgetClient.connect(baton.socketURL, headers: busy) { client in _ = try await client.hello() }
            }
            let refused = try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                try await client.send(["type": "hello", "widget": "demo"])
                let error = try await client.expect("error")
                #expect(error.string("code") == "rate_limited")
                #expect((error.int("retryAfter") ?? 0) >= 1000)
                #expect(error.string("message")?.hasPrefix("Too many new chats from your network; try again in ") == true)
            }
            #expect(refused?.closeCode.code == 1013)
            // A returning visitor (with their token) is not a new chat.
            let token = Collected<String>()
            try await WidgetClient.connect(baton.socketURL, headers: other) { client in token.append(try await client.hello().string("token")!) }
            try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                try await client.send(["type": "hello", "widget": "demo", "token": token.all.first!])
                _ = try await client.expect("welcome")
            }
            // Nor is one who follows the link of an email to their chat, in a browser without
            // their token; a link that opens nothing starts a new chat, and is refused.
            let chat = baton.services.chat
            let visitor = try #require(try await baton.services.store.visitor(tokenHash: chat.hashToken(token.all.first!)))
            try await baton.services.store.addVisitorKey(tokenHash: chat.hashToken("emailed-link-code"), visitor: visitor.id,
                                                         expiresAt: Millis.now() + 60_000, now: .now())
            try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                try await client.send(["type": "hello", "widget": "demo", "link": "emailed-link-code"])
                let welcome = try await client.expect("welcome")
                // The linked visitor's chat, with a token for this browser.
                #expect(welcome.string("token") != nil && welcome.string("token") != token.all.first, "\(welcome)")
            }
            try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                try await client.send(["type": "hello", "widget": "demo", "link": "made-up-link-code"])
                #expect(try await client.expect("error").string("code") == "rate_limited")
            }
            // Two sockets at once; a third is refused before its hello.
            try await WidgetClient.connect(baton.socketURL, headers: busy) { first in
                try await WidgetClient.connect(baton.socketURL, headers: busy) { second in
                    let third = try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                        let error = try await client.expect("error")
                        #expect(error.string("code") == "too_many_connections")
                    }
                    #expect(third?.closeCode.code == 1013)
                    // Another address is not held back.
                    try await WidgetClient.connect(baton.socketURL, headers: other) { client in _ = try await client.hello() }
                }
            }
            // The count goes down as sockets close.
            let metricsAuth = [("Authorization", "Bearer limits-test-metrics-token")]
            #expect(try await Self.openSockets(on: baton, token: "limits-test-metrics-token", whenNone: 200) == 0)
            try await WidgetClient.connect(baton.socketURL, headers: busy) { client in
                try await client.send(["type": "hello", "widget": "demo", "token": token.all.first!])
                _ = try await client.expect("welcome")
            }
            // The refusals are counted for the operator.
            let metrics = try await get("\(baton.http)/metrics", headers: metricsAuth)
            #expect(metrics.body.contains(#"baton_widget_refusals_total{reason="sockets_per_client"} 1"#), "\(metrics.body)")
            #expect(metrics.body.contains(#"baton_widget_refusals_total{reason="new_visitors_per_minute"} 2"#), "\(metrics.body)")
        }
    }
}
