import BatonCore
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import Synchronization

/// Admin accounts and sessions: passwords hashed with bcrypt, sessions in an HttpOnly
/// cookie, a CSRF token per session, failed sign-ins slowed down, and a one-time setup
/// token while no admin exists.
final class AdminAuth: Sendable {
    static let cookieName = "baton_session"

    let store: any AdminStore
    let passwordCost: UInt8
    let sessionLength: Millis
    let logger: Logger
    let throttle = LoginThrottle()
    private let setup = Mutex(SetupState.none)

    /// The first admin's one-time token: none, waiting, or being used by one request
    /// (others meanwhile are refused, so that only one first admin is made).
    private enum SetupState {
        case none
        case open(String)
        case inUse(String)
    }

    /// What a password of an email of no admin is checked against: a hash of the same
    /// cost as admins' (made once, when first needed).
    private var unknownAdminHash: String {
        unknownHash.withLock { hash in
            if let hash { return hash }
            let made = Bcrypt.hash(RandomID.secret(), cost: passwordCost)
            hash = made
            return made
        }
    }
    private let unknownHash = Mutex<String?>(nil)

    init(store: any AdminStore, passwordCost: UInt8, sessionLength: Duration = .seconds(12 * 3600), logger: Logger) {
        self.store = store
        self.passwordCost = passwordCost
        self.sessionLength = sessionLength.components.seconds * 1000
        self.logger = logger
    }

    /// While no admin exists: a fresh one-time token for creating the first one.
    func prepareSetup() async throws -> String? {
        guard try await store.adminCount() == 0 else { return nil }
        let token = RandomID.secret(byteCount: 18)
        setup.withLock { $0 = .open(token) }
        return token
    }

    var setupNeeded: Bool { get async { (try? await store.adminCount()) == 0 } }

    /// Creates an admin (the CLI, the setup page, another admin: `by`). Throws a message
    /// for people.
    func createAdmin(email: String, password: String, by: Admin? = nil) async throws -> Admin {
        let email = email.trimmingWhitespace().lowercased()
        guard Self.isEmail(email) else { throw AdminAuthError.invalidEmail("\"\(email)\" is not an email address.") }
        try Self.checkPassword(password)
        let admin = Admin(id: RandomID.make(), email: email, passwordHash: Bcrypt.hash(password, cost: passwordCost), createdAt: .now())
        guard try await store.createAdmin(admin) else { throw AdminAuthError.taken(email) }
        setup.withLock { $0 = .none }
        logger.notice("Admin created", metadata: by.map { ["admin": "\(email)", "by": "\($0.email)"] } ?? ["admin": "\(email)"])
        return admin
    }

    /// Passwords of 10 characters or more that head the lists of leaked ones.
    static let commonPasswords: Set<String> = [
        "0123456789", "1234567890", "0987654321", "12345678910", "123456789a", "1234567890a", "a123456789",
        "qwertyuiop", "1q2w3e4r5t", "q1w2e3r4t5", "1qaz2wsx3edc", "qwerty1234", "qwerty12345", "qwerty123456",
        "asdfghjkl;", "zxcvbnm123", "abcdefghij", "abcd123456", "abc1234567",
        "password12", "password123", "password1234", "password!1", "passw0rd12", "iloveyou12", "letmein123",
        "welcome123", "administrator", "admin12345", "admin123456", "changeme123", "baton12345",
    ]

