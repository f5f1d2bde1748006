import BatonServer
import BatonTestSupport
import Foundation
import Logging
import Testing

/// `baton admin create|list|password|delete` (AdminAccounts), on a database a Baton then
/// serves: the dashboard takes the new password and refuses the old one and the removed
/// admin. (That their open sessions end is the store's part: AgentAndAdminStoreTests.)
@Suite struct AdminAccountsTests {
    @Test func adminsAreCreatedListedGivenANewPasswordAndRemoved() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var config = BatonConfiguration()
        config.database = .sqlite(path: folder.database)
        config.durable = false
        config.passwordCost = 4
        let accounts = AdminAccounts(config: config, logger: Logger(label: "test"))
        #expect(try await accounts.list().contains("No admins yet"))
        _ = try await accounts.create(email: "Zoe@Example.com", password: "first password")
        _ = try await accounts.create(email: "ann@example.com", password: "ann's password")
        let listed = try await accounts.list().split(separator: "\n")
        #expect(listed.count == 2 && listed[0].hasPrefix("ann@example.com  created 20") && listed[1].hasPrefix("zoe@example.com"))

        #expect(try await accounts.setPassword(email: "ZOE@example.com", password: "second password").contains("signed them out"))
        #expect(try await accounts.delete(email: "ann@example.com").contains("Removed the admin ann@example.com"))
        // Mistakes are told plainly.
        await #expect(throws: AdminError.self) { try await accounts.setPassword(email: "zoe@example.com", password: "short") }
        await #expect(throws: AdminError.self) { try await accounts.delete(email: "ann@example.com") }
        do {
            _ = try await accounts.setPassword(email: "nobody@example.com", password: "long enough password")
        } catch {
            #expect("\(error)" == "There is no admin nobody@example.com. `baton admin list` shows who there is.")
        }

        try await LiveBaton.run(database: folder.database, configure: { $0.passwordCost = 4 }) { baton in
            let old = try await AdminClient(base: baton.http).signIn("zoe@example.com", "first password")
            let removed = try await AdminClient(base: baton.http).signIn("ann@example.com", "ann's password")
            let new = try await AdminClient(base: baton.http).signIn("zoe@example.com", "second password")
            #expect(old.status == 401 && removed.status == 401 && new.status == 200)
        }
        #expect(try await accounts.delete(email: "zoe@example.com").contains("No admin is left"))
    }
}
