import BatonCore
import BatonStore
import Foundation
import Logging

/// `baton admin create`: the first (or another) dashboard admin, from a script or a
/// terminal.
public struct AdminAccounts: Sendable {
    let config: BatonConfiguration
    let logger: Logger

    public init(config: BatonConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func create(email: String, password: String) async throws -> String {
        // A password that will be refused makes no database first.
        do { try AdminAuth.checkPassword(password) } catch AdminAuthError.invalid(let message) { throw AdminError(message) }
        let made = config.database.missingSQLiteFile
        return try await withAuth(existing: false) { auth in
            let admin = try await auth.createAdmin(email: email, password: password)
            let database = made.map { "Made the database \($0) (Baton had not run on it); `baton serve` uses it with the same --database. " } ?? ""
            return "\(database)Created the admin \(admin.email). \(config.publicURL.map { "Sign in at \($0)/dashboard/." } ?? "Sign in at /dashboard/ on Baton's address (http://\(config.address)/dashboard/ where `baton serve` listens with these settings).")"
        }
    }

    /// One line per admin: email and when they were made.
    public func list() async throws -> String {
        try await withAuth { auth in
            let admins = try await auth.store.admins()
            guard !admins.isEmpty else { return "No admins yet: create one with `baton admin create --email you@example.com`." }
            return admins.map { "\($0.email)  created \(MattermostAdmin.format($0.createdAt))" }.joined(separator: "\n")
        }
    }

    public func setPassword(email: String, password: String) async throws -> String {
        try await withAuth { auth in
            let admin = try await auth.setPassword(email: email, to: password)
            return "Changed the password of \(admin.email) and signed them out everywhere."
        }
    }

    public func delete(email: String) async throws -> String {
        try await withAuth { auth in
            let admin = try await auth.deleteAdmin(email: email)
            let left = try await auth.store.adminCount()
            let after = left > 0 ? "" : " No admin is left: `baton admin create` makes one, or restart Baton for a setup link."
            return "Removed the admin \(admin.email) and signed them out everywhere.\(after)"
        }
    }

    /// Runs `body` on the configured database, turning mistakes into messages for people.
    /// Only `create` may make the database (`existing: false`).
    private func withAuth(existing: Bool = true, _ body: (AdminAuth) async throws -> String) async throws -> String {
        if existing { try config.database.checkExists() }
        let made = config.database.missingSQLiteFile
        let store = try await SQLStore.open(config.database, durable: config.durable, logger: logger)
        let result: Result<String, any Error>
        do {
            result = .success(try await body(AdminAuth(store: store, passwordCost: config.passwordCost, logger: logger)))
        } catch {
            result = .failure(error)
        }
        await store.close()
        // An admin that could not be made leaves no database behind either.
        if case .failure = result, let made { DatabaseLocation.removeSQLite(at: made) }
        switch result {
        case .success(let text): return text
        case .failure(AdminAuthError.invalid(let message)), .failure(AdminAuthError.invalidEmail(let message)): throw AdminError(message)
        case .failure(AdminAuthError.taken(let email)): throw AdminError("\(email) is an admin already.")
        case .failure(AdminAuthError.unknown(let email)): throw AdminError("There is no admin \(email). `baton admin list` shows who there is.")
        case .failure(let error): throw error
        }
    }
}
