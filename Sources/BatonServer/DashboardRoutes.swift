import Hummingbird

/// The dashboard's files and the admin API document.
struct DashboardRoutes: Sendable {
    let assets: StaticAssets

    /// The dashboard talks only to its own origin and is never framed; no inline script or
    /// style runs in it (styles set from scripts go through the CSS object model).
    static let policy: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' https: data:; style-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        .init("X-Frame-Options")!: "DENY",
        .init("Referrer-Policy")!: "same-origin",
    ]

    func register(on router: Router<BatonRequestContext>) {
        // The router treats /dashboard and /dashboard/ alike.
        router.get("/dashboard") { request, _ in
            try page("dashboard/index.html", request)
        }
        router.get("/dashboard/**") { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            // Only files of the dashboard folder; no way out of it.
            guard !path.contains(".."), !path.isEmpty else { throw HTTPError(.notFound) }
            return try page("dashboard/\(path)", request)
        }
        router.get("/api/openapi.yaml") { request, _ in
            guard let response = assets.response(for: "api/openapi.yaml", request: request, maxAge: 60) else { throw HTTPError(.notFound) }
            return response
        }
    }

    private func page(_ name: String, _ request: Request) throws -> Response {
        guard var response = assets.response(for: name, request: request, maxAge: 0) else { throw HTTPError(.notFound) }
        for field in Self.policy { response.headers[field.name] = field.value }
        response.headers[.cacheControl] = "no-cache"
        return response
    }
}
