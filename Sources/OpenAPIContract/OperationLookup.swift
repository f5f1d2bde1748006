/// Finds the operation a concrete request path belongs to.
///
/// Paths are matched segment by segment; `{name}` matches any one non-empty segment. When
/// several templates match, the one whose literal segments come first wins, so
/// `/api/v4/users/usernames` picks the literal path over `/api/v4/users/{user_id}`.
struct OperationLookup: Sendable {
    struct Template: Sendable {
        let path: String
        let segments: [Segment]
        let item: [String: JSONValue]
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    enum Match {
        case operation(template: String, operation: [String: JSONValue], parameters: [String: String])
        case methodNotDocumented(template: String)
        case noPath
    }

    private let templates: [Template]

    init(paths: [String: JSONValue]) {
        templates = paths.compactMap { path, item in
            guard case .object(let members) = item else { return nil }
            return Template(path: path, segments: Self.split(path).map(Self.segment), item: members)
        }
    }

    func match(method: String, path: String) -> Match {
        let parts = Self.split(path)
        let candidates = templates.compactMap { template -> (Template, [String: String])? in
            guard let parameters = Self.bind(template.segments, to: parts) else { return nil }
            return (template, parameters)
        }
        .sorted { Self.moreLiteral($0.0.segments, than: $1.0.segments) }
        guard let first = candidates.first else { return .noPath }
        let verb = method.lowercased()
        for (template, parameters) in candidates {
            if case .object(let operation) = template.item[verb] {
                return .operation(template: template.path, operation: operation, parameters: parameters)
            }
        }
        return .methodNotDocumented(template: first.0.path)
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func segment(_ text: String) -> Segment {
        if text.hasPrefix("{"), text.hasSuffix("}") { return .parameter(String(text.dropFirst().dropLast())) }
        return .literal(text)
    }

    private static func bind(_ segments: [Segment], to parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): if text != part { return nil }
            case .parameter(let name): parameters[name] = part.removingPercentEncoding ?? part
            }
        }
        return parameters
    }

    /// Left to right, a literal segment beats a parameter.
    private static func moreLiteral(_ a: [Segment], than b: [Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}
