@testable import BatonMattermost
import Foundation
import Logging
import MattermostSandbox
import Testing

/// `GET /channels/{id}/posts?since=` answers at most 1,000 posts: a catch-up after a long
/// outage (or of a busy index channel, read from its oldest open thread) reads on until it
/// has them all. It used to take the first 1,000 and move the rooms' cursors past the rest.
@Suite struct PostsSinceTests {
    @Test func aChannelWithMoreChangesThanOneAnswerHoldsIsReadWhole() async throws {
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let channel = try #require(sandbox.channel(team: "support", name: "off-topic")).id
            let client = try MattermostClient(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: Logger(label: "test"))
            let start = try await client.posts(channelID: channel, since: 1).map(\.createAt).max() ?? 0
            var made: [String] = []
            for number in 1...2_345 { made.append(try sandbox.post(as: "alice", in: channel, "post \(number)").id) }
            // Some early ones edited, one deleted: changed again, later.
            for id in made.prefix(3) { _ = try sandbox.editPost(id, message: "edited", by: "alice") }
            try sandbox.deletePost(made[3], by: "alice")
            sandbox.clearExchanges()
            let read = try await client.posts(channelID: channel, since: start)
            let requests = sandbox.exchanges.filter { $0.path == "/api/v4/channels/\(channel)/posts" }
            let since = requests.filter { $0.query?.contains("since=") == true }.count
            #expect(since >= 3 && since <= 5, "\(since) requests")
            // After a full answer the posts made are read by creation too, 200 a page.
            #expect(requests.count - since == 12)
            let mine = read.filter { made.contains($0.id) }
            // Every post once, in the order made (posts of one millisecond in no order the
            // server promises), each as it is now.
            #expect(mine.count == made.count && Set(mine.map(\.id)) == Set(made))
            #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.createAt <= $1.createAt })
            let byID = Dictionary(uniqueKeysWithValues: mine.map { ($0.id, $0) })
            #expect(made.prefix(3).allSatisfy { byID[$0]?.message == "edited" && byID[$0]?.editAt != 0 })
            #expect(byID[made[3]]?.deleteAt != 0)
        }
    }

    /// The server's query takes 1,000 changed posts in whatever order its database reads
    /// them; read by another index (the newest made), a catch-up that went on from the last
    /// change in an answer skipped every post made before the newest thousand.
    @Test func postsAreAllReadWhateverThousandTheServerPicks() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.postsSinceNewestFirst = true
        try await MattermostSandbox.run(configuration: configuration) { sandbox in
            HandoverRig.seed(sandbox)
            let channel = try #require(sandbox.channel(team: "support", name: "off-topic")).id
            let client = try MattermostClient(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: Logger(label: "test"))
            _ = try sandbox.post(as: "alice", in: channel, "before")
            let start = try await client.posts(channelID: channel, since: 1).map(\.createAt).max() ?? 0
            var made: [String] = []
            for number in 1...2_345 { made.append(try sandbox.post(as: "alice", in: channel, "post \(number)").id) }
            let read = try await client.posts(channelID: channel, since: start)
            #expect(read.count == made.count && Set(read.map(\.id)) == Set(made), "\(read.count) of \(made.count)")
            #expect(zip(read, read.dropFirst()).allSatisfy { $0.createAt <= $1.createAt })
        }
    }
}
