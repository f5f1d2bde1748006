import BatonCore
import Foundation
import Testing

/// The JSON reader Baton reads Mattermost's frames and posts with: the fields asked for,
/// every other value checked and passed over, and anything that is not JSON refused.
@Suite struct JSONReaderTests {
    /// The members of an object read as strings, integers or nil; others left.
    private func fields(_ text: String) throws -> [String: String] {
        try JSONReader.read(text) { json in
            var found: [String: String] = [:]
            try json.members { key, json in
                switch try json.kind() {
                case .string: found[key.name] = try json.string()
                case .number: if let value = try? json.int64() { found[key.name] = String(value) }
                case .null: _ = try json.readNull(); found[key.name] = "null"
                default: break
                }
            }
            return found
        }
    }

    private func isJSON(_ text: String) -> Bool {
        (try? JSONReader.read(text) { try $0.skip() }) != nil
    }

    @Test func readsTheFieldsAskedForAndPassesOverTheRest() throws {
        let text = #" { "event" : "posted", "data": {"post": "{}", "list": [1, [2, {"a": [true, false, null]}], "x", -0.5e+3]}, "seq": 7, "flag": true, "none": null, "big": 12.5E-1 } "#
        #expect(try fields(text) == ["event": "posted", "seq": "7", "none": "null"])
        let post = try JSONReader.read(text) { json in
            var post: String?
            try json.members { key, json in
                guard key == "data" else { return }
                try json.members { key, json in
                    if key == "post" { post = try json.stringOrNull() }
                }
            }
            return post
        }
        #expect(post == "{}")
        #expect(try fields("{}") == [:])
        #expect(try fields(#"{"a":"1","a":"2"}"#) == ["a": "2"])
    }

