import Yams

/// A problem in a bot document, located for the person fixing it.
public struct BotIssue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where in the document: `flows.contact[1].type`; empty for the whole document.
    public var path: String
    /// 1-based line and column, when known.
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(path: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        let place = [line.map { "line \($0)" }, path.isEmpty ? nil : path].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}

/// A bot document that cannot be used, with every problem found.
public struct BotDocumentError: Error, Sendable, CustomStringConvertible {
    public var issues: [BotIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Parses and checks bot documents (YAML, or JSON, which is read as YAML).
public enum BotDocument {
    /// The largest bot document accepted, in bytes.
    public static let maxSize = 512 * 1024

    /// Parses `source` and checks it; throws `BotDocumentError` listing every problem.
    /// `strict` (saving, checking) adds the checks that came after documents were stored
    /// without them (`BotValidator.strict`): a stored bot that fails only those still runs.
    public static func parse(_ source: String, strict: Bool = true) throws(BotDocumentError) -> BotDefinition {
        // A byte-order mark some editors write first is no part of the YAML.
        let source = source.hasPrefix("\u{FEFF}") ? String(source.dropFirst()) : source
        guard source.utf8.count <= maxSize else {
            throw BotDocumentError(issues: [BotIssue(path: "", message: "the document is larger than \(maxSize / 1024) KiB")])
        }
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: source) else {
                throw BotDocumentError(issues: [BotIssue(path: "", line: 1, message: "the document is empty")])
            }
            node = composed
        } catch let error as BotDocumentError {
            throw error
        } catch {
            var issue = syntaxIssue(error, source: source)
            // A tab where the indentation is: YAML indents with spaces only, which its own
            // message ("found character that cannot start any token") does not say.
            if let line = issue.line, line >= 1, let text = source.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first,
               text.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                issue.message += " (the line is indented with a tab: YAML indents with spaces only)"
            }
            throw BotDocumentError(issues: [issue])
        }
        let definition: BotDefinition
        // Unknown fields and values are noted and decoding goes on, so that the validator's
        // problems come in the same round (one mistake at a time was the editor's lot).
        let problems = DecodingProblems()
        do {
            definition = try YAMLDecoder().decode(BotDefinition.self, from: node, userInfo: [DecodingProblems.key: problems])
        } catch let error as DecodingError {
            throw BotDocumentError(issues: ordered(problems.found.map { located($0, in: node) } + [decodingIssue(error, in: node)]))
        } catch {
            throw BotDocumentError(issues: [BotIssue(path: "", message: "\(error)")])
        }
        // What the validator finds wrong with a part that holds an unknown field is most
        // likely that field's doing (`anwser:` leaves the intent without an answer): the
        // unknown field alone is said.
        let unknownHolders = problems.withUnknownFields
        let meaning = BotValidator(definition: definition, strict: strict).issues().filter { !unknownHolders.contains($0.path) }
        let issues = ordered((problems.found + meaning).map { located($0, in: node) })
        guard issues.isEmpty else { throw BotDocumentError(issues: issues) }
        return definition
    }

    /// The issue with the line and column of its path.
    private static func located(_ issue: BotIssue, in node: Node) -> BotIssue {
        var issue = issue
        if issue.line == nil, let mark = node.mark(at: issue.path) {
            issue.line = mark.line
            issue.column = mark.column
        }
        return issue
    }

    private static func ordered(_ issues: [BotIssue]) -> [BotIssue] {
        issues
        // In the order of the document, as the editor shows them (line 75's came first).
        .enumerated().sorted { a, b in
            (a.element.line ?? 0, a.element.column ?? 0, a.offset) < (b.element.line ?? 0, b.element.column ?? 0, b.offset)
        }.map(\.element)
    }

    private static func syntaxIssue(_ error: any Error, source: String) -> BotIssue {
        // The lines the document has: a problem found past them (at the end of the stream)
        // is told where what was left open began, or on the last line.
        let lines = max(1, source.split(separator: "\n", omittingEmptySubsequences: false).count - (source.hasSuffix("\n") ? 1 : 0))
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            // What was open when it went wrong ("while scanning a quoted scalar", and where
            // it began): an unclosed quote or bracket is found only at the end of the file,
            // so the issue points at where it was opened.
            guard let context else {
                return mark.line > lines ? BotIssue(path: "", line: lines, message: "syntax error: \(problem)")
                    : BotIssue(path: "", line: mark.line, column: mark.column, message: "syntax error: \(problem)")
            }
            let at = problem.contains("end of stream") || mark.line > lines ? context.mark : mark
            guard at.line <= lines else { return BotIssue(path: "", line: lines, message: "syntax error: \(problem) \(context.text)") }
            return BotIssue(path: "", line: at.line, column: at.column,
                            message: "syntax error: \(problem) \(context.text) that begins at line \(context.mark.line), column \(context.mark.column)")
        case .reader(let problem, let offset?, _, let yaml) where offset <= yaml.utf8.count:
            // A character YAML does not read (a NUL, another control character): where it is.
            let before = yaml.utf8.prefix(offset)
            let lineStart = before.lastIndex(of: 10).map { before.index(after: $0) } ?? before.startIndex
            return BotIssue(path: "", line: before.count(where: { $0 == 10 }) + 1,
                            column: String(decoding: before[lineStart...], as: UTF8.self).unicodeScalars.count + 1,
                            message: "syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return BotIssue(path: "", line: context.mark.line, column: context.mark.column,
                            message: "a key is written twice: \(duplicates.joined(separator: ", "))")
        default:
            return BotIssue(path: "", message: "syntax error: \(error)")
        }
    }

    private static func decodingIssue(_ error: DecodingError, in node: Node) -> BotIssue {
        let (context, message): (DecodingError.Context, String) = switch error {
        case .keyNotFound(let key, let context):
            (context, "the required field \"\(key.stringValue)\" is missing")
        case .typeMismatch(let type, let context):
            (context, "expected \(describe(type)) here")
        case .valueNotFound(let type, let context):
            (context, "expected \(describe(type)) here, found nothing")
        case .dataCorrupted(let context):
            (context, context.debugDescription)
        @unknown default:
            (DecodingError.Context(codingPath: [], debugDescription: ""), "\(error)")
        }
        let path = pathString(context.codingPath)
        let mark = node.mark(at: path) ?? node.mark(at: pathString(context.codingPath.dropLast()))
        return BotIssue(path: path, line: mark?.line, column: mark?.column, message: message)
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a text"
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            // The YAML library's own names (Node.Scalar, Node.Mapping) are not the reader's.
            switch String(describing: type) {
            case let name where name.contains("Mapping") || name.hasPrefix("Dictionary<"): "fields (name: value)"
            case let name where name.contains("Sequence") || name.hasPrefix("Array<"): "a list"
            case let name where name.contains("Scalar"): "a single value (a text or a number), not a list or fields"
            default: type is any Collection.Type ? "a list" : "fields (name: value)"
            }
        }
    }

    static func pathString(_ codingPath: some Collection<any CodingKey>) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

