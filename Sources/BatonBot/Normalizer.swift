import Foundation

/// Turns text into comparable words: lowercase, accents folded, apostrophes dropped
/// ("What's" → "whats"; in French and Italian they end a word: "l'adresse" → "l",
/// "adresse"), split on everything that is not a letter or digit.
enum Normalizer {
    static func tokens(_ text: String, language: BotLanguage = .english) -> [String] {
        text.utf8.allSatisfy { $0 < 0x80 } ? asciiTokens(text, elides: language.elides) : unicodeTokens(text, elides: language.elides)
    }

    /// `tokens` for ASCII text (most messages), byte by byte: the same words without
    /// lowercasing the whole text, looking scalars up in the fold table or reading their
    /// Unicode properties.
    static func asciiTokens(_ text: String, elides: Bool = false) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            case UInt8(ascii: "'") where !elides: continue
            default:
                if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
        return tokens
    }

    static func unicodeTokens(_ text: String, elides: Bool = false) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { tokens.append(String(current)) }
            current = String.UnicodeScalarView()
        }
        // Chinese and Japanese have no spaces: each Han character (kanji) is a word of its
        // own, and a word of kana ends where its script changes (hiragana, katakana,
        // anything else), so "注文の状況" reads as "注", "文", "の", "状", "況", and a
        // visitor who writes part of a compound ("注文" of "注文履歴") still matches it.
        var script = Script.other
        for scalar in halfWidthKanaAsFull(text).lowercased().unicodeScalars {
            if scalar == "'" || scalar == "\u{2019}" || scalar == "\u{02BC}" {
                if elides { flush() }
                continue
            }
            if let folded = fold[scalar] {
                if script != .other { flush() }
                script = .other
                current.append(contentsOf: folded.unicodeScalars)
            } else if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                // Combining marks (U+0300–U+036F) left over from decomposed input are dropped.
                if (0x300...0x36F).contains(scalar.value) { continue }
                let own = Script(scalar)
                if own != script || own == .kanji {
                    flush()
                    script = own
                }
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }

    /// Half-width katakana (U+FF61–U+FF9F, as some keyboards and old systems type) as the
    /// katakana they stand for, their sound marks joined to the letter before: "ｵﾍﾟﾚｰﾀｰ"
    /// as "オペレーター". (Only these: compatibility mapping at large would make "№" "No".)
    static func halfWidthKanaAsFull(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { (0xFF61...0xFF9F).contains($0.value) }) else { return text }
        var mapped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0xFF61...0xFF9F).contains(scalar.value) {
                mapped.append(contentsOf: String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars)
            } else {
                mapped.append(scalar)
            }
        }
        return String(mapped).precomposedStringWithCanonicalMapping
    }

    /// Which of Chinese's and Japanese's scripts a letter is written in (a word is written
    /// in one).
    enum Script: Equatable {
        case kanji, hiragana, katakana, other

        init(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0xF900...0xFAFF, 0x3005: self = .kanji
            case 0x3041...0x309F: self = .hiragana
            // The long vowel mark ー goes with the katakana it follows.
            case 0x30A0...0x30FF, 0x31F0...0x31FF: self = .katakana
            default: self = .other
            }
        }
    }

    /// The text as one normalised string, for exact comparisons (choices, triggers).
    static func canonical(_ text: String, language: BotLanguage = .english) -> String {
        tokens(text, language: language).joined(separator: " ")
    }

    /// Accented Latin letters and ligatures folded to plain ASCII, Greek's accented letters
    /// to plain ones, Arabic's variant letters, Hebrew's final ones.
    static let fold: [Unicode.Scalar: String] = {
        var table: [Unicode.Scalar: String] = [:]
        let groups: [(String, String)] = [
            ("àáâãäåāăą", "a"), ("çćĉċč", "c"), ("ďđ", "d"), ("èéêëēĕėęě", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"),
            ("ìíîïĩīĭįı", "i"), ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņňŉ", "n"), ("òóôõöøōŏő", "o"),
            ("ŕŗř", "r"), ("śŝşš", "s"), ("ţťŧ", "t"), ("ùúûüũūŭůűų", "u"), ("ŵ", "w"), ("ýÿŷ", "y"), ("źżž", "z"),
        ]
        for (letters, base) in groups {
            for scalar in letters.unicodeScalars { table[scalar] = base }
        }
        table["ß"] = "ss"; table["æ"] = "ae"; table["œ"] = "oe"; table["þ"] = "th"; table["ð"] = "d"
        // The rest of Latin's accented letters (Vietnamese "hướng dẫn" as "huong dan") and
        // Greek's (tonos, dialytika, the polytonic marks: "καφές" as "καφεσ", as Greeks
        // write in capitals), by their decomposition; Greek's final sigma as sigma.
        for range in [0x0180...0x024F, 0x1E00...0x1EFF, 0x0370...0x03FF, 0x1F00...0x1FFF] {
            for value in range {
                guard let scalar = Unicode.Scalar(value), table[scalar] == nil, scalar.properties.isLowercase else { continue }
                let base = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
                    .filter { $0.properties.generalCategory != .nonspacingMark }
                guard base.count == 1, base.first != scalar else { continue }
                table[scalar] = String(String.UnicodeScalarView(base))
            }
        }
        table["ς"] = "σ"
        // Combining marks (U+0300–U+036F) left over from decomposed input, or from
        // lowercasing ("İ" becomes "i" and a combining dot), are dropped.
        for value in 0x0300...0x036F { table[Unicode.Scalar(value)!] = "" }
        // Russian: ё as е (most people type it so); Ukrainian: ї as і and ґ as г.
        table["ё"] = "е"; table["ї"] = "і"; table["ґ"] = "г"
        // Full-width Latin letters and digits (typed with a Japanese input method) as ASCII.
        for value in 0xFF10...0xFF19 { table[Unicode.Scalar(value)!] = String(value - 0xFF10) }
        for value in 0xFF21...0xFF3A { table[Unicode.Scalar(value)!] = String(Character(Unicode.Scalar(value - 0xFF21 + 0x61)!)) }
        for value in 0xFF41...0xFF5A { table[Unicode.Scalar(value)!] = String(Character(Unicode.Scalar(value - 0xFF41 + 0x61)!)) }
        // Arabic as commonly typed: the forms of alef as alef, teh marbuta as heh, alef
        // maksura as yeh, hamza on a carrier as its carrier; short vowels and other marks,
        // and the stretching tatweel, dropped; Arabic-Indic digits as digits.
        // Persian's own yeh and kaf as Arabic's, its digits as digits, and the zero-width
        // non-joiner inside its words dropped ("کتاب‌ها" reads as "کتابها", as many type it).
        for (letters, base) in [("أإآٱ", "ا"), ("ةۀ", "ه"), ("ىئی", "ي"), ("ؤ", "و"), ("ک", "ك")] {
            for scalar in letters.unicodeScalars { table[scalar] = base }
        }
        for value in [0x0640] + Array(0x064B...0x065F) + [0x0670] {
            if let scalar = Unicode.Scalar(value) { table[scalar] = "" }
        }
        for (offset, value) in (0x0660...0x0669).enumerated() {
            if let scalar = Unicode.Scalar(value) { table[scalar] = String(offset) }
        }
        for (offset, value) in (0x06F0...0x06F9).enumerated() {
            if let scalar = Unicode.Scalar(value) { table[scalar] = String(offset) }
        }
        table["\u{200C}"] = ""
        // Hebrew: points and cantillation marks dropped (U+0591–U+05C7, but the maqaf, a
        // hyphen, still parts words), geresh and gershayim dropped ("צה״ל" is one word),
        // final letters as their plain forms (an ending cut from "תשלומים" leaves "תשלומ",
        // as "תשלום" reads).
        for value in 0x0591...0x05C7 where value != 0x05BE && value != 0x05C0 && value != 0x05C3 && value != 0x05C6 {
            if let scalar = Unicode.Scalar(value) { table[scalar] = "" }
        }
        table["\u{05F3}"] = ""; table["\u{05F4}"] = ""
        for (final, plain) in [("ך", "כ"), ("ם", "מ"), ("ן", "נ"), ("ף", "פ"), ("ץ", "צ")] {
            table[final.unicodeScalars.first!] = plain
        }
        return table
    }()

    /// A crude English stem, enough to match "prices", "price" and "pricing", or
    /// "opening" and "open": a plural or verb ending is removed, then a final "e".
    static func stem(_ word: String) -> String {
        word.utf8.allSatisfy { $0 < 0x80 } ? String(decoding: asciiStem(Array(word.utf8)), as: UTF8.self) : unicodeStem(word)
    }

    static func unicodeStem(_ word: String) -> String {
        var base = word
        if word.hasSuffix("ies"), word.count > 4 {
            return String(word.dropLast(3)) + "y"
        } else if word.hasSuffix("sses") || word.hasSuffix("xes") || word.hasSuffix("ches") || word.hasSuffix("shes") {
            base = String(word.dropLast(2))
        } else if let suffix = ["ing", "ed", "ly"].first(where: { word.hasSuffix($0) && word.count - $0.count >= 3 }) {
            base = String(word.dropLast(suffix.count))
        } else if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), word.count > 3 {
            base = String(word.dropLast())
        }
        if base.hasSuffix("e"), base.count > 3 { base.removeLast() }
        return base
    }

    /// `stem` of an ASCII word, on its bytes (a character each).
    static func asciiStem(_ word: [UInt8]) -> [UInt8] {
        func ends(_ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard word.count >= count else { return false }
            return suffix.withUTF8Buffer { word[(word.count - count)...].elementsEqual($0) }
        }
        var base = word[...]
        if ends("ies"), word.count > 4 {
            return Array(word.dropLast(3)) + [UInt8(ascii: "y")]
        } else if ends("sses") || ends("xes") || ends("ches") || ends("shes") {
            base = word.dropLast(2)
        } else if ends("ing"), word.count - 3 >= 3 {
            base = word.dropLast(3)
        } else if ends("ed"), word.count - 2 >= 3 {
            base = word.dropLast(2)
        } else if ends("ly"), word.count - 2 >= 3 {
            base = word.dropLast(2)
        } else if ends("s"), !ends("ss"), !ends("us"), word.count > 3 {
            base = word.dropLast()
        }
        if base.last == UInt8(ascii: "e"), base.count > 3 { base.removeLast() }
        return Array(base)
    }
}