    static func checkPassword(_ password: String) throws {
        guard password.count >= 10 else { throw AdminAuthError.invalid("The password needs at least 10 characters.") }
        // bcrypt stops at a NUL: what came after it would not count.
        guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }) else {
            throw AdminAuthError.invalid("The password may not hold control characters.")
        }
        // bcrypt reads 72 bytes: a longer password's end would not count.
        guard password.utf8.count <= 72 else {
            throw AdminAuthError.invalid("The password may be at most 72 bytes long (72 letters of English, fewer in other scripts): a longer one's end would not count.")
        }
        // Ten spaces, or one key held down, or the first row of a keyboard is no password.
        guard Set(password.lowercased().filter { !$0.isWhitespace }).count >= 4 else {
            throw AdminAuthError.invalid("The password needs at least 4 different characters besides spaces.")
        }
        guard !Self.commonPasswords.contains(password.lowercased()) else {
            throw AdminAuthError.invalid("This password is one of the first that are tried; choose another.")
        }
    }

    /// Gives an admin a new password; every session of theirs ends (a password changed
    /// because it leaked must not leave a thief signed in).
    func setPassword(email: String, to password: String) async throws -> Admin {
        guard let admin = try await store.admin(email: email.trimmingWhitespace().lowercased()) else { throw AdminAuthError.unknown(email) }
        try Self.checkPassword(password)
        try await store.setPasswordHash(Bcrypt.hash(password, cost: passwordCost), adminID: admin.id)
        logger.notice("Admin password changed; their sessions ended", metadata: ["admin": "\(admin.email)"])
        return admin
    }

    /// The signed-in admin changes their own password, proving they know the current one
    /// (failures are slowed down as for signing in). Every session of theirs ends; the
    /// caller gets a new one.
    func changeOwnPassword(_ admin: Admin, current: String, new: String, client: String) async throws -> (String, AdminSession) {
        try await checkPassword(current, of: admin.email, client: client, failure: "Wrong current password when changing it") { _ in admin }
        try Self.checkPassword(new)
        guard new != current else { throw AdminAuthError.invalid("The new password is the one you have: choose another.") }
        try await store.setPasswordHash(Bcrypt.hash(new, cost: passwordCost), adminID: admin.id)
        logger.notice("Admin changed their password; their other sessions ended", metadata: ["admin": "\(admin.email)"])
        return try await startSession(for: admin)
    }

    /// Removes an admin (by another admin: `by`); their sessions end at once.
    func deleteAdmin(email: String, by: Admin? = nil) async throws -> Admin {
        guard let admin = try await store.admin(email: email.trimmingWhitespace().lowercased()) else { throw AdminAuthError.unknown(email) }
        return try await delete(admin, by: by)
    }

    /// With `keepingOne` (the dashboard), the only admin is not removed (`lastAdmin`);
    /// the shell's `baton admin delete` may, as `baton admin create` can make another.
    func delete(_ admin: Admin, by: Admin? = nil, keepingOne: Bool = false) async throws -> Admin {
        guard try await store.deleteAdmin(id: admin.id, keepingOne: keepingOne) else {
            guard keepingOne, try await store.admin(id: admin.id) != nil else { throw AdminAuthError.unknown(admin.email) }
            throw AdminAuthError.lastAdmin(admin.email)
        }
        logger.notice("Admin removed; their sessions ended",
                      metadata: by.map { ["admin": "\(admin.email)", "by": "\($0.email)"] } ?? ["admin": "\(admin.email)"])
        return admin
    }

    /// The first admin, with the setup token.
    func createFirstAdmin(token: String, email: String, password: String) async throws -> (Admin, String, AdminSession) {
        guard try await store.adminCount() == 0 else { throw AdminAuthError.setupDone }
        let claimed = try setup.withLock { state throws(AdminAuthError) -> String in
            switch state {
            case .open(let expected) where Self.equal(expected, token):
                state = .inUse(expected)
                return expected
            case .inUse(let expected) where Self.equal(expected, token):
                throw .setupDone  // another request is making the first admin with it
            default:
                throw .badSetupToken
            }
        }
        let admin: Admin
        do {
            admin = try await createAdmin(email: email, password: password)
        } catch {
            setup.withLock { if case .inUse = $0 { $0 = .open(claimed) } }
            throw error
        }
        let (token, session) = try await startSession(for: admin)
        return (admin, token, session)
    }

    /// Checks email and password; slows down repeated failures for an email and a client.
    func signIn(email: String, password: String, client: String) async throws -> (Admin, String, AdminSession) {
        let email = email.trimmingWhitespace().lowercased()
        let admin = try await checkPassword(password, of: email, client: client, failure: "Failed dashboard sign-in") { email in
            try await store.admin(email: email)
        }
        let (token, session) = try await startSession(for: admin)
        return (admin, token, session)
    }

    /// Checks `password` against the admin `find` returns for `email`, slowing down
    /// repeated failures for the email and the client; returns the admin.
    @discardableResult
    private func checkPassword(_ password: String, of email: String, client: String, failure: String,
                               find: (String) async throws -> Admin?) async throws -> Admin {
        let keys = ["email:\(email)", "client:\(AddressRange.client(client))"]
        if let wait = throttle.wait(for: keys) { throw AdminAuthError.throttled(seconds: wait) }
        // A NUL ends what bcrypt reads: a password with one never matches. An email of no
        // admin costs a hash check as one of an admin does: the time of the answer does
        // not tell which emails are admins'.
        let admin = try await find(email)
        let matches = Bcrypt.verify(password, hash: admin?.passwordHash ?? unknownAdminHash)
        guard !password.contains("\0"), let admin, matches else {
            throttle.failed(keys)
            logger.warning("\(failure)", metadata: ["admin": "\(email)", "client": "\(client)"])
            throw AdminAuthError.badCredentials
        }
        throttle.succeeded(keys)
        return admin
    }

    private func startSession(for admin: Admin) async throws -> (String, AdminSession) {
        let token = RandomID.secret()
        let now = Millis.now()
        let session = AdminSession(tokenHash: TokenHash.sha256(token), adminID: admin.id, csrfToken: RandomID.secret(byteCount: 24),
                                   createdAt: now, expiresAt: now + sessionLength)
        try await store.saveSession(session)
        try? await store.deleteExpiredSessions(now: now)
        return (token, session)
    }

    /// The admin behind a session cookie, if the session is valid.
    func authenticate(cookie token: String) async throws -> (Admin, AdminSession)? {
        guard let session = try await store.session(tokenHash: TokenHash.sha256(token)), session.expiresAt > .now(),
              let admin = try await store.admin(id: session.adminID) else { return nil }
        return (admin, session)
    }

    func signOut(_ session: AdminSession) async throws {
        try await store.deleteSession(tokenHash: session.tokenHash)
    }

    /// Compares secrets in constant time.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        // No white space, and no control or format characters: a right-to-left override
        // would show another admin's address.
        // Nor what ends an address in a mail header or reads as markup (`<b>x</b>@…`).
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && text.count <= 254
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !text.unicodeScalars.contains { $0.properties.isWhitespace || [.control, .format].contains($0.properties.generalCategory)
                || "<>()[],;:\"\\".unicodeScalars.contains($0) }
    }
}

