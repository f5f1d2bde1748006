import Foundation

extension MattermostSandbox {
    /// One REST request the sandbox answered and its response, as recorded (the event
    /// socket is not recorded). Convert it to `OpenAPIContract.HTTPExchange` to check it.
    public struct Exchange: Sendable, Hashable {
        public var method: String
        /// Path without the query string.
        public var path: String
        /// Raw query string, without `?`.
        public var query: String?
        /// Request headers, names lowercased; repeated headers joined with ", ".
        public var requestHeaders: [String: String]
        public var requestBody: Data
        public var status: Int
        public var responseContentType: String?
        public var responseBody: Data

        /// The response body as text (for messages in failed expectations).
        public var responseText: String { String(decoding: responseBody, as: UTF8.self) }
    }
}
