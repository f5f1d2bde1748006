/// Writes JSON the way the real server's Go encoder does: struct fields in declaration order,
/// map keys sorted, and `<`, `>`, `&`, U+2028 and U+2029 escaped (`\u003c` …), so clients
/// meet the same bytes they will meet in production.
struct GoJSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false
    /// The precomputed event encoding of the real server puts a space after `:` and `,`.
    private let spaced: Bool

    init(spaced: Bool = false) {
        self.spaced = spaced
        bytes.reserveCapacity(512)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A JSON object; `body` writes its members with `field` or `key` + a value.
    mutating func object(_ body: (inout GoJSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<S: Sequence>(_ elements: S, _ body: (inout GoJSONWriter, S.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for element in elements { body(&self, element) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        if spaced { bytes.append(UInt8(ascii: " ")) }
        needsComma = false
    }

    mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    mutating func field(_ name: String, _ value: Int64) { key(name); number(value) }
    mutating func field(_ name: String, _ value: Int) { key(name); number(Int64(value)) }
    mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }
    mutating func field(_ name: String, _ value: MattermostSandbox.JSON) { key(name); json(value) }
    mutating func nullField(_ name: String) { key(name); null() }

    /// Splices JSON that is already encoded (a nested document written by another writer).
    mutating func raw(_ encoded: [UInt8]) {
        separate()
        bytes.append(contentsOf: encoded)
        needsComma = true
    }

    mutating func string(_ value: String) {
        separate()
        appendString(value)
        needsComma = true
    }

    mutating func number(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    mutating func json(_ value: MattermostSandbox.JSON) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): self.number(number)
        case .double(let number):
            separate()
            let integral = number.isFinite && number == number.rounded() && abs(number) < 1e15
            let text = !number.isFinite ? "null" : integral ? String(Int64(number)) : String(number)
            bytes.append(contentsOf: text.utf8)
            needsComma = true
        case .string(let text): string(text)
        case .array(let elements): array(elements) { writer, element in writer.json(element) }
        case .object(let members):
            object { writer in
                for (name, member) in members.sorted(by: { $0.key < $1.key }) { writer.field(name, member) }
            }
        }
    }

    private mutating func separate() {
        if needsComma {
            bytes.append(UInt8(ascii: ","))
            if spaced { bytes.append(UInt8(ascii: " ")) }
        }
        needsComma = false
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Go's escaping, byte by byte over the UTF-8: U+2028 and U+2029 are the only
    /// characters beyond ASCII it escapes (`E2 80 A8`, `E2 80 A9`).
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = Array(value.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                escape(UInt32(byte))
            case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                escape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ value: UInt32) {
        bytes.append(contentsOf: Array("\\u".utf8))
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hex[Int((value >> UInt32(shift)) & 0xF)])
        }
    }
}
