import Foundation
import OpenAPIContract
import Testing

/// The checker on the file operations: forms are checked by their fields, not as JSON, and
/// a file's bytes are excused only by the deviation.
@Suite struct FileContractTests {
    static let answer = #"{"file_infos":[{"id":"f1","user_id":"u1","channel_id":"c1","name":"a.txt","size":1}],"client_ids":[]}"#

    func upload(_ form: TestForm, contentType: String?? = .none, status: Int = 201, response: String = answer) -> HTTPExchange {
        HTTPExchange(method: "POST", path: "/api/v4/files", requestBody: form.body,
                     requestContentType: contentType ?? form.contentType, status: status,
                     responseContentType: "application/json", responseBody: Data(response.utf8))
    }

    @Test func formFieldsAreCheckedAgainstTheSchema() throws {
        let contract = try OpenAPIContract.mattermost
        let good = TestForm().field("channel_id", "c1").field("client_ids", "x").file("a.txt", [0, 255, 13, 10])
        #expect(contract.violations(of: upload(good)) == [])
        // Without a recorded content type the boundary is taken from the body.
        #expect(contract.violations(of: upload(good, contentType: .some(nil))) == [])
        #expect(contract.violations(of: upload(TestForm().field("channel_id", "c1").field("note", "x")))
            == ["POST /api/v4/files request: form field note is not documented (documented: channel_id, client_ids, files)"])
        #expect(contract.violations(of: upload(TestForm().field("files", "not a file").file("x.txt", [1], name: "channel_id")))
            == ["POST /api/v4/files request: form field files: expected a file, got a value",
                "POST /api/v4/files request: form field channel_id: expected a value, got a file"])
        #expect(contract.violations(of: upload(TestForm().part(disposition: "form-data", [1])))
            == ["POST /api/v4/files request: a form part has no name"])
        var cut = upload(good)
        cut.requestBody = cut.requestBody.dropLast(8)
        #expect(contract.violations(of: cut) == ["POST /api/v4/files request: the multipart/form-data body is malformed"])
        // A raw body is the reference's second form: not parsed at all.
        let raw = HTTPExchange(method: "POST", path: "/api/v4/files?channel_id=c1&filename=a.bin", requestBody: Data([0, 1, 2]),
                               requestContentType: "application/octet-stream", status: 201,
                               responseContentType: "application/json", responseBody: Data(Self.answer.utf8))
        #expect(contract.violations(of: raw) == [])
    }

    @Test func aFilesBytesAndANullClientIDsNeedTheirDeviations() throws {
        let contract = try OpenAPIContract.mattermost
        let strict = try OpenAPIContract(contentsOf: OpenAPIContract.mattermostDocumentPath, deviations: [])
        let download = HTTPExchange(method: "GET", path: "/api/v4/files/f1", status: 200, responseContentType: "image/png",
                                    responseBody: Data([137, 80, 78, 71, 0, 255]))
        #expect(contract.violations(of: download) == [])
        #expect(strict.violations(of: download).first?.hasPrefix("GET /api/v4/files/f1 → 200: status not documented") == true)
        // Only the download itself: its details are JSON.
        let info = HTTPExchange(method: "GET", path: "/api/v4/files/f1/info", status: 200, responseContentType: "application/json",
                                responseBody: Data(#"{"id":"f1","size":"1"}"#.utf8))
        #expect(contract.violations(of: info) == ["GET /api/v4/files/f1/info → 200: $.size: expected integer, got string"])
        let nullIDs = upload(TestForm().field("channel_id", "c1").file("a.txt", [1]),
                             response: #"{"file_infos":[{"id":"f1"}],"client_ids":null}"#)
        #expect(contract.violations(of: nullIDs) == [])
        #expect(strict.violations(of: nullIDs) == ["POST /api/v4/files → 201: $.client_ids: expected array, got null"])
        let wrongIDs = upload(TestForm().field("channel_id", "c1").file("a.txt", [1]),
                              response: #"{"file_infos":[{"id":"f1"}],"client_ids":"c"}"#)
        #expect(contract.violations(of: wrongIDs) == ["POST /api/v4/files → 201: $.client_ids: expected array, got string"])
    }

    @Test func aServerCheckingRequestsReadsFormsByTheirFields() throws {
        let contract = try OpenAPIContract.mattermost
        let form = TestForm().field("channel_id", "c1").file("a.txt", [1])
        #expect(contract.check(method: "POST", path: "/api/v4/files", query: nil, body: form.body, contentType: form.contentType)
            == .accepted(operationID: "UploadFile", parameters: [:]))
        let wrong = TestForm().field("comment", "x")
        #expect(contract.check(method: "POST", path: "/api/v4/files", query: nil, body: wrong.body, contentType: wrong.contentType)
            == .invalid(["form field comment is not documented (documented: channel_id, client_ids, files)"]))
        #expect(contract.check(method: "POST", path: "/api/v4/files", query: "channel_id=c1&filename=a", body: Data([1, 2]),
                               contentType: "application/octet-stream") == .accepted(operationID: "UploadFile", parameters: [:]))
    }
}
