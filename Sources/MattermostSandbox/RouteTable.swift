/// The REST routes, matched like the real router: literal segments before parameters, so
/// `/users/usernames` is not taken for `/users/{user_id}`.
struct RouteTable: Sendable {
    typealias Handler = @Sendable (Call) throws(MattermostSandbox.APIError) -> Reply

    struct Route: Sendable {
        let method: String
        let segments: [String]
        let needsSession: Bool
        let handler: Handler
    }

    private(set) var routes: [Route] = []

    /// Adds a route; `pattern` is relative to `/api/v4`, parameters written `{name}`.
    mutating func add(_ method: String, _ pattern: String, session: Bool = true, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: pattern.split(separator: "/").map(String.init), needsSession: session,
                            handler: handler))
    }

    /// The route for a request and its path parameters; nil for unknown routes.
    func match(method: String, segments: [String]) -> (Route, [String: String])? {
        var best: (route: Route, params: [String: String], literals: [Bool])?
        for route in routes where route.method == method && route.segments.count == segments.count {
            var params: [String: String] = [:]
            var literals: [Bool] = []
            var matched = true
            for (pattern, part) in zip(route.segments, segments) {
                if pattern.hasPrefix("{") {
                    params[String(pattern.dropFirst().dropLast())] = part
                    literals.append(false)
                } else if pattern == part {
                    literals.append(true)
                } else {
                    matched = false
                    break
                }
            }
            guard matched else { continue }
            if let current = best, !Self.moreLiteral(literals, than: current.literals) { continue }
            best = (route, params, literals)
        }
        return best.map { ($0.route, $0.params) }
    }

    private static func moreLiteral(_ a: [Bool], than b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }
}
