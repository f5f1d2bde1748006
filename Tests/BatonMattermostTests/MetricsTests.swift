import AsyncHTTPClient
import BatonServer
import BatonTestSupport
import Foundation
import Testing

/// `GET /metrics`: only with the configured token, and counting what happened.
@Suite struct MetricsTests {
    static let token = "metrics-token-0123456789"

    /// Scrapes `/metrics` (with `token`, if any): the status and the samples by name
    /// (`name{labels}` as written), comments left out.
    static func scrape(_ baton: LiveBaton, token: String? = MetricsTests.token) async throws -> (status: Int, samples: [String: Double], text: String) {
        var request = HTTPClientRequest(url: "\(baton.http)/metrics")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        var samples: [String: Double] = [:]
        if response.status == .ok {
            for line in body.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
        }
        return (Int(response.status.code), samples, body)
    }

    @Test func withoutATokenThereIsNoMetricsPage() async throws {
        try await LiveBaton.run { baton in
            let scraped = try await Self.scrape(baton)
            #expect(scraped.status == 404)
        }
    }

    @Test func theTokenIsRequired() async throws {
        try await LiveBaton.run(configure: { $0.metricsToken = Self.token }) { baton in
            #expect(try await Self.scrape(baton, token: nil).status == 401)
            #expect(try await Self.scrape(baton, token: "metrics-token-0123456780").status == 401)
            #expect(try await Self.scrape(baton, token: "short").status == 401)
            let scraped = try await Self.scrape(baton)
            #expect(scraped.status == 200)
            #expect((scraped.samples["process_resident_memory_bytes"] ?? 0) > 1_000_000)
            #expect((scraped.samples["process_open_fds"] ?? 0) > 3)
            let started = try #require(scraped.samples["process_start_time_seconds"])
            #expect(abs(started - Date().timeIntervalSince1970) < 120)
            // Each family says what it is; the process's CPU time only grows.
            for line in ["# TYPE process_cpu_seconds_total counter", "# TYPE process_open_fds gauge", "# TYPE baton_widget_sockets gauge",
                         "# HELP baton_widget_sockets Widget sockets open now.", "# HELP process_resident_memory_bytes Resident memory size in bytes.",
                         "# HELP baton_visitors_waiting Visitors handed over and waiting for an agent now; the same in every Baton on one database."] {
                #expect(scraped.text.contains(line + "\n"), "\(line)")
            }
            #expect(scraped.text.components(separatedBy: "# TYPE process_cpu_seconds_total").count == 2)
        }
    }

    @Test func aTokenMustBeLongAndPrintableAndIsNeverRepeated() throws {
        for bad in ["short", "sixteen chars ok but spaces", String(repeating: "x", count: 201), "tökentökentökentöken"] {
            #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_METRICS_TOKEN": bad]) }
            do {
                _ = try BatonConfiguration.fromEnvironment(["BATON_METRICS_TOKEN": bad])
            } catch {
                #expect(!"\(error)".contains(bad))
            }
        }
        #expect(try BatonConfiguration.fromEnvironment(["BATON_METRICS_TOKEN": Self.token]).metricsToken == Self.token)
    }

    /// A chat with the bot, a handover, a relayed message, an agent's reply and the close,
    /// each counted once; the open socket and the link show as gauges.
    @Test func theChatIsCounted() async throws {
        try await HandoverRig.run(baton: { $0.metricsToken = Self.token }) { rig in
            try await rig.connect()
            let baton = rig.baton
            try await WidgetClient.connect(baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                // Grace waits for an agent: one visitor waiting, since the handover.
                let waiting = try await Self.scrape(baton).samples
                #expect(waiting["baton_visitors_waiting{widget=\"demo\"}"] == 1)
                #expect((0..<60).contains(waiting["baton_longest_wait_seconds{widget=\"demo\"}"] ?? -1))
                _ = try await client.say("Is it in stock?", clientID: "v1")
                try await eventually("the message relayed") { rig.relayed(in: room.id).contains("Is it in stock?") }
                try rig.sandbox.post(as: "alice", in: room.id, "Yes, it is.")
                _ = try await client.message(containing: "Yes, it is.")
                // (The announcement marked taken by Alice, after her reply reached Grace.)
                try await eventually("the outbox empty") { try await baton.services.store.taskCount(widgetKey: "demo") == 0 }
                let scraped = try await Self.scrape(baton)
                var samples = scraped.samples
                // Each counter says what it counts, once, before its type.
                for name in ["baton_messages_total", "baton_relayed_messages_total", "baton_handovers_total"] {
                    #expect(scraped.text.contains("# HELP \(name) ") && scraped.text.components(separatedBy: "# HELP \(name) ").count == 2, "\(name)")
                    #expect(scraped.text.contains("\n# TYPE \(name) counter\n"), "\(name)")
                }
                #expect(!scraped.text.contains("\n\n"))
                // hello's greeting, then five visitor messages and six bot replies to a
                // handover; then a relayed message, and the agent's join notice and reply.
                #expect(samples["baton_conversations_started_total"] == 1)
                #expect(samples["baton_messages_total{author=\"visitor\"}"] == 6)
                #expect(samples["baton_messages_total{author=\"agent\"}"] == 1)
                #expect(samples["baton_messages_total{author=\"system\"}"] == 1)
                #expect((samples["baton_messages_total{author=\"bot\"}"] ?? 0) >= 6)
                #expect(samples["baton_handovers_total"] == 1)
                #expect(samples["baton_relayed_messages_total"] == 1)
                // The transcript, the announcement and the relayed message.
                #expect(samples["baton_mattermost_posts_total"] == 3)
                #expect(samples["baton_widget_sockets"] == 1)
                #expect(samples["baton_mattermost_connected{widget=\"demo\"}"] == 1)
                #expect(samples["baton_mattermost_leader"] == 1)
                #expect(samples["baton_outbox_tasks{widget=\"demo\"}"] == 0)
                // Alice answered: nobody waits.
                #expect(samples["baton_visitors_waiting{widget=\"demo\"}"] == 0)
                #expect(samples["baton_longest_wait_seconds{widget=\"demo\"}"] == 0)

                try rig.sandbox.post(as: "alice", in: room.id, "!close")
                _ = try await client.message(containing: "closed the chat")
                samples = try await Self.scrape(baton).samples
                #expect(samples["baton_conversations_closed_total"] == 1)
                #expect(samples["baton_chat_ratings_total{rating=\"good\"}"] == 0)
                try await client.send(["type": "rate", "conversation": conversation, "rating": "good"])
                _ = try await client.message(containing: "rated the chat")
                samples = try await Self.scrape(baton).samples
                #expect(samples["baton_chat_ratings_total{rating=\"good\"}"] == 1)
                #expect(samples["baton_chat_ratings_total{rating=\"bad\"}"] == 0)
            }
            try await eventually("the socket no longer counted") {
                try await Self.scrape(baton).samples["baton_widget_sockets"] == 0
            }
        }
    }
}
