import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// An admin trying the widget in Baton's own pages (the dashboard's live preview), signed
/// in: their chats are listed as tries and left out of the insights. A visitor's are not,
/// nor is a chat from another site whose request carries the admin's cookie.
@Suite struct AdminTriesTests {
    @Test func anAdminsTriesAreListedAsSuchAndNotCounted() async throws {
        try await AdminAPITests.withAdmin { baton, client in
            let cookie = try #require(client.sessionCookie)
            // The widget's socket as a browser opens it: one Origin, and the cookies of
            // Baton's site when the page is one of Baton's own. (The test WebSocket client
            // sends an Origin of its own.)
            func chat(origin: String, cookie: String?) async throws {
                let raw = try await RawConnection.open(port: baton.port)
                try await raw.send("GET /widget/v1/socket HTTP/1.1\r\nHost: 127.0.0.1:\(baton.port)\r\nUpgrade: websocket\r\n"
                                   + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                   + "Origin: \(origin)\r\n" + (cookie.map { "Cookie: theme=dark; \($0)\r\n" } ?? "") + "\r\n")
                #expect(await raw.received("101 Switching Protocols"))
                try await raw.send(bytes: RawConnection.maskedTextFrame(#"{"type":"hello","widget":"demo"}"#))
                #expect(await raw.received("\"welcome\""))
                await raw.close()
            }
            try await chat(origin: baton.http, cookie: cookie)
            try await chat(origin: baton.http, cookie: nil)
            try await chat(origin: "https://shop.example", cookie: cookie)
            // Marked right after the welcome.
            var listed: [[String: Any]] = []
            for _ in 0..<100 {
                listed = try await client.get("/api/v1/conversations").json["conversations"] as? [[String: Any]] ?? []
                if listed.contains(where: { $0["triedBy"] != nil }) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(listed.count == 3)
            #expect(listed.compactMap { $0["triedBy"] as? String } == [AdminAPITests.email], "\(listed)")
            let insights = try await client.get("/api/v1/insights?tz=UTC").json
            #expect(insights["started"] as? Int == 2 && insights["tried"] as? Int == 1, "\(insights)")
            let csv = try await client.get("/api/v1/conversations.csv").text
            #expect(csv.components(separatedBy: AdminAPITests.email).count - 1 == 1)
        }
    }
}
