/// Checks a JSON value against an OpenAPI 3.0 schema object.
///
/// Supported: `$ref` (any JSON pointer into the document), `type` (also as a list),
/// `properties`, `required`, `items`, `additionalProperties` (as a schema), `enum`,
/// `nullable`, `allOf`, `anyOf`, `oneOf`. Unknown properties are allowed, as a client must
/// accept fields added by newer servers. `oneOf` is checked like `anyOf`: with unknown
/// properties allowed, several object alternatives can match one value at once.
struct SchemaValidator {
    let document: JSONValue
    /// Stops runaway recursion on a document whose `$ref`s loop without consuming data.
    private let maxDepth = 64

    func problems(_ value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        problems(value, schema, path, depth: 0)
    }

    private func problems(_ value: JSONValue, _ schema: JSONValue, _ path: String, depth: Int) -> [String] {
        guard depth < maxDepth else { return ["\(path): schema nests too deeply (a $ref loop?)"] }
        guard case .object(let rules) = schema else { return [] }
        if let reference = rules["$ref"]?.string {
            guard let target = resolve(reference) else { return ["\(path): cannot resolve \(reference)"] }
            return problems(value, target, path, depth: depth + 1)
        }
        if value == .null {
            if rules["nullable"]?.bool == true || allowsNullType(rules["type"]) { return [] }
            if rules["type"] != nil { return ["\(path): expected \(typeName(rules["type"])), got null"] }
        }
        var found: [String] = []
        if let allOf = rules["allOf"]?.array {
            for part in allOf { found += problems(value, part, path, depth: depth + 1) }
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let alternatives = rules[keyword]?.array, !alternatives.isEmpty else { continue }
            let results = alternatives.map { problems(value, $0, path, depth: depth + 1) }
            if !results.contains(where: \.isEmpty) {
                let first = results.first?.first ?? "no detail"
                found.append("\(path): matches none of the \(alternatives.count) \(keyword) alternatives (first: \(first))")
            }
        }
        if let type = rules["type"], !matches(value, type) {
            return found + ["\(path): expected \(typeName(type)), got \(value.kind)"]
        }
        if let options = rules["enum"]?.array, !options.contains(where: { $0.sameValue(as: value) }) {
            found.append("\(path): \(describe(value)) is not one of \(options.map(describe).joined(separator: ", "))")
        }
        switch value {
        case .object(let members):
            found += objectProblems(members, rules, path, depth: depth)
        case .array(let elements):
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    found += problems(element, items, "\(path)[\(index)]", depth: depth + 1)
                }
            }
        default:
            break
        }
        return found
    }

    private func objectProblems(_ members: [String: JSONValue], _ rules: [String: JSONValue], _ path: String, depth: Int) -> [String] {
        var found: [String] = []
        for name in rules["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
            found.append("\(path).\(name): required property is missing")
        }
        let properties = rules["properties"]?.object ?? [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let schema = properties[name] {
                found += problems(member, schema, "\(path).\(name)", depth: depth + 1)
            } else if let extra = rules["additionalProperties"], case .object = extra {
                found += problems(member, extra, "\(path).\(name)", depth: depth + 1)
            }
        }
        return found
    }

    /// Follows a JSON pointer such as `#/components/schemas/Post`.
    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = document
        for token in reference.dropFirst().split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { return nil }
            node = next
        }
        return node
    }

    private func matches(_ value: JSONValue, _ type: JSONValue) -> Bool {
        if case .array(let names) = type { return names.contains { matches(value, $0) } }
        switch (type.string ?? "", value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool),
             ("integer", .integer), ("number", .integer), ("number", .number), ("null", .null):
            return true
        case ("", _):
            return true
        default:
            return false
        }
    }

    private func allowsNullType(_ type: JSONValue?) -> Bool {
        type?.array?.contains(.string("null")) == true
    }

    private func typeName(_ type: JSONValue?) -> String {
        switch type {
        case .string(let name): name
        case .array(let names): names.compactMap(\.string).joined(separator: " or ")
        default: "a value"
        }
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        default: value.kind
        }
    }
}
