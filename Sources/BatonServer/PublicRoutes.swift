import BatonBot
import BatonCore
import BatonStore
import Foundation
import Hummingbird
import Logging

/// The routes anyone may call: the demo page, the widget script and its public settings,
/// and the health check.
struct PublicRoutes: Sendable {
    let assets: StaticAssets
    let bots: BotLibrary
    let store: SQLStore
    let auth: AdminAuth
    let identity: IdentityCheck

    func register(on router: Router<BatonRequestContext>) {
        router.get("/") { request, _ in
            try assets.response(for: "index.html", request: request, maxAge: 60) ?? { throw HTTPError(.notFound) }()
        }
        router.get("/widget.js") { request, _ in
            guard var response = assets.response(for: "widget.js", request: request) else { throw HTTPError(.notFound) }
            // Loaded by other sites' pages, those isolated from other origins
            // (`Cross-Origin-Embedder-Policy: require-corp`) included.
            response.headers[.crossOriginResourcePolicy] = "cross-origin"
            return response
        }
        router.get("/widget/v1/languages/{file}") { request, context in
            // The widget's words in a language (`CODE.json`), fetched by widget.js when it
            // is to speak one: public, from any page; kept for good when asked for by the
            // version widget.js knows (a new version is a new address).
            let file = context.parameters.get("file") ?? ""
            let code = file.hasSuffix(".json") ? String(file.dropLast(5)) : ""
            guard WidgetSettings.languages.contains(code),
                  var response = assets.response(for: "languages/\(file)", request: request) else {
                throw APIError(.notFound, code: "unknown_language", "The widget speaks no language \"\((code.isEmpty ? file : code).prefix(64))\": ask for CODE.json, "
                               + "CODE one of \(WidgetSettings.languages.joined(separator: ", ")).")
            }
            response.headers[.accessControlAllowOrigin] = "*"
            response.headers[.crossOriginResourcePolicy] = "cross-origin"
            if request.uri.queryParameters["v"].map(String.init) == assets.asset("languages/\(file)")?.version {
                response.headers[.cacheControl] = "public, max-age=31536000, immutable"
            }
            return response
        }
        router.get("/preview/{key}") { request, context in
            // A bare page with one widget open: the dashboard's live preview, and a way to
            // try any widget without embedding it anywhere.
            let key = context.parameters.get("key") ?? ""
            guard Widget.isValidKey(key), let found = try await bots.widget(forKey: key) else {
                throw APIError(.notFound, code: "unknown_widget", "No widget has the key \"\(key.prefix(64))\".")
            }
            let user = try await previewUser(for: found.widget, request: request)
            // `?new=1`: a new visitor (the dashboard's "New chat", and after a bot is saved).
            let newVisitor = request.uri.queryParameters["new"] == "1" ? " data-new-visitor=\"true\"" : ""
            let page = """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Preview: \(key)</title><link rel="icon" href="data:,"><style>body{margin:0;font:14px system-ui,sans-serif;background:#eef1f5;color:#495057}
                p{margin:24px}</style></head>
                <body><p>Preview of the widget <code>\(key)</code>.</p>
                <script src="/widget.js" data-widget="\(key)" data-open="true"\(newVisitor)\(user) async></script></body></html>
                """
            // Framed by the dashboard alone: the page may act as the signed-in admin.
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                   .contentSecurityPolicy: "frame-ancestors 'self'", .init("X-Frame-Options")!: "SAMEORIGIN"],
                            body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/healthz") { _, _ in
            do {
                _ = try await store.widgets()
                return JSONBody.response(.ok) { $0.field("status", "ok"); $0.field("version", BatonVersion.current) }
            } catch {
                return JSONBody.response(.serviceUnavailable) { $0.field("status", "database unavailable") }
            }
        }
        router.get("/widget/v1/config/{key}") { _, context in
            let key = context.parameters.get("key") ?? ""
            guard let (widget, bot) = try await bots.widget(forKey: key) else {
                throw APIError(.notFound, code: "unknown_widget", "No widget has the key \"\(key.prefix(64))\".")
            }
            var response = JSONBody.response(.ok) { w in
                w.field("key", widget.key)
                w.field("title", widget.settings.title ?? bot.name)
                w.field("color", widget.settings.color)
                w.field("botName", bot.name)
                if let subtitle = widget.settings.subtitle { w.field("subtitle", subtitle) }
                if let avatar = widget.settings.avatarURL { w.field("avatarURL", avatar) }
                if let language = widget.settings.language(botLanguage: bot.language) { w.field("language", language) }
            }
            // Public, read-only settings: any page may read them.
            response.headers[.accessControlAllowOrigin] = "*"
            response.headers[.crossOriginResourcePolicy] = "cross-origin"
            // Asked again at each page view: a colour just saved shows on the site at once.
            response.headers[.cacheControl] = "no-cache"
            return response
        }
    }

    /// A widget only for signed-in users cannot be tried anonymously: the preview opened by
    /// a signed-in admin signs in as that admin (`dashboard:EMAIL`), so the dashboard's
    /// live preview keeps working. Anyone else gets the plain page (and the refusal).
    private func previewUser(for widget: Widget, request: Request) async throws -> String {
        guard widget.settings.identityRequired, let token = request.cookies[AdminAuth.cookieName]?.value, !token.isEmpty,
              let (admin, _) = try await auth.authenticate(cookie: token),
              let secret = try? identity.secret(of: widget) else { return "" }
        let id = "dashboard:" + admin.email
        func attribute(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        return " data-user-id=\"\(attribute(id))\" data-user-hash=\"\(IdentityCheck.signature(of: id, secret: secret))\""
            + " data-user-name=\"\(attribute(admin.email + " (dashboard preview)"))\""
    }
}
