import Foundation
import Yams

/// A JSON (or YAML) value as the checker sees it. Integers are kept apart from other numbers
/// so `type: integer` can be checked exactly.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON bytes; nil when they are not JSON.
    static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The name used in reports: `got string`, `got null`.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Numbers compare by value, so `enum: [1]` accepts `1.0`.
    func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)): Double(a) == b
        default: self == other
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            // Whole numbers written with a fraction ("3.0") are integral all the same.
            if value == value.rounded(), abs(value) < 9.0e15 { self = .integer(Int64(value)) } else { self = .number(value) }
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue {
    /// Converts a composed YAML node, honouring the resolved tag of each scalar so a quoted
    /// `"200"` stays a string while `200` becomes an integer.
    init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            switch node.tag.description {
            case Tag.Name.null.rawValue: self = .null
            case Tag.Name.bool.rawValue: self = node.bool.map(JSONValue.bool) ?? .string(text)
            case Tag.Name.int.rawValue: self = node.int.map { .integer(Int64($0)) } ?? .string(text)
            case Tag.Name.float.rawValue: self = node.float.map(JSONValue.number) ?? .string(text)
            default: self = .string(text)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                members[key.string ?? ""] = JSONValue(yaml: value)
            }
            self = .object(members)
        case .sequence(let sequence):
            self = .array(sequence.map { JSONValue(yaml: $0) })
        case .alias:
            // The reference document has no anchors; an alias cannot be followed here.
            self = .null
        }
    }
}