/// A normalised word prepared for comparison: its scalars and its stem, computed once
/// (intent examples are prepared when a bot is loaded, not for every message).
struct Word: Sendable, Equatable {
    let text: String
    let scalars: [Unicode.Scalar]
    let stem: [Unicode.Scalar]
    /// Which characters the word and its stem hold, a bit each (modulo 64).
    let letters: UInt64
    let stemLetters: UInt64

    init(_ text: String, language: BotLanguage = .english) {
        self.text = text
        if let endings = language.endings {
            scalars = Array(text.unicodeScalars)
            stem = endings.stem(scalars)
        } else if text.utf8.allSatisfy({ $0 < 0x80 }) {
            let bytes = Array(text.utf8)
            scalars = bytes.map { Unicode.Scalar($0) }
            stem = Normalizer.asciiStem(bytes).map { Unicode.Scalar($0) }
        } else {
            scalars = Array(text.unicodeScalars)
            stem = Array(Normalizer.stem(text).unicodeScalars)
        }
        letters = Self.letters(of: scalars)
        stemLetters = Self.letters(of: stem)
    }

    private static func letters(of scalars: [Unicode.Scalar]) -> UInt64 {
        scalars.reduce(0) { $0 | (1 << UInt64($1.value % 64)) }
    }

    static func == (a: Word, b: Word) -> Bool { a.scalars == b.scalars }
}

