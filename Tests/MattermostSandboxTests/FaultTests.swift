import AsyncHTTPClient
import BatonTestSupport
import Foundation
@testable import MattermostSandbox
import Testing

@Suite struct FaultTests {
    @Test func injectedFailuresAnswerWithTheStatusAndAJSONError() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            s.sandbox.fail(next: 2, status: 503, pathPrefix: "/api/v4/posts")
            #expect(try await alice.get("/api/v4/users/me").status == 200, "other paths are untouched")
            let failed = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "x"])
            #expect(failed.status == 503)
            #expect(failed.int("status_code") == 503)
            #expect(failed.errorID != nil)
            #expect(try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "x"]).status == 503)
            #expect(try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "x"]).status == 201)
            s.sandbox.fail(next: 1, status: 500)
            #expect(try await alice.get("/api/v4/users/me").status == 500)
            #expect(try await alice.get("/api/v4/users/me").status == 200)
        }
    }

    @Test func rateLimitsAnswer429InPlainTextWithHeaders() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            s.sandbox.rateLimit(next: 1, resetSeconds: 7)
            let limited = try await alice.get("/api/v4/users/me")
            #expect(limited.status == 429)
            #expect(limited.text.trimmingCharacters(in: .whitespacesAndNewlines) == "limit exceeded")
            #expect(limited.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(limited.headers.first(name: "X-Ratelimit-Reset") == "7")
            #expect(limited.headers.first(name: "X-Ratelimit-Remaining") == "0")
            #expect(limited.headers.first(name: "X-Ratelimit-Limit") != nil)
            #expect(try await alice.get("/api/v4/users/me").status == 200)
        }
    }

    @Test func aDelayHoldsEveryAnswer() async throws {
        try await Seeded.run { s in
            s.sandbox.delay(.seconds(20))
            let url = s.sandbox.url + "/api/v4/system/ping"
            await #expect(throws: (any Error).self) {
                _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .milliseconds(300))
            }
            s.sandbox.delay(nil)
            let ping = try await s.api().get("/api/v4/system/ping")
            #expect(ping.status == 200)
        }
    }

    /// A sandbox asked for any port takes one below the system's ephemeral range: while
    /// it is down, no other server's "any port" and no outgoing connection can take it
    /// (a full test run once lost this test that way).
    @Test func anyPortIsOneTheSystemDoesNotHandOut() throws {
        let range = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let start = try #require(range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) })
        let ports = SandboxServer.firstPorts(configured: 0)
        #expect(ports.last == 0 && ports.dropLast().allSatisfy { (10_000..<start).contains($0) }, "\(ports)")
        #expect(SandboxServer.firstPorts(configured: 8065) == [8065])
    }

    @Test func goingDownRefusesConnectionsAndComingBackKeepsEverything() async throws {
        try await Seeded.run { s in
            let token = s.sandbox.sessionToken(for: "alice")
            let port = s.sandbox.port
            let posted = try s.sandbox.post(as: "alice", in: s.townSquare, "before the outage")
            let closeFrame = Collected<Bool>()
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(token)
                await s.sandbox.goDown()
                #expect(try await socket.next() == nil)
                closeFrame.append(true)
            }
            #expect(closeFrame.all == [true])
            // AsyncHTTPClient retries refused connections until the deadline: keep it short.
            await #expect(throws: (any Error).self) { _ = try await s.api(token).get("/api/v4/users/me", timeout: .seconds(1)) }
            try await s.sandbox.comeBack()
            #expect(s.sandbox.port == port)
            let me = try await s.api(token).get("/api/v4/users/me")
            #expect(me.status == 200)
            let fetched = try await s.api(token).get("/api/v4/posts/\(posted.id)")
            #expect(fetched.string("message") == "before the outage")
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(token)
            }
        }
    }

    @Test func droppedSocketsCloseWithoutAHandshake() async throws {
        try await Seeded.run { s in
            let close = try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.sessionToken(for: "alice"))
                #expect(s.sandbox.webSocketUsers == [s.alice.id])
                s.sandbox.dropWebSockets()
                #expect(try await socket.next() == nil)
            }
            #expect(close == nil)
        }
    }

    @Test func silencedSocketsStayOpenButDeliverNothing() async throws {
        try await Seeded.run { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.sessionToken(for: "alice"))
                s.sandbox.silenceWebSockets(true)
                try s.sandbox.post(as: "bob", in: s.townSquare, "unheard")
                s.sandbox.silenceWebSockets(false)
                try s.sandbox.post(as: "bob", in: s.townSquare, "heard")
                let next = try await socket.next(event: "posted")
                #expect(try decodePost(next.data["post"])["message"] as? String == "heard")
                #expect(next.seq == 1, "silenced events were never numbered")
            }
        }
    }

    @Test func expiredSessionsLeaveTheirSocketsQuiet() async throws {
        try await Seeded.run { s in
            try await EventSocket.connect(s.sandbox.webSocketURL) { relay in
                _ = try await relay.authenticate(s.sandbox.personalAccessToken(for: "relay"))
                try await EventSocket.connect(s.sandbox.webSocketURL) { alice in
                    _ = try await alice.authenticate(s.sandbox.sessionToken(for: "alice"))
                    s.sandbox.expireSessions()
                    try s.sandbox.post(as: "bob", in: s.townSquare, "after expiry")
                    #expect(try decodePost(try await relay.next(event: "posted").data["post"])["message"] as? String == "after expiry")
                    // Asked directly, the socket says it is no longer authenticated.
                    try await alice.send(action: "ping", data: [:])
                    let failure = try #require(try await alice.next())
                    #expect((failure.json["error"] as? [String: Any])?["id"] as? String == "api.web_socket_router.not_authenticated.app_error")
                    try s.sandbox.post(as: "bob", in: s.townSquare, "still unheard")
                    #expect(try await alice.receivesNothing(within: 0.5))
                }
            }
        }
    }
}

@Suite struct ShutdownTests {
    /// Connections an HTTP client opened and never used, or left halfway through a
    /// request, do not keep the server from going down (they held it for ever before).
    @Test func goingDownClosesConnectionsThatSentNoWholeRequest() async throws {
        try await Seeded.run { s in
            let silent = try await RawConnection.open(port: s.sandbox.port)
            let half = try await RawConnection.open(port: s.sandbox.port)
            try await half.send("GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let kept = try await RawConnection.open(port: s.sandbox.port)
            try await kept.send("GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await withTimeout(30) { while !kept.text.contains("\r\n\r\n") { try await Task.sleep(for: .milliseconds(20)) } }
            #expect(kept.text.hasPrefix("HTTP/1.1 200"))
            await s.sandbox.goDown()
            #expect(await silent.closedByServer(within: 1))
            #expect(await half.closedByServer(within: 1))
            #expect(await kept.closedByServer(within: 1))
            #expect(s.sandbox.serversLeftBehind == 0)
            try await s.sandbox.comeBack()
            #expect(try await s.api().get("/api/v4/system/ping").status == 200)
        }
    }
}
