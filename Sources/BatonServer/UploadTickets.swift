import BatonCore
import BatonMattermost

/// The tickets that let a widget upload files over HTTP: the widget's socket gets one in
/// each `welcome`, and sends it as a bearer token with each upload. A ticket names the
/// visitor and the widget and when it expires, sealed (encrypted and authenticated) with
/// the credential key, so any Baton sharing that key accepts it and none is stored.
struct UploadTickets: Sendable {
    let box: CredentialBox
    /// How long a ticket is good for; a widget connected longer reconnects for a new one.
    var lifetime: Millis = 24 * 3600 * 1000

    private static let context = "widget-upload-ticket"

    func issue(visitor: VisitorID, widgetKey: String, now: Millis = .now()) -> String? {
        let text = "\(visitor.rawValue)\n\(widgetKey)\n\(now + lifetime)"
        return (try? box.seal(text, context: Self.context)).map(Base64URL.encode)
    }

    /// The visitor and widget of a valid, unexpired ticket.
    func check(_ ticket: String, now: Millis = .now()) -> (visitor: VisitorID, widgetKey: String)? {
        guard ticket.utf8.count <= 512, let sealed = Base64URL.decode(ticket),
              let text = try? box.open(sealed, context: Self.context) else { return nil }
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3, let expires = Millis(parts[2]), now < expires else { return nil }
        return (VisitorID(String(parts[0])), String(parts[1]))
    }
}
