import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import BatonServer
import BatonTestSupport
import Testing

/// HTTP helpers over AsyncHTTPClient.
struct HTTPResult {
    let status: Int
    let headers: HTTPHeaders
    let body: String
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}

func get(_ url: String, headers: [(String, String)] = []) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: url)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 4 << 20)
    return HTTPResult(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
}

@Suite struct HTTPTests {
    @Test func healthAndDemoPageAndWidgetScript() async throws {
        try await LiveBaton.run { baton in
            let health = try await get("\(baton.http)/healthz")
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")

            let page = try await get("\(baton.http)/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"].first?.hasPrefix("text/html") == true)
            #expect(page.body.contains("<script src=\"/widget.js\" data-widget=\"demo\" async></script>"))

            let script = try await get("\(baton.http)/widget.js")
            #expect(script.status == 200)
            #expect(script.headers["content-type"].first == "text/javascript; charset=utf-8")
            #expect(script.body.contains("widget/v1/socket"))
            // Pages isolated from other origins (`Cross-Origin-Embedder-Policy: require-corp`) may load it.
            #expect(script.headers["cross-origin-resource-policy"].first == "cross-origin")
            // Regular expressions with lookbehind are a syntax error before Safari 16.4: the
            // whole script would fail there.
            #expect(!script.body.contains("(?<=") && !script.body.contains("(?<!"))
            // The code shared with the dashboard is in it, written once (Public/shared/).
            #expect(script.body.contains("function batonRichText(el) {") && !script.body.contains("// @include "))
            let module = try await get("\(baton.http)/dashboard/rich-text.js")
            #expect(module.status == 200 && module.headers["content-type"].first == "text/javascript; charset=utf-8")
            #expect(module.body.contains("function batonRichText(el) {") && module.body.hasSuffix("\nexport { batonRichText };\n"))
            for path in ["/shared/rich-text.js", "/dashboard/../shared/rich-text.js", "/dashboard/shared/rich-text.js"] {
                #expect(try await get("\(baton.http)\(path)").status == 404, "\(path)")
            }
            let etag = try #require(script.headers["etag"].first)
            let cached = try await get("\(baton.http)/widget.js", headers: [("If-None-Match", etag)])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            // As a compressing proxy passes it on (weak), and among others.
            for tag in ["W/\(etag)", "\"other\", W/\(etag)", "*"] {
                #expect(try await get("\(baton.http)/widget.js", headers: [("If-None-Match", tag)]).status == 304, "\(tag)")
            }
            #expect(try await get("\(baton.http)/widget.js", headers: [("If-None-Match", "W/\"other\"")]).status == 200)
        }
    }

    @Test func widgetSettingsArePublic() async throws {
        try await LiveBaton.run { baton in
            let config = try await get("\(baton.http)/widget/v1/config/demo")
            #expect(config.status == 200)
            #expect(config.json["botName"] as? String == "Ada")
            #expect(config.json["color"] as? String == "#3b5bdb")
            #expect(config.headers["access-control-allow-origin"].first == "*")
            #expect(config.headers["cross-origin-resource-policy"].first == "cross-origin")

            let unknown = try await get("\(baton.http)/widget/v1/config/nope")
            #expect(unknown.status == 404)
            #expect((unknown.json["error"] as? [String: Any])?["code"] as? String == "unknown_widget")
        }
    }

    @Test func unknownPathsGetAJSONNotFound() async throws {
        try await LiveBaton.run { baton in
            let missing = try await get("\(baton.http)/nothing/here")
            #expect(missing.status == 404)
            #expect(missing.headers["content-type"].first?.hasPrefix("application/json") == true)
            #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "There is nothing at /nothing/here.")
        }
    }

    /// `HEAD` answers as `GET` would, without the body, so a kept-alive connection goes on
    /// with the next answer (an uptime monitor asking `HEAD /healthz` must not see 404).
    @Test func headIsAnsweredLikeGetWithoutTheBody() async throws {
        try await LiveBaton.run { baton in
            let connection = try await RawConnection.open(port: baton.port)
            try await connection.send("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                + "HEAD /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                + "HEAD /widget.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(await connection.closedByServer(within: 10))
            let answers = connection.text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0 }
            try #require(answers.count == 4, "\(connection.text)")
            let health = try await get("\(baton.http)/healthz")
            let script = try await get("\(baton.http)/widget.js")
            #expect(answers[0].hasPrefix("HTTP/1.1 200"))
            #expect(answers[0].lowercased().contains("content-length: \(health.body.utf8.count)\r\n"))
            #expect(answers[0].hasSuffix("\r\n\r\n"), "no body after the head")
            #expect(answers[1].hasPrefix("HTTP/1.1 404"))
            #expect(answers[1].hasSuffix("\r\n\r\n"))
            #expect(answers[2].hasPrefix("HTTP/1.1 200"))
            #expect(answers[2].lowercased().contains("content-length: \(script.body.utf8.count)\r\n"))
            #expect(answers[2].hasSuffix("\r\n\r\n"))
            #expect(answers[3].hasPrefix("HTTP/1.1 200"))
            #expect(answers[3].hasSuffix(health.body))
        }
    }

    @Test func noDemoWhenAskedNotTo() async throws {
        try await LiveBaton.run(configure: { $0.demo = false }) { baton in
            let config = try await get("\(baton.http)/widget/v1/config/demo")
            #expect(config.status == 404)
        }
    }
}

