/// The `pattern` a text answer must match, whole (an order number such as `PC-[0-9]{6}`).
///
/// A small regular-expression language, matched in time proportional to the answer's
/// length times the pattern's (a Thompson automaton, no backtracking), both bounded
/// (`maxAnswer`, `maxProgram`, `maxClassItems`, `maxWork`): a pattern written by mistake as
/// `(a+)+b` cannot stall the server on a visitor's answer, as it would in a backtracking
/// engine. Characters are what the eye sees (a letter with its marks, composed: "é" typed
/// either way is one); a range takes characters of one code point, by code point. It has characters, `.`, classes (`[A-Z0-9_]`, `[^ ]`), `\d` (a
/// digit of any script), `\w` (a letter, digit or `_`), `\s` (white space), groups with
/// alternatives (`(EU|US)-\d+`), the quantifiers `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (up to
/// 100), and `(?i)` first for ignoring case. `^` first and `$` last are allowed and change
/// nothing: the whole answer must match. No back-references or look-arounds.
struct AnswerPattern: Sendable, Hashable {
    let source: String
    private let program: [Instruction]
    private let ignoringCase: Bool

    /// Why a pattern cannot be used, said for its author.
    struct Problem: Error, Hashable {
        let reason: String
    }

    static let maxRepetition = 100
    /// The automaton's states at most: matching costs up to the answer's characters times
    /// this (a few tens of milliseconds for the longest answer taken).
    static let maxProgram = 500
    /// The longest answer a pattern is matched against: a longer one matches no pattern.
    static let maxAnswer = 500
    /// The characters and ranges of all its classes, counted out: a class is looked
    /// through at every character of the answer.
    static let maxClassItems = 1_000
    /// Nodes the compiler may visit: a repeated group that adds no step (`(){100}`) is
    /// visited as often as one that does.
    static let maxWork = 4 * maxProgram

    init(_ source: String) throws(Problem) {
        self.source = source
        // Composed as the answer is (`matches`): "é" written either way is one character.
        var text = Substring(source.precomposedStringWithCanonicalMapping)
        ignoringCase = text.hasPrefix("(?i)")
        if ignoringCase { text = text.dropFirst(4) }
        if text.hasPrefix("^") { text = text.dropFirst() }
        // A `$` last is the end, unless an odd number of `\` makes it the sign (`\$`, not `\\$`).
        if text.hasSuffix("$"), text.dropLast().reversed().prefix(while: { $0 == "\\" }).count % 2 == 0 { text = text.dropLast() }
        guard !text.isEmpty else { throw Problem(reason: "the pattern matches nothing but an empty answer, which is never taken") }
        // With case ignored, the pattern's characters are in lower case, as the answer is.
        var parser = Parser(characters: Array(text), lowerCase: ignoringCase)
        let node = try parser.parseAlternation()
        if parser.index < parser.characters.count {
            // Only an unopened `)` stops the parser early.
            throw Problem(reason: "a \")\" closes no group")
        }
        var compiler = Compiler()
        try compiler.emit(node)
        guard compiler.classItems <= Self.maxClassItems else {
            throw Problem(reason: "the pattern is too large once its repetitions are counted out (its classes hold over \(Self.maxClassItems) characters and ranges in all); make its {n,m} or its [ ] smaller")
        }
        compiler.program.append(.match)
        program = compiler.program
    }

    /// Whether `answer`, whole, matches.
    func matches(_ answer: String) -> Bool {
        let answer = answer.precomposedStringWithCanonicalMapping
        guard answer.count <= Self.maxAnswer else { return false }
        let characters = ignoringCase ? Array(answer.lowercased()) : Array(answer)
        // With case ignored, a range is also tried with the upper case ("[A-Z]" takes "a").
        let upper = ignoringCase ? characters.map(CharacterSet.upperCase(of:)) : []
        var current = StateSet(size: program.count)
        add(0, to: &current)
        for (position, character) in characters.enumerated() {
            var next = StateSet(size: program.count)
            for state in current.members {
                if case .character(let set) = program[state], set.contains(character, upper: ignoringCase ? upper[position] : nil) {
                    add(state + 1, to: &next)
                }
            }
            if next.members.isEmpty { return false }
            current = next
        }
        return current.members.contains { if case .match = program[$0] { true } else { false } }
    }

    /// Adds `state` and every state reached from it without reading a character.
    private func add(_ state: Int, to set: inout StateSet) {
        var stack = [state]
        while let state = stack.popLast() {
            guard set.insert(state) else { continue }
            switch program[state] {
            case .jump(let target): stack.append(target)
            case .split(let first, let second): stack.append(second); stack.append(first)
            case .character, .match: break
            }
        }
    }

    static func == (a: AnswerPattern, b: AnswerPattern) -> Bool { a.source == b.source }
    func hash(into hasher: inout Hasher) { hasher.combine(source) }

    // MARK: Parsing

