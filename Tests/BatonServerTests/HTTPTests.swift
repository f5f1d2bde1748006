import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
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
            let etag = try #require(script.headers["etag"].first)
            let cached = try await get("\(baton.http)/widget.js", headers: [("If-None-Match", etag)])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
        }
    }

    @Test func widgetSettingsArePublic() async throws {
        try await LiveBaton.run { baton in
            let config = try await get("\(baton.http)/widget/v1/config/demo")
            #expect(config.status == 200)
            #expect(config.json["botName"] as? String == "Ada")
            #expect(config.json["color"] as? String == "#3b5bdb")
            #expect(config.headers["access-control-allow-origin"].first == "*")

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

    @Test func noDemoWhenAskedNotTo() async throws {
        try await LiveBaton.run(configure: { $0.demo = false }) { baton in
            let config = try await get("\(baton.http)/widget/v1/config/demo")
            #expect(config.status == 404)
        }
    }
}
