/// Checks a JSON value against an OpenAPI 3.0 schema object.
///
/// Supported: `$ref` (any JSON pointer into the document), `type` (also as a list),
/// `properties`, `required`, `items`, `additionalProperties` (a schema, or `false` to
/// refuse unknown properties), `enum`, `nullable`, `allOf`, `anyOf`, `oneOf`,
/// `minLength`/`maxLength` (in Unicode code points), `pattern`, `minimum`/`maximum`,
/// `minItems`/`maxItems`. Unknown properties are otherwise allowed, as a client must
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
            if let least = rules["minItems"]?.integerValue, elements.count < least {
                found.append("\(path): at least \(least) item\(least == 1 ? "" : "s") expected, got \(elements.count)")
            }
            if let most = rules["maxItems"]?.integerValue, elements.count > most {
                found.append("\(path): at most \(most) item\(most == 1 ? "" : "s") allowed, got \(elements.count)")
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    found += problems(element, items, "\(path)[\(index)]", depth: depth + 1)
                }
            }
        case .string(let text):
            found += stringProblems(text, rules, path)
        case .integer(let number):
            found += numberProblems(Double(number), rules, path)
        case .number(let number):
            found += numberProblems(number, rules, path)
        default:
            break
        }
        return found
    }

    private func stringProblems(_ text: String, _ rules: [String: JSONValue], _ path: String) -> [String] {
        var found: [String] = []
        let length = text.unicodeScalars.count
        if let least = rules["minLength"]?.integerValue, length < least {
            found.append(least == 1 ? "\(path): must not be empty" : "\(path): at least \(least) characters expected, got \(length)")
        }
        if let most = rules["maxLength"]?.integerValue, length > most {
            found.append("\(path): at most \(most) characters allowed, got \(length)")
        }
        if let pattern = rules["pattern"]?.string, let regex = try? Regex(pattern), text.firstMatch(of: regex) == nil {
            found.append("\(path): \(describe(.string(text))) does not match the pattern \(pattern)")
        }
        return found
    }

    private func numberProblems(_ number: Double, _ rules: [String: JSONValue], _ path: String) -> [String] {
        var found: [String] = []
        if let least = rules["minimum"]?.doubleValue, number < least { found.append("\(path): must be at least \(least.clean)") }
        if let most = rules["maximum"]?.doubleValue, number > most { found.append("\(path): must be at most \(most.clean)") }
        return found
    }

    private func objectProblems(_ members: [String: JSONValue], _ rules: [String: JSONValue], _ path: String, depth: Int) -> [String] {
        var found: [String] = []
        for name in rules["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
            found.append("\(path).\(name): required property is missing")
        }
        let named = (rules["properties"]?.object?.keys.sorted()).map { $0.isEmpty ? "" : " of " + $0.joined(separator: ", ") } ?? ""
        if let least = rules["minProperties"]?.integerValue, members.count < least {
            found.append("\(path): give at least \(least)\(named)")
        }
        if let most = rules["maxProperties"]?.integerValue, members.count > most {
            found.append("\(path): give at most \(most)\(named)")
        }
        let properties = rules["properties"]?.object ?? [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let schema = properties[name] {
                found += problems(member, schema, "\(path).\(name)", depth: depth + 1)
            } else if let extra = rules["additionalProperties"], case .object = extra {
                found += problems(member, extra, "\(path).\(name)", depth: depth + 1)
            } else if rules["additionalProperties"] == .bool(false) {
                let known = properties.keys.sorted().joined(separator: ", ")
                found.append("\(path).\(name): unknown property (expected \(known.isEmpty ? "none" : known))")
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

extension JSONValue {
    var integerValue: Int? {
        switch self {
        case .integer(let number): Int(number)
        case .number(let number): number == number.rounded() ? Int(number) : nil
        default: nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }
}

extension Double {
    /// 3 rather than 3.0.
    var clean: String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