@Suite struct IdleConnectionTests {
    @Test func theTimeoutsAreSetInSecondsAndBadValuesExplained() throws {
        let config = try BatonConfiguration.fromEnvironment(["BATON_IDLE_TIMEOUT": "75", "BATON_SHUTDOWN_GRACE": "0"])
        #expect(config.socket.idleTimeout == .seconds(75))
        #expect(config.socket.shutdownGrace == .zero)
        #expect(BatonConfiguration().socket.idleTimeout == .seconds(60))
        #expect(BatonConfiguration().socket.shutdownGrace == .seconds(10))
        for bad in [("BATON_IDLE_TIMEOUT", "4"), ("BATON_IDLE_TIMEOUT", "1m"), ("BATON_SHUTDOWN_GRACE", "601"), ("BATON_SHUTDOWN_GRACE", "-1")] {
            #expect {
                try BatonConfiguration.fromEnvironment([bad.0: bad.1])
            } throws: { error in
                "\(error)".contains("\(bad.0)=\"\(bad.1)\" is not valid: expected a number of seconds from")
            }
        }
    }

    /// A first request asking for an upgrade Baton does not make (`curl --http2`, Java's
    /// HTTP client: `Upgrade: h2c`) is answered as any request; a broken WebSocket
    /// handshake is answered 400 or 426 and closed. NIO's upgrade handler answered neither.
    @Test func firstRequestsAskingForOtherUpgradesOrWithBrokenHandshakesAreAnswered() async throws {
        try await LiveBaton.run { baton in
            let h2c = try await RawConnection.open(port: baton.port)
            try await h2c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
            #expect(await h2c.received("\"status\":\"ok\"", within: 5), "\(h2c.text)")
            #expect(h2c.text.hasPrefix("HTTP/1.1 200"), "\(h2c.text)")
            // NIO's decoder reads no more after a request that asked for an upgrade: the
            // answer closes the connection, rather than leave it hanging.
            #expect(await h2c.closedByServer(within: 5))
            // On a later request of a kept-alive connection the same.
            let later = try await RawConnection.open(port: baton.port)
            try await later.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await later.received("\"status\":\"ok\"", within: 5))
            try await later.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
            #expect(await later.closedByServer(within: 5))
            #expect(later.text.components(separatedBy: "HTTP/1.1 200").count == 3, "\(later.text)")
            let handshake = "GET /widget/v1/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            for (request, status) in [(handshake + "Sec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400 Bad Request"),
                                      (handshake + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", "HTTP/1.1 426 Upgrade Required")] {
                let bad = try await RawConnection.open(port: baton.port)
                try await bad.send(request)
                #expect(await bad.closedByServer(within: 5), "\(request)")
                #expect(bad.text.hasPrefix(status) && bad.text.contains("bad_handshake"), "\(bad.text)")
                if status.contains("426") { #expect(bad.text.lowercased().contains("sec-websocket-version: 13")) }
            }
            // A good handshake still upgrades.
            try await WidgetClient.connect(baton.socketURL) { widget in _ = try await widget.hello() }
        }
    }

    /// Silent connections are closed after the idle timeout: one that never sent a request
    /// (nothing else would ever close it), one kept alive after its request, one stopped
    /// halfway through a request. A widget's socket is not an HTTP connection: it stays.
    /// (3 s: with 1 s, a starved full run once took longer than that between opening a
    /// connection and sending on it, and found it closed already.)
    @Test func silentConnectionsAreClosedAfterTheIdleTimeoutButWidgetsStay() async throws {
        try await LiveBaton.run(configure: { $0.socket.idleTimeout = .seconds(3) }) { baton in
            try await WidgetClient.connect(baton.socketURL) { widget in
                _ = try await widget.hello()
                let silent = try await RawConnection.open(port: baton.port)
                let kept = try await RawConnection.open(port: baton.port)
                try await kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let half = try await RawConnection.open(port: baton.port)
                try await half.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                #expect(await silent.closedByServer(within: 15))
                #expect(await kept.closedByServer(within: 15))
                #expect(kept.text.hasPrefix("HTTP/1.1 200"))
                #expect(await half.closedByServer(within: 15))
                #expect(half.text.isEmpty)
                // Requests NIO's parser refuses are answered 400 and closed at once.
                for malformed in ["GARBAGE\r\n\r\n", "POST /widget/v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc",
                                  "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"] {
                    let bad = try await RawConnection.open(port: baton.port)
                    try await bad.send(malformed)
                    #expect(await bad.closedByServer(within: 2), "\(malformed)")
                    #expect(bad.text.hasPrefix("HTTP/1.1 400 Bad Request"), "\(malformed): \(bad.text)")
                }
                // A malformed request after a good one on the same connection as well.
                let second = try await RawConnection.open(port: baton.port)
                try await second.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n")
                #expect(await second.closedByServer(within: 2))
                #expect(second.text.hasPrefix("HTTP/1.1 200") && second.text.contains("HTTP/1.1 400"), "\(second.text)")
                // Well past the HTTP idle timeout, the widget still talks.
                _ = try await widget.say("thank you", clientID: "after-idle")
                _ = try await widget.expect("message")
            }
        }
    }
}