enum AdminAuthError: Error {
    /// A password that may not be used, and why.
    case invalid(String)
    case invalidEmail(String)
    case taken(String)
    case unknown(String)
    /// The only admin, whom the dashboard does not remove.
    case lastAdmin(String)
    case badCredentials
    case throttled(seconds: Int)
    case badSetupToken
    case setupDone
}

/// Slows down guessing: after 3 failures in a row for an email or a client, each further
/// attempt must wait 2, 4, 8 … seconds (at most 5 minutes) after the last failure.
final class LoginThrottle: Sendable {
    private struct Record {
        var failures: Int
        var last: ContinuousClock.Instant
    }

    private let records = Mutex<[String: Record]>([:])
    /// When the table was last rid of old records (each failure filtering 10,000 of them
    /// under the lock slowed every sign-in down).
    private let pruned = Mutex<ContinuousClock.Instant?>(nil)
    static let free = 3

    func wait(for keys: [String], now: ContinuousClock.Instant = .now) -> Int? {
        records.withLock { records in
            keys.compactMap { key -> Int? in
                guard let record = records[key], record.failures >= Self.free else { return nil }
                let delay = Duration.seconds(min(300, 1 << min(record.failures - Self.free + 1, 9)))
                let until = record.last + delay
                guard now < until else { return nil }
                return Int((until - now).components.seconds) + 1
            }.max()
        }
    }

    func failed(_ keys: [String], now: ContinuousClock.Instant = .now) {
        records.withLock { records in
            for key in keys { records[key] = Record(failures: (records[key]?.failures ?? 0) + 1, last: now) }
            // Forget old records so the table cannot grow without bound; at most once a
            // minute, and past 50,000 also those that slow nobody down yet.
            guard records.count > 10_000, pruned.withLock({ last in
                guard last.map({ now - $0 > .seconds(60) }) ?? true else { return false }
                last = now
                return true
            }) else { return }
            records = records.filter { now - $0.value.last < .seconds(3600) }
            if records.count > 50_000 { records = records.filter { $0.value.failures >= Self.free } }
        }
    }

    func succeeded(_ keys: [String]) {
        records.withLock { records in for key in keys { records[key] = nil } }
    }
}
