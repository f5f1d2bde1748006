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
        // Only `create` makes a database: the others name the file that is not there (a
        // mistyped --database made a new, empty one, and "No admins yet" sent people to
        // create one in it).
        do {
            _ = try await accounts.list()
            Issue.record("listed the admins of a database that is not there")
        } catch {
            #expect("\(error)" == "There is no database at \(folder.database). Check --database (or BATON_DATABASE): Baton makes the database when it first starts.")
        }
        await #expect(throws: AdminError.self) { try await accounts.delete(email: "zoe@example.com") }
        #expect(!FileManager.default.fileExists(atPath: folder.database))
        // An admin that cannot be made (an address that is none) leaves no database.
        await #expect(throws: AdminError.self) { try await accounts.create(email: "not an address", password: "first password") }
        #expect(!FileManager.default.fileExists(atPath: folder.database))
        // A password that will be refused makes no database either.
        await #expect(throws: AdminError.self) { try await accounts.create(email: "zoe@example.com", password: "short") }
        #expect(!FileManager.default.fileExists(atPath: folder.database))
        let first = try await accounts.create(email: "Zoe@Example.com", password: "first password")
        #expect(first == "Made the database \(folder.database) (Baton had not run on it); `baton serve` uses it with the same --database. "
                    + "Created the admin zoe@example.com. Sign in at /dashboard/ on Baton's address (http://127.0.0.1:8080/dashboard/ where `baton serve` listens with these settings).")
        #expect(try await accounts.list().contains("zoe@example.com"))
        #expect(try await accounts.create(email: "ann@example.com", password: "ann's password") == "Created the admin ann@example.com. Sign in at /dashboard/ on Baton's address (http://127.0.0.1:8080/dashboard/ where `baton serve` listens with these settings).")
        let listed = try await accounts.list().split(separator: "\n")
        #expect(listed.count == 2 && listed[0].hasPrefix("ann@example.com  created 20") && listed[1].hasPrefix("zoe@example.com"))

        #expect(try await accounts.setPassword(email: "ZOE@example.com", password: "second password").contains("signed them out"))
        #expect(try await accounts.delete(email: "ann@example.com").contains("Removed the admin ann@example.com"))
        // Mistakes are told plainly.
        await #expect(throws: AdminError.self) { try await accounts.setPassword(email: "zoe@example.com", password: "short") }
        await #expect(throws: AdminError.self) { try await accounts.delete(email: "ann@example.com") }
        do {
            // Who first: a short password for nobody is about nobody.
            _ = try await accounts.setPassword(email: "nobody@example.com", password: "short")
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