    @Test func stringsAreUnescaped() throws {
        let samples: [(String, String)] = [
            (#""plain""#, "plain"),
            (#""q\"b\\s\/n\nr\rt\tb\bf\f""#, "q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}"),
            (#""\u0000\u001f\u00e9\u20AC""#, "\u{0}\u{1F}é€"),
            (#""\ud83d\ude00 smile""#, "😀 smile"),
            (#""grüße 日本 😀""#, "grüße 日本 😀"),
            // Surrogates without their other half read as U+FFFD, as Go reads them.
            (#""a\ud800b""#, "a\u{FFFD}b"),
            (#""a\udc00b""#, "a\u{FFFD}b"),
            (#""\ud800\u0041""#, "\u{FFFD}A"),
            (#""\u2028\u2029""#, "\u{2028}\u{2029}"),
        ]
        for (json, expected) in samples {
            #expect(try JSONReader.read(json) { try $0.string() } == expected, "\(json)")
        }
        // Escaped member names compare by what they spell.
        let escapedKey = try JSONReader.read(#"{"ev\u0065nt":"x"}"#) { json in
            var value: String?
            try json.members { key, json in if key == "event" { value = try json.string() } }
            return value
        }
        #expect(escapedKey == "x")
    }

    @Test func stringsRoundTripThroughBothWriters() throws {
        var generator = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = ["a", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "\u{2028}", "😀", "<", "&", " "]
        for _ in 0..<300 {
            let length = Int.random(in: 0..<40, using: &generator)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(pool.randomElement(using: &generator)!) }
            let foundation = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
            #expect(try JSONReader.read(foundation) { try $0.string() } == text)
            var writer = JSONWriter()
            writer.string(text)
            #expect(try JSONReader.read(writer.bytes) { try $0.string() } == text)
        }
    }

    @Test func integersAreReadExactly() throws {
        let samples: [(String, Int64)] = [
            ("0", 0), ("-0", 0), ("42", 42), ("1700000000123", 1_700_000_000_123),
            ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("1.0", 1), ("1e3", 1000), ("-2.5E1", -25),
        ]
        for (json, expected) in samples {
            #expect(try JSONReader.read(json) { try $0.int64() } == expected, "\(json)")
        }
        for json in ["9223372036854775808", "-9223372036854775809", "1.5", "1e30"] {
            #expect(throws: JSONReader.Failure.self, "\(json)") { try JSONReader.read(json) { try $0.int64() } }
            // Still a number: passed over, it is fine.
            #expect(isJSON(json))
        }
        #expect(try JSONReader.read("0.25") { try $0.double() } == 0.25)
        #expect(try JSONReader.read("[true,false]") { json in
            var values: [Bool] = []
            try json.elements { values.append(try $0.bool()) }
            return values
        } == [true, false])
    }

    @Test func aValueOfAnotherKindIsLeftForTheLoopToPassOver() throws {
        let text = #"{"user_id":5,"seq":"ten","post":{"id":"x"},"event":"typing"}"#
        let read = try JSONReader.read(text) { json in
            var (user, seq, post, event): (String?, Int64?, String?, String?)
            try json.members { key, json in
                switch key {
                case "user_id": user = try? json.stringOrNull()
                case "seq": seq = try? json.int64OrNull()
                case "post": post = try? json.stringOrNull()
                case "event": event = try? json.stringOrNull()
                default: break
                }
            }
            return [user, seq.map { String($0) }, post, event]
        }
        #expect(read == [nil, nil, nil, "typing"])
        #expect(throws: JSONReader.Failure.unexpected(.number, offset: 0)) { try JSONReader.read("5") { try $0.string() } }
    }

    @Test func whatIsNotJSONIsRefused() {
        let broken = [
            "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":}",
            "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\u12G4\"", "\"tab\tinside\"", "\"nl\ninside\"",
            "tru", "nul", "truex", "nullnull", "True", "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1 2",
            "{} {}", "[1] x", "NaN", "Infinity", "[1,2", "{\"a\":[}", "\u{FEFF}{}",
        ]
        for text in broken {
            #expect(!isJSON(text), "\(text.debugDescription) should be refused")
            // Foundation agrees, but for a byte-order mark and trailing commas, which it
            // lets pass; RFC 8259 and Go's decoder do not.
            let lenient = text.hasPrefix("\u{FEFF}") || text == "[1,]" || text == "{\"a\":1,}"
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) == nil || lenient,
                    "Foundation reads \(text.debugDescription)")
        }
        // A value's error is where it is, however deep.
        #expect(throws: JSONReader.Failure.invalid(offset: 9, reason: "a comma or ] should follow the element")) {
            try JSONReader.read(#"{"a":[1,2}"#) { try $0.skip() }
        }
    }

    @Test func everyValueFoundationWritesIsRead() throws {
        var generator = SystemRandomNumberGenerator()
        func value(_ depth: Int) -> Any {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return Int64.random(in: .min ... .max, using: &generator)
            case 1: return Double.random(in: -1e6...1e6, using: &generator)
            case 2: return ["", "x", "é\"\\\n😀", "\u{0}"].randomElement(using: &generator)!
            case 3: return Bool.random(using: &generator)
            case 4: return NSNull()
            case 5: return (0..<Int.random(in: 0..<4, using: &generator)).map { _ in value(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for i in 0..<Int.random(in: 0..<4, using: &generator) { object["k\(i)\u{e9}"] = value(depth + 1) }
                return object
            }
        }
        for _ in 0..<300 {
            let document = [value(0)]
            let options: JSONSerialization.WritingOptions = Bool.random(using: &generator) ? [.prettyPrinted] : []
            let text = String(decoding: try JSONSerialization.data(withJSONObject: document, options: options), as: UTF8.self)
            #expect(isJSON(text), "\(text)")
        }
    }

    @Test func nestingIsBounded() {
        let limit = JSONReader.maximumDepth
        #expect(isJSON(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)))
        #expect(!isJSON(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)))
        // A deep document cannot exhaust the stack.
        #expect(!isJSON(String(repeating: "{\"a\":", count: 100_000)))
    }
}
