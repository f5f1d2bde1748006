import Foundation

/// One HTTP request and the response it got, as recorded on either side of the wire.
///
/// Only what the contract needs is kept: bodies as bytes (so a body that is not JSON can be
/// reported as such) and the content types (so a plain-text 429 can be told apart from a
/// JSON error, and a form's parts found).
public struct HTTPExchange: Sendable, Hashable, Codable {
    /// Upper-case HTTP method, e.g. `POST`.
    public var method: String
    /// The path without the query string, e.g. `/api/v4/channels/abc/posts`.
    public var path: String
    /// The raw query string without the `?`, or nil when there was none.
    public var query: String?
    /// The request body; empty when the request had none.
    public var requestBody: Data
    /// The request `Content-Type` header, if recorded; without it a `multipart/form-data`
    /// body is recognised by its opening delimiter.
    public var requestContentType: String?
    /// The response status code.
    public var status: Int
    /// The response `Content-Type` header, if any.
    public var responseContentType: String?
    /// The response body; empty when the response had none.
    public var responseBody: Data

    public init(method: String, path: String, query: String? = nil, requestBody: Data = Data(),
                requestContentType: String? = nil, status: Int, responseContentType: String? = nil,
                responseBody: Data = Data()) {
        self.method = method.uppercased()
        // A path that still carries its query string is split here, so callers can pass a URI.
        if let mark = path.firstIndex(of: "?") {
            self.path = String(path[..<mark])
            self.query = query ?? String(path[path.index(after: mark)...])
        } else {
            self.path = path
            self.query = query
        }
        self.requestBody = requestBody
        self.requestContentType = requestContentType
        self.status = status
        self.responseContentType = responseContentType
        self.responseBody = responseBody
    }

    /// `METHOD /path` as it appears in reports.
    public var summary: String { "\(method) \(path)" }

    /// Query parameters, percent-decoded; a name given twice keeps its first value.
    var queryItems: [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if items[name] == nil { items[name] = value }
        }
        return items
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