    private indirect enum Node {
        case character(CharacterSet)
        case sequence([Node])
        case alternatives([Node])
        case repeated(Node, min: Int, max: Int?)
    }

    /// What one position of the answer may be.
    struct CharacterSet: Sendable {
        enum Item: Sendable {
            case character(Character)
            case range(Character, Character)
            case digit, word, space, any
        }

        var items: [Item]
        var negated = false

        /// `upper`: with case ignored, the upper case of `character` (which is in lower case
        /// then, as the pattern's characters are), when that is one character: "ß" in upper
        /// case is "SS", which matches no range.
        func contains(_ character: Character, upper: Character?) -> Bool {
            items.contains { item in
                switch item {
                case .character(let c): c == character
                case .range(let low, let high): Self.within(low, high, character) || upper.map { Self.within(low, high, $0) } == true
                case .digit: character.unicodeScalars.count == 1 && character.unicodeScalars.first?.properties.numericType == .decimal
                case .word: character.isLetter || character.isNumber || character == "_"
                case .space: character.isWhitespace
                case .any: true
                }
            } != negated
        }

        /// The upper case of a character when it is one character.
        static func upperCase(of character: Character) -> Character? {
            let upper = character.uppercased()
            return upper.count == 1 ? upper.first : nil
        }

        /// Whether a character of one code point is in a range, by code point: a digit
        /// with a mark or a joiner after it ("1" and U+200D) is not a digit of `[0-9]`
        /// (compared as text, it sorted between "0" and "9").
        static func within(_ low: Character, _ high: Character, _ character: Character) -> Bool {
            guard character.unicodeScalars.count == 1, let value = character.unicodeScalars.first?.value,
                  let from = low.unicodeScalars.first?.value, let to = high.unicodeScalars.first?.value else { return false }
            return from <= value && value <= to
        }
    }

    private struct Parser {
        let characters: [Character]
        /// Characters are kept in lower case (case ignored), ranges as written.
        let lowerCase: Bool
        var index = 0

        func literal(_ c: Character) -> Character {
            guard lowerCase else { return c }
            let lower = c.lowercased()
            return lower.count == 1 ? lower.first ?? c : c
        }

        var atEnd: Bool { index >= characters.count }
        var peek: Character? { atEnd ? nil : characters[index] }

        mutating func parseAlternation() throws(Problem) -> Node {
            var branches = [try parseSequence()]
            while peek == "|" {
                index += 1
                branches.append(try parseSequence())
            }
            return branches.count == 1 ? branches[0] : .alternatives(branches)
        }

        mutating func parseSequence() throws(Problem) -> Node {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                var atom = try parseAtom()
                while let q = peek, "*+?{".contains(q) {
                    let (min, max) = try parseQuantifier()
                    if case .repeated = atom {
                        throw Problem(reason: q == "?" || q == "+"
                            ? "lazy and possessive quantifiers (\"*?\", \"*+\") are not supported: the whole answer must match either way"
                            : "two quantifiers in a row (such as \"a**\"); put the first in a group")
                    }
                    atom = .repeated(atom, min: min, max: max)
                }
                items.append(atom)
            }
            return .sequence(items)
        }

        mutating func parseAtom() throws(Problem) -> Node {
            let c = characters[index]
            index += 1
            switch c {
            case "(":
                if peek == "?" {
                    // `(?:` is a plain group; other `(?` forms are not supported.
                    guard index + 1 < characters.count, characters[index + 1] == ":" else {
                        throw Problem(reason: "\"(?\" is supported only as \"(?i)\" at the start, or \"(?:\"")
                    }
                    index += 2
                }
                let inner = try parseAlternation()
                guard peek == ")" else { throw Problem(reason: "a \"(\" is not closed") }
                index += 1
                return inner
            case ".": return .character(.init(items: [.any]))
            case "[": return .character(try parseClass())
            case "\\": return .character(try parseEscape(inClass: false))
            case "*", "+", "?", "{": throw Problem(reason: "\"\(c)\" repeats nothing: escape it as \"\\\(c)\" for the character")
            case "^", "$": throw Problem(reason: "\"\(c)\" is allowed only at the start (^) or the end ($): the whole answer must match anyway")
            case "]", "}": throw Problem(reason: "\"\(c)\" closes nothing: escape it as \"\\\(c)\" for the character")
            default: return .character(.init(items: [.character(literal(c))]))
            }
        }

        mutating func parseEscape(inClass: Bool) throws(Problem) -> CharacterSet {
            guard let c = peek else { throw Problem(reason: "the pattern ends with a \"\\\"") }
            index += 1
            switch c {
            case "d": return .init(items: [.digit])
            case "w": return .init(items: [.word])
            case "s": return .init(items: [.space])
            case "D": return .init(items: [.digit], negated: true)
            case "W": return .init(items: [.word], negated: true)
            case "S": return .init(items: [.space], negated: true)
            default:
                guard !c.isLetter && !c.isNumber else {
                    throw Problem(reason: "\"\\\(c)\" is not supported (only \\d, \\w, \\s and their capitals, and \\ before a sign)")
                }
                return .init(items: [.character(literal(c))])
            }
        }