/// Edit distances for typo tolerance.
enum Fuzzy {
    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions), on
    /// Unicode scalars.
    static func distance(_ a: String, _ b: String) -> Int {
        distance(Array(a.unicodeScalars), Array(b.unicodeScalars))
    }

    /// - Parameter limit: once every alignment costs more than this, stop and return a
    ///   value above it (the exact distance does not matter then).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int = .max) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        // Three rows in one buffer: the row before last, the last, the current.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * width) { rows in
            var previous2 = 0, previous = width, current = 2 * width
            for j in 0..<width { rows[previous2 + j] = 0; rows[previous + j] = j }
            for i in 1...a.count {
                rows[current] = i
                var rowMinimum = i
                for j in 1...b.count {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var value = min(rows[previous + j] + 1, rows[current + j - 1] + 1, rows[previous + j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        value = min(value, rows[previous2 + j - 2] + 1)
                    }
                    rows[current + j] = value
                    rowMinimum = min(rowMinimum, value)
                }
                // A transposition reaches back two rows: stop only when both are over.
                if rowMinimum > limit, i > 1, (0..<width).allSatisfy({ rows[previous + $0] > limit }) { return limit + 1 }
                (previous2, previous, current) = (previous, current, previous2)
            }
            return rows[previous + b.count]
        }
    }

    /// How alike two normalised words are, from 0 to 1: 1 when equal, 0.9 for the same
    /// stem, 0.8 for one typo in a word of 4+ letters, 0.7 for two in a word of 8+.
    static func similarity(_ a: String, _ b: String) -> Double {
        similarity(Word(a), Word(b))
    }

    static func similarity(_ a: Word, _ b: Word) -> Double {
        if a.scalars == b.scalars { return 1 }
        if a.stem == b.stem { return 0.9 }
        let shorter = min(a.scalars.count, b.scalars.count)
        guard shorter >= 4, abs(a.scalars.count - b.scalars.count) <= 2 else { return 0 }
        // An edit changes at most two of the letter bits (a substitution), so words two
        // edits apart differ in at most four: most pairs are told apart without a distance.
        let wordsClose = (a.letters ^ b.letters).nonzeroBitCount <= 4
        let stemsClose = (a.stemLetters ^ b.stemLetters).nonzeroBitCount <= 4
        guard wordsClose || stemsClose else { return 0 }
        let d = min(wordsClose ? distance(a.scalars, b.scalars, limit: 2) : 3, stemsClose ? distance(a.stem, b.stem, limit: 2) : 3)
        if d <= 1 { return 0.8 }
        if d <= 2 && shorter >= 8 { return 0.7 }
        return 0
    }
}
