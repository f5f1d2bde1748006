import BatonCore
import Foundation
import Hummingbird

/// The dashboard's admins, managed by the admins themselves (the CLI's `baton admin` does
/// the same from the server's shell).
extension AdminAPI {
    struct AdminBody: Encodable {
        var id: String
        var email: String
        var createdAt: Int64
        /// The admin asking.
        var you: Bool
    }

    func registerAdmins(on api: RouterGroup<BatonRequestContext>) {
        api.get("admins") { _, context in
            struct Answer: Encodable { var admins: [AdminBody] }
            guard let me = context.admin else { throw APIError.signInRequired }
            let admins = try await services.store.admins().sorted { $0.email < $1.email }
            return try Self.json(Answer(admins: admins.map { AdminBody(id: $0.id, email: $0.email, createdAt: $0.createdAt, you: $0.id == me.id) }))
        }

        api.post("admins") { request, context in
            struct Input: Decodable { var email: String; var password: String }
            guard let me = context.admin else { throw APIError.signInRequired }
            let input = try await Self.decode(Input.self, from: request)
            do {
                let admin = try await auth.createAdmin(email: input.email, password: input.password, by: me)
                return try Self.json(AdminBody(id: admin.id, email: admin.email, createdAt: admin.createdAt, you: false), status: .created)
            } catch AdminAuthError.invalid(let message) {
                throw APIError(.unprocessableContent, code: "invalid_admin", message, issues: [.init(path: "password", message: message)])
            } catch AdminAuthError.invalidEmail(let message) {
                throw APIError(.unprocessableContent, code: "invalid_admin", message, issues: [.init(path: "email", message: message)])
            } catch AdminAuthError.taken(let email) {
                throw APIError(.conflict, code: "email_taken", "\(email) is an admin already.")
            }
        }

        api.delete("admins/{id}") { _, context in
            guard let me = context.admin else { throw APIError.signInRequired }
            let id = context.parameters.get("id") ?? ""
            // The last admin stays: without one, nobody could sign in (only the shell's
            // `baton admin create` would help).
            guard let admin = try await services.store.admin(id: id) else {
                throw APIError(.notFound, code: "unknown_admin", "There is no such admin.")
            }
            do {
                _ = try await auth.delete(admin, by: me, keepingOne: true)
            } catch AdminAuthError.lastAdmin {
                throw APIError(.conflict, code: "last_admin", "\(admin.email) is the only admin: add another one first.")
            } catch AdminAuthError.unknown {
                throw APIError(.notFound, code: "unknown_admin", "There is no such admin.")
            }
            return Response(status: .noContent)
        }
    }
}