        mutating func parseClass() throws(Problem) -> CharacterSet {
            var set = CharacterSet(items: [])
            if peek == "^" { set.negated = true; index += 1 }
            var first = true
            while true {
                guard let c = peek else { throw Problem(reason: "a \"[\" is not closed") }
                if c == "]" && !first { index += 1; break }
                first = false
                index += 1
                var low = c
                if c == "\\" {
                    let escaped = try parseEscape(inClass: true)
                    if escaped.negated { throw Problem(reason: "\\D, \\W and \\S do not go inside [ ]") }
                    guard case .character(let single)? = escaped.items.first else {
                        set.items += escaped.items  // \d, \w, \s
                        continue
                    }
                    low = single
                }
                if peek == "-", index + 1 < characters.count, characters[index + 1] != "]" {
                    index += 1
                    var high = characters[index]
                    index += 1
                    if high == "\\" {
                        guard case .character(let single)? = try parseEscape(inClass: true).items.first else {
                            throw Problem(reason: "a range in [ ] ends with a character, not a class")
                        }
                        high = single
                    }
                    guard low.unicodeScalars.count == 1, high.unicodeScalars.count == 1,
                          let from = low.unicodeScalars.first?.value, let to = high.unicodeScalars.first?.value else {
                        throw Problem(reason: "the range \(low)-\(high) in [ ] has an end of more than one character (a letter with a mark after it)")
                    }
                    guard from <= to else { throw Problem(reason: "the range \(low)-\(high) in [ ] goes backwards") }
                    set.items.append(.range(low, high))
                } else {
                    set.items.append(.character(literal(low)))
                }
            }
            return set
        }

        mutating func parseQuantifier() throws(Problem) -> (Int, Int?) {
            let c = characters[index]
            index += 1
            switch c {
            case "*": return (0, nil)
            case "+": return (1, nil)
            case "?": return (0, 1)
            default:
                var text = ""
                while let d = peek, d != "}" { text.append(d); index += 1 }
                guard peek == "}" else { throw Problem(reason: "a \"{\" is not closed") }
                index += 1
                let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
                // Digits only: Int("-1") would read a count below zero.
                guard parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
                    throw Problem(reason: "{\(text)} takes counts written in digits, such as {6} or {2,4}")
                }
                guard let min = Int(parts[0]) else { throw Problem(reason: "{\(text)} needs a number first, such as {6} or {2,4}") }
                let max: Int? = parts.count == 1 ? min : parts[1].isEmpty ? nil : Int(parts[1])
                if parts.count == 2, !parts[1].isEmpty, max == nil {
                    throw Problem(reason: "{\(text)} needs numbers, such as {2,4}")
                }
                guard min <= (max ?? min), (max ?? min) <= AnswerPattern.maxRepetition else {
                    throw Problem(reason: "{\(text)} must count up, to \(AnswerPattern.maxRepetition) at most")
                }
                return (min, max)
            }
        }
    }

    // MARK: Compiling

    private enum Instruction: Sendable {
        case character(CharacterSet)
        case split(Int, Int)
        case jump(Int)
        case match
    }

    private struct Compiler {
        var program: [Instruction] = []
        /// The characters and ranges of the classes emitted (`maxClassItems`).
        var classItems = 0
        /// Nodes visited (`maxWork`).
        var work = 0

        mutating func emit(_ node: Node) throws(Problem) {
            work += 1
            guard program.count < AnswerPattern.maxProgram, work <= AnswerPattern.maxWork, classItems <= AnswerPattern.maxClassItems else {
                throw Problem(reason: "the pattern is too large once its repetitions are counted out (over \(AnswerPattern.maxProgram) steps); make its {n,m} smaller")
            }
            switch node {
            case .character(let set):
                program.append(.character(set))
                classItems += max(1, set.items.count)
            case .sequence(let nodes):
                for node in nodes { try emit(node) }
            case .alternatives(let branches):
                // split L1, L2; L1: a; jump end; L2: split … ; last: z
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for jump in jumps { program[jump] = .jump(program.count) }
            case .repeated(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Each optional copy may be skipped, to the end of them all.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(.split(program.count + 1, 0))
                        try emit(inner)
                    }
                    for split in splits { program[split] = .split(split + 1, program.count) }
                } else {
                    // L: split body, end; body; jump L
                    let loop = program.count
                    program.append(.split(loop + 1, 0))
                    try emit(inner)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}

/// The states of the automaton at one position, in the order they were reached.
private struct StateSet {
    var members: [Int] = []
    var present: [Bool]

    init(size: Int) { present = Array(repeating: false, count: size) }

    /// Whether `state` was new.
    mutating func insert(_ state: Int) -> Bool {
        guard !present[state] else { return false }
        present[state] = true
        members.append(state)
        return true
    }
}
