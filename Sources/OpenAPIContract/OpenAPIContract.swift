import Foundation
import Synchronization
import Yams

/// An OpenAPI 3 document used as a contract: `violations(of:)` lists every way a recorded
/// HTTP exchange departs from it, in words a reader can act on, e.g.
/// `POST /api/v4/posts → 201: $.create_at: expected integer, got string`.
///
/// Checked: the operation exists for the method and path; declared query parameters have the
/// right type; a JSON request body matches the `requestBody` schema; the status is
/// documented (429 and 500/502/503 are allowed anywhere: rate limits and outages); a JSON
/// response matches the schema for its status.
public struct OpenAPIContract: Sendable {
    let document: JSONValue
    let lookup: OperationLookup
    /// The real-server departures this contract excuses.
    public let deviations: Set<Deviation>

    /// Statuses any operation may answer with, documented or not.
    static let outageStatuses: Set<Int> = [500, 502, 503]

    /// Parses an OpenAPI document (YAML or JSON, which is YAML too).
    public init(yaml text: String, deviations: Set<Deviation> = .mattermostServer) throws {
        guard let node = try Self.parsing.withLock({ _ in try Yams.compose(yaml: text) }) else { throw ContractError.empty }
        let document = JSONValue(yaml: node)
        guard let paths = document["paths"]?.object else { throw ContractError.noPaths }
        self.document = document
        self.lookup = OperationLookup(paths: paths)
        self.deviations = deviations
    }

    /// Reads the document at `path`.
    public init(contentsOf path: String, deviations: Set<Deviation> = .mattermostServer) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try self.init(yaml: text, deviations: deviations)
    }

    /// The Mattermost API v4 reference, `../shared/mattermost-api/openapi-v4.yaml` beside the
    /// package root, with the README's deviations. Parsed once per process (the file is
    /// 860 KB) and shared.
    public static var mattermost: OpenAPIContract {
        get throws {
            try cache.withLock { cached in
                if let cached { return cached }
                let contract = try OpenAPIContract(contentsOf: mattermostDocumentPath)
                cached = contract
                return contract
            }
        }
    }

    /// Where the Mattermost reference lives, found from this source file's location.
    public static var mattermostDocumentPath: String {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // OpenAPIContract
            .deletingLastPathComponent() // Sources
            .deletingLastPathComponent() // package root
        return packageRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/mattermost-api/openapi-v4.yaml").path
    }

    private static let cache = Mutex<OpenAPIContract?>(nil)
    /// Yams resolves scalars with shared regular expressions, which crash when two
    /// documents are parsed at once on Linux: one parse at a time.
    private static let parsing = Mutex(())

    /// Every way `exchange` departs from the document; empty when it conforms.
    public func violations(of exchange: HTTPExchange) -> [String] {
        switch lookup.match(method: exchange.method, path: exchange.path) {
        case .noPath:
            return ["\(exchange.summary): no such path in the document"]
        case .methodNotDocumented(let template):
            return ["\(exchange.summary): \(template) documents no \(exchange.method) operation"]
        case .operation(let template, let operation, _):
            let check = ExchangeCheck(contract: self, exchange: exchange, template: template, operation: operation)
            return check.requestProblems() + check.responseProblems()
        }
    }

    /// Violations of many exchanges, in order.
    public func violations(of exchanges: some Sequence<HTTPExchange>) -> [String] {
        exchanges.flatMap { violations(of: $0) }
    }

    enum ContractError: Error, CustomStringConvertible {
        case empty, noPaths
        var description: String {
            switch self {
            case .empty: "the OpenAPI document is empty"
            case .noPaths: "the OpenAPI document has no paths"
            }
        }
    }
}

extension OpenAPIContract {
    /// What makes the document wrong whatever the requests: a key without a value (in a
    /// flow mapping, `{ description: Of those, handed over. }` is read as a description
    /// "Of those" and a key "handed over."), and an operation that does not say how it is
    /// authenticated (`security`, `[]` for none).
    public func documentProblems() -> [String] {
        var found: [String] = []
        func walk(_ value: JSONValue, _ path: String) {
            if let members = value.object {
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    if case .null = member { found.append("\(path)/\(key): no value") }
                    walk(member, "\(path)/\(key)")
                }
            } else if let elements = value.array {
                for (index, element) in elements.enumerated() { walk(element, "\(path)[\(index)]") }
            }
        }
        walk(document, "")
        for (path, item) in (document["paths"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (method, operation) in (item.object ?? [:]).sorted(by: { $0.key < $1.key })
            where ["get", "put", "post", "delete", "patch"].contains(method) && operation["security"] == nil {
                found.append("\(method.uppercased()) \(path): no security")
            }
        }
        return found
    }
}
