import BatonCore
import BatonMattermost
import Crypto
import Logging

/// Identity verification: a website that signs its users in gives the widget the user's id
/// and an HMAC-SHA256 of it, made on its server with the widget's identity secret; Baton
/// recognises that visitor as that user, in any browser (docs/widget-protocol.md,
/// "Signed-in users"). The secret is kept encrypted with the credential key.
struct IdentityCheck: Sendable {
    let box: CredentialBox
    let logger: Logger

    /// What a hello's identity claim comes to.
    enum Outcome: Equatable {
        /// An anonymous visitor, recognised by its token.
        case anonymous
        case verified(VisitorIdentity)
        /// The hello is refused (the connection closes with 4407).
        case refused(ProtocolError)
    }

    /// A new secret: 32 random bytes, base64url (43 characters). The website uses the
    /// text itself (its UTF-8 bytes) as the HMAC key.
    static func newSecret() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The HMAC a website sends for `userID`, as lowercase hex.
    static func signature(of userID: String, secret: String) -> String {
        Hex.string(HMAC<SHA256>.authenticationCode(for: Array(userID.utf8), using: SymmetricKey(data: Array(secret.utf8))))
    }

    func seal(_ secret: String, widgetKey: String) throws -> String {
        Base64URL.encode(try box.seal(secret, context: Self.context(widgetKey)))
    }

    func secret(of widget: Widget) throws -> String? {
        guard let sealed = widget.settings.sealedIdentitySecret else { return nil }
        guard let bytes = Base64URL.decode(sealed) else { throw CredentialError.cannotDecrypt }
        return try box.open(bytes, context: Self.context(widget.key))
    }

    /// Bound to the widget: a sealed secret copied to another widget does not open.
    private static func context(_ widgetKey: String) -> String { "identity-secret:\(widgetKey)" }

    static let requiredMessage = "This chat is for signed-in users; sign in on the website first."

    /// Whether the widget takes signed-in users only (verification on and required).
    static func onlySignedIn(_ widget: Widget) -> Bool {
        widget.settings.identityRequired && widget.settings.sealedIdentitySecret != nil
    }

    func check(_ user: ClaimedUser?, for widget: Widget) -> Outcome {
        // Identity verification is off: a claim nobody can check counts for nothing.
        guard widget.settings.sealedIdentitySecret != nil else { return .anonymous }
        guard let user else {
            guard widget.settings.identityRequired else { return .anonymous }
            return .refused(ProtocolError(code: "identity_required", message: Self.requiredMessage))
        }
        let secret: String
        do {
            guard let opened = try self.secret(of: widget) else { return .anonymous }
            secret = opened
        } catch {
            // Anonymous visitors still chat; signed-in ones wait for a new secret.
            logger.error("The widget's identity secret cannot be decrypted (the secret key changed?); make a new one in the dashboard",
                         metadata: ["widget": "\(widget.key)"])
            return .refused(ProtocolError(code: "unavailable", message: "Signed-in chats cannot be opened right now; try again later."))
        }
        let expected = Self.signature(of: user.id, secret: secret)
        guard AdminAuth.equal(expected, user.hash) else {
            return .refused(ProtocolError(code: "identity_invalid",
                                          message: "hello.user.hash is not the HMAC-SHA256 of hello.user.id with this widget's identity secret."))
        }
        return .verified(VisitorIdentity(id: user.id, name: user.name, email: user.email))
    }
}
