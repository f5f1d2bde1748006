import Foundation

/// A media type with its parameters, parsed as Go's `mime.ParseMediaType` parses
/// `Content-Type` and `Content-Disposition`: type and names lowercased; values as tokens or
/// quoted strings (a backslash escapes only the special characters; CR or LF ends the
/// parse); `name*=utf-8''…` (RFC 2231) decoded and preferred to `name`. Percent escapes in
/// a plain value are kept as they are, as Go keeps them.
struct MediaType: Equatable {
    var type: String
    var params: [String: String]

    /// Nil when Go would refuse the text (then a part's name and file name read as empty).
    init?(_ text: String) {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        let head = reader.take { $0 != ";" }
        type = String(String.UnicodeScalarView(head)).trimmingCharacters(in: .whitespaces).lowercased()
        guard !type.isEmpty, type.split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ part in
            !part.isEmpty && part.unicodeScalars.allSatisfy(Reader.isTokenScalar)
        }) else { return nil }
        var plain: [String: String] = [:]
        var extended: [String: String] = [:]
        while true {
            reader.skipSpaces()
            guard let next = reader.peek else { break }
            guard next == ";" else { return nil }
            reader.index += 1
            reader.skipSpaces()
            if reader.peek == nil { break }  // a trailing semicolon is ignored
            let key = String(String.UnicodeScalarView(reader.take(while: Reader.isTokenScalar))).lowercased()
            guard !key.isEmpty, reader.peek == "=" else { return nil }
            reader.index += 1
            guard let value = reader.value() else { return nil }
            if key.hasSuffix("*") {
                guard let decoded = Self.decode2231(value) else { continue }
                extended[String(key.dropLast())] = decoded
            } else {
                guard plain.updateValue(value, forKey: key) == nil else { return nil }
            }
        }
        params = plain.merging(extended) { _, decoded in decoded }
    }

    /// `charset'language'percent-encoded`, for the charsets Go takes (UTF-8, US-ASCII).
    private static func decode2231(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, ["utf-8", "us-ascii"].contains(parts[0].lowercased()) else { return nil }
        return parts[2].removingPercentEncoding
    }

    /// A cursor over the scalars of a header value.
    private struct Reader {
        let scalars: [Unicode.Scalar]
        var index = 0

        static let specials = Set("()<>@,;:\\\"/[]?=".unicodeScalars)

        static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value > 0x20 && scalar.value < 0x7F && !specials.contains(scalar)
        }

        var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func take(while accepts: (Unicode.Scalar) -> Bool) -> ArraySlice<Unicode.Scalar> {
            let start = index
            while let scalar = peek, accepts(scalar) { index += 1 }
            return scalars[start..<index]
        }

        mutating func skipSpaces() { _ = take { $0 == " " || $0 == "\t" } }

        /// A token or a quoted string.
        mutating func value() -> String? {
            guard peek == "\"" else {
                let token = take(while: Self.isTokenScalar)
                return token.isEmpty ? nil : String(String.UnicodeScalarView(token))
            }
            index += 1
            var text = String.UnicodeScalarView()
            while let scalar = peek {
                index += 1
                switch scalar {
                case "\"": return String(text)
                case "\r", "\n": return nil
                case "\\" where peek.map(Self.specials.contains) == true:
                    text.append(scalars[index])
                    index += 1
                default: text.append(scalar)
                }
            }
            return nil
        }
    }
}

/// A `multipart/form-data` body split into parts, as Go's `mime/multipart` reader (the
/// real server's) splits it.
struct MultipartBody {
    struct Part {
        /// The `name` of a `form-data` disposition; empty otherwise (the part is passed over).
        var formName: String
        /// The `filename`'s last path element; empty for a plain field.
        var fileName: String
        var contentType: String?
        var content: ArraySlice<UInt8>

        var isFile: Bool { !fileName.isEmpty }
    }

    struct Malformed: Error {
        let reason: String
    }

    /// The parts of `body`; a missing boundary, a part without its end or without a closing
    /// delimiter makes it malformed.
    static func parts(of body: [UInt8], boundary: String) throws(Malformed) -> [Part] {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n".utf8) + dashBoundary
        // The first delimiter may follow a preamble, and needs no CRLF before it at the start.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw Malformed(reason: "no boundary \(boundary)")
        }
        var parts: [Part] = []
        while true {
            if body[position...].starts(with: Array("--".utf8)) { return parts }
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard body[position...].starts(with: Array("\r\n".utf8)) else { throw Malformed(reason: "a boundary line does not end") }
            position += 2
            var headers: [String: String] = [:]
            var contentStart = position + 2
            if !body[position...].starts(with: Array("\r\n".utf8)) {
                guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: position) else {
                    throw Malformed(reason: "a part's headers do not end")
                }
                headers = header(String(decoding: body[position..<headerEnd], as: UTF8.self))
                contentStart = headerEnd + 4
            }
            guard let end = find(delimiter, in: body, from: contentStart) else { throw Malformed(reason: "a part does not end") }
            let disposition = headers["content-disposition"].flatMap(MediaType.init)
            let isFormData = disposition?.type == "form-data"
            let fileName = disposition?.params["filename"].map { $0.isEmpty ? "" : FileNaming.base($0) } ?? ""
            parts.append(Part(formName: isFormData ? disposition?.params["name"] ?? "" : "", fileName: fileName,
                              contentType: headers["content-type"], content: body[contentStart..<end]))
            position = end + delimiter.count
        }
    }

    /// Header lines (`Name: value`), names lowercased; the first of a repeated name counts.
    private static func header(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            if fields[name] == nil { fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = max(0, start)
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
