/// Reads the few fields Baton needs from a JSON document (RFC 8259) straight from its
/// bytes, passing over the rest: Mattermost's event frames and posts arrive hundreds a
/// second, and a general decoder builds every field of them first.
///
/// The whole document is checked as it is read, including the values passed over, so a
/// document that is not JSON is refused as a whole. Bytes that are not UTF-8 read as
/// U+FFFD, as Go's encoder (Mattermost's) writes them. A reader method that fails leaves the
/// reader where the value starts; the member loop then passes the value over (a value of
/// another type than asked for) or fails too (broken JSON).
///
///     let name = try JSONReader.read(text) { json in
///         var name: String?
///         try json.members { key, json in
///             if key == "name" { name = try json.stringOrNull() }
///         }
///         return name
///     }
public struct JSONReader {
    public enum Kind: Sendable, Equatable { case object, array, string, number, bool, null }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not JSON at `offset` (a byte offset into the document).
        case invalid(offset: Int, reason: String)
        /// A well-formed value of another kind than the one asked for.
        case unexpected(Kind, offset: Int)
        /// Nested deeper than `JSONReader.maximumDepth`.
        case tooDeep(offset: Int)

        public var description: String {
            switch self {
            case .invalid(let offset, let reason): "not JSON at byte \(offset): \(reason)"
            case .unexpected(let kind, let offset): "unexpected \(kind) at byte \(offset)"
            case .tooDeep(let offset): "nested too deep at byte \(offset)"
            }
        }
    }

    /// Arrays and objects nest at most this deep (Foundation's decoder allows 512 too).
    public static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    /// Where the next value (or the whitespace before it) starts.
    public private(set) var offset = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: Documents

    /// Reads a document: `body` reads its one value (or leaves it to be passed over), and
    /// only whitespace may follow it.
    public static func read<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        var text = text
        return try text.withUTF8 { try read(UnsafeRawBufferPointer($0), body) }
    }

    public static func read<T>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws -> T) throws -> T {
        var reader = JSONReader(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        reader.skipWhitespace()
        let start = reader.offset
        let result = try body(&reader)
        if reader.offset == start { try reader.skip() }
        reader.skipWhitespace()
        guard reader.offset == reader.bytes.count else { throw reader.invalid("text after the value") }
        return result
    }

    public static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { try read($0, body) }
    }

    // MARK: Values

    /// The kind of the next value, without reading it.
    public mutating func kind() throws -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw invalid("the text ends where a value should start") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw invalid("no value starts with \(Self.describe(bytes[offset]))")
        }
    }

    /// Reads an object, calling `body` with each member's name. `body` reads the value with
    /// this reader or leaves it, and then it is passed over. When a name comes twice,
    /// `body` sees both, in order.
    public mutating func members(_ body: (JSONKey, inout JSONReader) throws -> Void) throws {
        try items(of: .object, closedBy: UInt8(ascii: "}"), named: "member") { json in
            guard json.peek(UInt8(ascii: "\"")) else { throw json.invalid("a member name should start here") }
            let key = try json.readKey()
            json.skipWhitespace()
            guard json.peek(UInt8(ascii: ":")) else { throw json.invalid("a colon should follow the member name") }
            json.offset += 1
            try json.value { try body(key, &$0) }
        }
    }

    /// Reads an array, calling `body` for each element; it reads the element or leaves it.
    public mutating func elements(_ body: (inout JSONReader) throws -> Void) throws {
        try items(of: .array, closedBy: UInt8(ascii: "]"), named: "element") { try $0.value(body) }
    }

    /// The items of an object or array, separated by commas; `item` reads one. On failure
    /// the reader is back where the object or array starts.
    private mutating func items(of kind: Kind, closedBy close: UInt8, named item: String,
                                _ readItem: (inout JSONReader) throws -> Void) throws {
        try expect(kind)
        let (start, outerDepth) = (offset, depth)
        do {
            try nest()
            offset += 1
            skipWhitespace()
            if peek(close) {
                offset += 1
            } else {
                while true {
                    skipWhitespace()
                    try readItem(&self)
                    skipWhitespace()
                    if peek(UInt8(ascii: ",")) { offset += 1; continue }
                    guard peek(close) else { throw invalid("a comma or \(Character(Unicode.Scalar(close))) should follow the \(item)") }
                    offset += 1
                    break
                }
            }
            depth -= 1
        } catch {
            (offset, depth) = (start, outerDepth)
            throw error
        }
    }

    /// One value, read by `body` or passed over when `body` leaves it.
    private mutating func value(_ body: (inout JSONReader) throws -> Void) throws {
        skipWhitespace()
        let start = offset
        try body(&self)
        if offset == start { try skip() }
    }

    public mutating func string() throws -> String {
        try expect(.string)
        let start = offset
        do {
            return try readString()
        } catch {
            offset = start
            throw error
        }
    }

    /// A string, or nil for null.
    public mutating func stringOrNull() throws -> String? {
        if try readNull() { return nil }
        return try string()
    }

    /// An integer that fits 64 bits. A number written with a fraction or an exponent is
    /// taken when its value is a whole number (`1.0`, `1e3`), as Foundation's decoder does.
    public mutating func int64() throws -> Int64 {
        try expect(.number)
        let start = offset
        let (isInteger, end) = try scanNumber()
        let digits = UnsafeBufferPointer(rebasing: bytes[start..<end])
        // Plain integers, nearly all of them, are read without making text first.
        if isInteger, let value = Self.integer(digits) {
            offset = end
            return value
        }
        let text = String(decoding: digits, as: UTF8.self)
        guard !isInteger, let double = Double(text), double == double.rounded(),
              double >= -9_223_372_036_854_775_808, double < 9_223_372_036_854_775_808 else {
            // Well-formed JSON, but not the integer asked for (5.5, 1e30): the caller says
            // which field is wrong, and the reader passes over the number.
            throw Failure.unexpected(.number, offset: start)
        }
        offset = end
        return Int64(double)
    }

    /// An integer, or nil for null.
    public mutating func int64OrNull() throws -> Int64? {
        if try readNull() { return nil }
        return try int64()
    }

    public mutating func double() throws -> Double {
        try expect(.number)
        let start = offset
        let (_, end) = try scanNumber()
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) else {
            throw Failure.invalid(offset: start, reason: "the number is out of range")
        }
        offset = end
        return value
    }

    public mutating func bool() throws -> Bool {
        try expect(.bool)
        if try literal("true") { return true }
        _ = try literal("false")
        return false
    }

    /// Reads a null if one comes next.
    public mutating func readNull() throws -> Bool {
        guard try kind() == .null else { return false }
        return try literal("null")
    }

    /// Passes over the next value, checking it is JSON.
    public mutating func skip() throws {
        switch try kind() {
        case .object: try members { _, _ in }
        case .array: try elements { _ in }
        case .string:
            let start = offset
            do { try scanString() } catch { offset = start; throw error }
        case .number: offset = try scanNumber().end
        case .bool: _ = try bool()
        case .null: _ = try literal("null")
        }
    }

    // MARK: Scanning

    private func peek(_ byte: UInt8) -> Bool { offset < bytes.count && bytes[offset] == byte }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private mutating func expect(_ wanted: Kind) throws {
        let found = try kind()
        guard found == wanted else { throw Failure.unexpected(found, offset: offset) }
    }

    private mutating func nest() throws {
        depth += 1
        guard depth <= Self.maximumDepth else { throw Failure.tooDeep(offset: offset) }
    }

    private mutating func literal(_ word: StaticString) throws -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count,
              UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[offset..<offset + count]) else {
            if bytes[offset] == word.utf8Start.pointee { throw invalid("expected \(word)") }
            return false
        }
        guard offset + count == bytes.count || !Self.isWordByte(bytes[offset + count]) else {
            throw invalid("expected \(word)")
        }
        offset += count
        return true
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), 0x80...: true
        default: false
        }
    }

    /// Checks the number at `offset` (`-? int frac? exp?`); returns where it ends and
    /// whether it has neither fraction nor exponent. Does not move.
    private func scanNumber() throws -> (isInteger: Bool, end: Int) {
        var i = offset
        func digit(_ at: Int) -> Bool { at < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { throw Failure.invalid(offset: i, reason: "a digit should follow") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if digit(i) { throw Failure.invalid(offset: i, reason: "a number cannot start with 0") }
        } else {
            while digit(i) { i += 1 }
        }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard digit(i) else { throw Failure.invalid(offset: i, reason: "a digit should follow the point") }
            while digit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { throw Failure.invalid(offset: i, reason: "a digit should follow the exponent") }
            while digit(i) { i += 1 }
        }
        if i < bytes.count, Self.isWordByte(bytes[i]) || bytes[i] == UInt8(ascii: ".") {
            throw Failure.invalid(offset: i, reason: "the number does not end here")
        }
        return (isInteger, i)
    }

    /// `-?[0-9]+` as an Int64, or nil when it does not fit.
    private static func integer(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = digits.first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in digits.dropFirst(negative ? 1 : 0) {
            let digit = Int64(byte &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Negative numbers accumulate downwards, so Int64.min fits.
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// Moves past the string at `offset`, checking it.
    private mutating func scanString() throws {
        offset += 1
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return
            case UInt8(ascii: "\\"):
                _ = try readEscape()
            case ..<0x20:
                throw invalid("a control character must be escaped in a string")
            default:
                offset += 1
            }
        }
        throw invalid("the string does not end")
    }

    private mutating func readKey() throws -> JSONKey {
        let start = offset + 1
        if let end = plainStringEnd(from: start) {
            offset = end + 1
            return JSONKey(raw: UnsafeBufferPointer(rebasing: bytes[start..<end]), unescaped: nil)
        }
        return JSONKey(raw: UnsafeBufferPointer(start: nil, count: 0), unescaped: try readString())
    }

    /// Where the string starting at `start` ends (its closing quote), when it has no
    /// escapes and no control characters; nil otherwise.
    private func plainStringEnd(from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") { return i }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Reads the string at `offset` (its opening quote).
    private mutating func readString() throws -> String {
        let start = offset + 1
        if let end = plainStringEnd(from: start) {
            offset = end + 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        var text: [UInt8] = []
        text.reserveCapacity(64)
        offset = start
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &text)
            case ..<0x20:
                throw invalid("a control character must be escaped in a string")
            default:
                text.append(byte)
                offset += 1
            }
        }
        throw invalid("the string does not end")
    }

    private mutating func readEscape(into text: inout [UInt8]) throws {
        UTF8.encode(try readEscape()) { text.append($0) }
    }

    /// Reads the escape at `offset` (its backslash). A UTF-16 surrogate without its other
    /// half reads as U+FFFD, as Go's decoder (Mattermost's) reads it.
    private mutating func readEscape() throws -> Unicode.Scalar {
        guard offset + 1 < bytes.count else { throw invalid("the string does not end") }
        let letter = bytes[offset + 1]
        offset += 2
        switch letter {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try readHex4()
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate: the low half must follow as another \u escape.
                if offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") {
                    let save = offset
                    offset += 2
                    let low = try readHex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))!
                    }
                    offset = save
                }
                return "\u{FFFD}"
            case 0xDC00...0xDFFF:
                return "\u{FFFD}"
            default:
                return Unicode.Scalar(unit)!
            }
        default:
            offset -= 1
            throw invalid("\\\(Self.describe(letter)) is no escape")
        }
    }

    private mutating func readHex4() throws -> UInt16 {
        guard offset + 4 <= bytes.count else { throw invalid("\\u needs four hex digits") }
        var value: UInt16 = 0
        for i in 0..<4 {
            let byte = bytes[offset + i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure.invalid(offset: offset + i, reason: "\\u needs four hex digits")
            }
            value = value << 4 | UInt16(digit)
        }
        offset += 4
        return value
    }

    private func invalid(_ reason: String) -> Failure { .invalid(offset: offset, reason: reason) }

    private static func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(Hex.string([byte]))"
    }
}

/// A member name, as read by `JSONReader.members`: compare it with a literal name. Valid
/// only inside the `members` body that received it.
public struct JSONKey {
    fileprivate let raw: UnsafeBufferPointer<UInt8>
    /// The name when it had escapes; otherwise `raw` is the name.
    fileprivate let unescaped: String?

    public var name: String { unescaped ?? String(decoding: raw, as: UTF8.self) }

    public static func == (key: JSONKey, name: StaticString) -> Bool {
        if let unescaped = key.unescaped { return unescaped == name.description }
        return name.withUTF8Buffer { $0.elementsEqual(key.raw) }
    }

    public static func ~= (name: StaticString, key: JSONKey) -> Bool { key == name }
}

/// A type read with `JSONReader` rather than a general decoder: one Baton reads often.
public protocol JSONReadable {
    /// Reads the value at the reader's place.
    init(reading json: inout JSONReader) throws
}

extension JSONReadable {
    /// Reads a whole document as this type.
    public init(json text: String) throws {
        self = try JSONReader.read(text) { try Self(reading: &$0) }
    }

    public init(json bytes: UnsafeRawBufferPointer) throws {
        self = try JSONReader.read(bytes) { try Self(reading: &$0) }
    }
}