extension Node {
    /// The position of the node at `path` (`flows.contact[1].type`), or of the deepest
    /// node on the way that exists.
    func mark(at path: String) -> Mark? {
        var node = self
        var best = self.mark
        for component in BotPath.components(path) {
            let next: Node?
            switch component {
            case .key(let key): next = node.mapping.flatMap { mapping in
                mapping.first { $0.key.string == key }.map { $0.value }
            }
            case .index(let index): next = node.sequence.flatMap { $0.indices.contains(index) ? $0[index] : nil }
            }
            guard let next else { break }
            node = next
            best = next.mark ?? best
        }
        return best
    }
}

/// Reads paths of the form `flows.contact[1].type`.
enum BotPath {
    enum Component: Equatable { case key(String), index(Int) }

    static func components(_ path: String) -> [Component] {
        var result: [Component] = []
        var current = ""
        var inIndex = false
        for character in path {
            switch character {
            case "." where !inIndex:
                if !current.isEmpty { result.append(.key(current)) }
                current = ""
            case "[":
                if !current.isEmpty { result.append(.key(current)) }
                current = ""
                inIndex = true
            case "]":
                if let index = Int(current) { result.append(.index(index)) }
                current = ""
                inIndex = false
            default:
                current.append(character)
            }
        }
        if !current.isEmpty { result.append(.key(current)) }
        return result
    }
}
