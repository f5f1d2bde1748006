import Foundation
import MattermostSandbox
import OpenAPIContract
import Testing

/// A `multipart/form-data` body for tests, written part by part exactly as given (names
/// are not escaped, so tests can send what a careless client would).
struct TestForm {
    let boundary = "TestFormBoundary\(UInt64.random(in: 1...UInt64.max))"
    private var parts: [(head: String, content: [UInt8])] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    func field(_ name: String, _ value: String) -> TestForm {
        var form = self
        form.parts.append(("Content-Disposition: form-data; name=\"\(name)\"", Array(value.utf8)))
        return form
    }

    func file(_ filename: String, _ content: [UInt8], name: String = "files", type: String = "application/octet-stream") -> TestForm {
        var form = self
        form.parts.append(("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)", content))
        return form
    }

    /// A part with a raw `Content-Disposition` value.
    func part(disposition: String, _ content: [UInt8]) -> TestForm {
        var form = self
        form.parts.append(("Content-Disposition: \(disposition)", content))
        return form
    }

    var body: Data {
        var bytes: [UInt8] = []
        for part in parts {
            bytes += Array("--\(boundary)\r\n\(part.head)\r\n\r\n".utf8) + part.content + Array("\r\n".utf8)
        }
        return Data(bytes + Array("--\(boundary)--\r\n".utf8))
    }
}

extension API {
    /// `POST /files` with a form; `query` starts with `?` when given.
    func upload(_ form: TestForm, query: String = "") async throws -> APIResponse {
        try await send(.POST, "/api/v4/files" + query, body: form.body, contentType: form.contentType)
    }

    /// Uploads one file into a channel and returns its id.
    func uploadFile(_ name: String, _ content: [UInt8], to channelID: String) async throws -> String {
        let answer = try await upload(TestForm().field("channel_id", channelID).file(name, content))
        #expect(answer.status == 201, "\(answer)")
        let infos = answer["file_infos"] as? [[String: Any]] ?? []
        guard let id = infos.first?["id"] as? String else { throw TestFailure("no file in \(answer)") }
        return id
    }
}

extension APIResponse {
    /// The first file of an upload answer.
    var firstFile: [String: Any] { (self["file_infos"] as? [[String: Any]])?.first ?? [:] }
    /// `file_ids` of a post.
    var fileIDs: [String] { self["file_ids"] as? [String] ?? [] }
    /// `metadata.files` of a post.
    var metadataFiles: [[String: Any]] { (self["metadata"] as? [String: Any])?["files"] as? [[String: Any]] ?? [] }
}

/// Every exchange the sandbox recorded, checked against the reference with the README's
/// deviations.
func expectConformingExchanges(_ sandbox: MattermostSandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let violations = try OpenAPIContract.mattermost.violations(of: sandbox.exchanges.map(\.contractExchange))
    #expect(violations == [], "\(violations.joined(separator: "\n"))", sourceLocation: sourceLocation)
}
