import BatonMattermost
import BatonServer
import BatonTestSupport
import Foundation
import Logging
import Testing

/// `baton mattermost connect` (MattermostAdmin) on a folder where Baton never ran.
@Suite struct MattermostAdminTests {
    /// A connect that fails (nothing answers at the address) leaves nothing behind: the
    /// database and the key file it made are removed, so the next try, or `baton serve`,
    /// starts as on a fresh machine.
    @Test func aFailedConnectLeavesNoDatabaseOrKey() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let closed = try ClosedPort()
        var config = BatonConfiguration()
        config.database = .sqlite(path: folder.database)
        config.durable = false
        let admin = MattermostAdmin(config: config, logger: Logger(label: "test"))
        let options = MattermostAdmin.ConnectOptions(widgetKey: "demo", url: "http://127.0.0.1:\(closed.port)",
                                                     credentials: .password(username: "relay", password: "secret"),
                                                     team: "support", agents: ["alice"], indexChannel: .create("Live chats"))
        await #expect(throws: (any Error).self) { try await admin.connect(options) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == [])
        // Nothing is made while Mattermost is being asked (a Ctrl-C then left an empty
        // database and a key): a server that never answers keeps the folder empty.
        let silent = try SilentPort()
        var waiting = options
        waiting.url = "http://127.0.0.1:\(silent.port)"
        let pending = Task { try await admin.connect(waiting) }
        try await Task.sleep(for: .seconds(1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == [])
        pending.cancel()
        _ = await pending.result
        // One that fails on a database that was there keeps it, and makes no key file
        // (`admin create` makes none: a key is made when credentials are sealed).
        _ = try await AdminAccounts(config: config, logger: Logger(label: "test")).create(email: "zoe@example.com", password: "first password")
        await #expect(throws: (any Error).self) { try await admin.connect(options) }
        #expect(FileManager.default.fileExists(atPath: folder.database))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("baton.key").path))
        #expect(try await AdminAccounts(config: config, logger: Logger(label: "test")).list().contains("zoe@example.com"))
    }
}
