import Foundation

/// The fields of a `multipart/form-data` body, as much as a schema can judge: each part's
/// name and whether it carries a file (a `filename`). The content is not read.
struct FormFields {
    struct Field: Equatable {
        var name: String
        var isFile: Bool
    }

    let fields: [Field]

    /// The boundary named by a `multipart/form-data` content type; with no content type
    /// recorded, the one the body opens with. Nil for a body of another type.
    static func boundary(contentType: String?, body: Data) -> String? {
        guard let contentType else {
            guard body.starts(with: Data("--".utf8)), let lineEnd = body.firstRange(of: Data("\r\n".utf8)) else { return nil }
            let first = String(decoding: body[body.startIndex.advanced(by: 2)..<lineEnd.lowerBound], as: UTF8.self)
            return first.isEmpty ? nil : first.trimmingCharacters(in: .whitespaces)
        }
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() where piece.lowercased().hasPrefix("boundary=") {
            let value = piece.dropFirst("boundary=".count)
            return value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? String(value.dropFirst().dropLast()) : String(value)
        }
        return nil
    }

    /// Nil when the body is not a well-formed form: no opening or closing delimiter, or a
    /// part whose headers do not end in a blank line.
    init?(body: Data, boundary: String) {
        let delimiter = "--\(boundary)"
        let text = String(decoding: body, as: UTF8.self)
        guard text.hasPrefix(delimiter) else { return nil }
        // Each piece starts with the line end after its delimiter; the last is the "--" closing.
        let pieces = text.dropFirst(delimiter.count).components(separatedBy: "\r\n" + delimiter)
        guard let closing = pieces.last, closing.hasPrefix("--") else { return nil }
        var fields: [Field] = []
        for piece in pieces.dropLast() {
            guard piece.hasPrefix("\r\n") else { return nil }
            // By scalars: "\r\n" is a single Character.
            let part = Substring(piece.unicodeScalars.dropFirst(2))
            var headers = Substring()
            if !part.hasPrefix("\r\n") {
                guard let end = part.range(of: "\r\n\r\n") else { return nil }
                headers = part[..<end.lowerBound]
            }
            let disposition = headers.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }
            let parameters = Self.parameters(of: disposition ?? "")
            fields.append(Field(name: parameters["name"] ?? "", isFile: parameters["filename"] != nil))
        }
        self.fields = fields
    }

    /// `key=value` and `key="quoted value"` parameters after the disposition type; a
    /// backslash in a quoted value takes the next character as it is.
    private static func parameters(of header: String) -> [String: String] {
        var result: [String: String] = [:]
        var scanner = Substring(header.drop { $0 != ";" })
        while let semicolon = scanner.firstIndex(of: ";") {
            scanner = scanner[scanner.index(after: semicolon)...].drop { $0 == " " || $0 == "\t" }
            guard let equals = scanner.firstIndex(of: "=") else { break }
            let key = scanner[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            scanner = scanner[scanner.index(after: equals)...]
            var value = ""
            if scanner.first == "\"" {
                var escaped = false
                var end = scanner.endIndex
                for index in scanner.indices.dropFirst() {
                    let character = scanner[index]
                    if escaped { value.append(character); escaped = false } else if character == "\\" { escaped = true }
                    else if character == "\"" { end = index; break } else { value.append(character) }
                }
                scanner = end < scanner.endIndex ? scanner[scanner.index(after: end)...] : ""
            } else {
                let end = scanner.firstIndex(of: ";") ?? scanner.endIndex
                value = scanner[..<end].trimmingCharacters(in: .whitespaces)
                scanner = scanner[end...]
            }
            result[key] = value
        }
        return result
    }

    /// What departs from an object schema: a part without a name, a name the schema does
    /// not list (the server refuses unknown fields), a file where it wants text (`type:
    /// string`) or text where it wants a file (`format: binary`), a required name missing.
    func problems(against schema: JSONValue, resolve: (String) -> JSONValue?) -> [String] {
        var schema = schema
        if let reference = schema["$ref"]?.string, let target = resolve(reference) { schema = target }
        let properties = schema["properties"]?.object ?? [:]
        var found: [String] = []
        for field in fields {
            guard !field.name.isEmpty else {
                found.append("a form part has no name")
                continue
            }
            guard let property = properties[field.name] else {
                found.append("form field \(field.name) is not documented (documented: \(properties.keys.sorted().joined(separator: ", ")))")
                continue
            }
            let wantsFile = property["format"]?.string == "binary"
            if wantsFile, !field.isFile { found.append("form field \(field.name): expected a file, got a value") }
            if !wantsFile, field.isFile { found.append("form field \(field.name): expected a value, got a file") }
        }
        for name in schema["required"]?.array?.compactMap(\.string) ?? [] where !fields.contains(where: { $0.name == name }) {
            found.append("form field \(name) is required")
        }
        return found
    }
}
