import Foundation
import MattermostSandbox
import OpenAPIContract
import Testing

/// The shapes of `POST /files` the real server takes, read as Go's multipart reader reads
/// them, and what the contract checker says of each.
@Suite struct FileFormTests {
    @Test func aRawBodyIsOneFileNamedInTheQuery() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let path = "/api/v4/files?channel_id=\(s.townSquare)&filename=raw.json"
            let bare = try await alice.send(.POST, path, body: Data("{}".utf8), contentType: "application/octet-stream")
            #expect(bare.status == 201)
            #expect(bare.firstFile["mime_type"] as? String == "application/json")
            // Without client_id the real server answers null; the contract excuses it.
            #expect(bare.object["client_ids"] is NSNull)
            let tagged = try await alice.send(.POST, path + "&client_id=c1", body: Data("{}".utf8), contentType: "application/json")
            #expect(tagged["client_ids"] as? [String] == ["c1"])
            let unnamed = try await alice.send(.POST, "/api/v4/files?channel_id=\(s.townSquare)", body: Data("x".utf8),
                                               contentType: "text/plain")
            #expect(unnamed.status == 400 && unnamed.errorID == "api.context.invalid_url_param.app_error")
            try expectConformingExchanges(s.sandbox)
            let strict = try OpenAPIContract(contentsOf: OpenAPIContract.mattermostDocumentPath, deviations: [])
            #expect(strict.violations(of: s.sandbox.exchanges.map(\.contractExchange))
                == ["POST /api/v4/files → 201: $.client_ids: expected array, got null"])
        }
    }

    @Test func formsAreReadInEitherOrderWithClientIDsAndEscapedNames() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            // A file before channel_id: the legacy mode; the path in a name is dropped.
            let legacy = try await alice.upload(TestForm().file("dir/sub/late.txt", [1]).field("channel_id", s.townSquare))
            #expect(legacy.status == 201)
            #expect(legacy.firstFile["name"] as? String == "late.txt")
            let two = try await alice.upload(TestForm().field("client_ids", "first").field("client_ids", "second")
                .field("channel_id", s.townSquare).file("one.txt", [1]).file("two.txt", [2]))
            #expect(two["client_ids"] as? [String] == ["first", "second"])
            #expect((two["file_infos"] as? [[String: Any]])?.map { $0["name"] as? String } == ["one.txt", "two.txt"])
            // The channel in the query streams the form from the first file.
            let queried = try await alice.upload(TestForm().file("q.txt", [1]), query: "?channel_id=\(s.townSquare)")
            #expect(queried.status == 201)
            // Names: percent escapes stay (Go does not decode them), a backslash escapes a
            // quote, and filename* (RFC 2231) wins over filename.
            let names = try await alice.upload(TestForm().field("channel_id", s.townSquare)
                .file("say %22hi%22 ✓.txt", [1])
                .part(disposition: #"form-data; name="files"; filename="a\"b.txt""#, [2])
                .part(disposition: #"form-data; name="files"; filename="resume.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"#, [3]))
            let infos = names["file_infos"] as? [[String: Any]] ?? []
            #expect(infos.map { $0["name"] as? String } == ["say %22hi%22 ✓.txt", "a\"b.txt", "résumé.txt"])
            let first = try #require(infos.first?["id"] as? String)
            let download = try await alice.get("/api/v4/files/\(first)")
            #expect(download.headers.first(name: "Content-Disposition")
                == "attachment;filename=\"say%20%2522hi%2522%20%E2%9C%93.txt\"; filename*=UTF-8''say%20%2522hi%2522%20%E2%9C%93.txt")
            // Neither channel_id nor a file: nothing is uploaded, and it is still a 201.
            let nothing = try await alice.upload(TestForm())
            #expect(nothing.status == 201 && (nothing["file_infos"] as? [Any])?.isEmpty == true, "\(nothing)")
            try expectConformingExchanges(s.sandbox)
        }
    }

    @Test func bodiesCutAnywhereAreRefusedWithoutCrashing() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let form = TestForm().field("channel_id", s.townSquare).file("a.txt", Array("content".utf8))
            let whole = [UInt8](form.body)
            // The final CRLF may be missing, as Go's reader allows; anything shorter is cut.
            for length in [1, 2, 3, 10, whole.count / 2, whole.count - 4, whole.count - 3] {
                let cut = try await alice.send(.POST, "/api/v4/files", body: Data(whole.prefix(length)), contentType: form.contentType)
                #expect(cut.errorID == "api.file.upload_file.read_request.app_error", "cut at \(length): \(cut)")
            }
            for junk in ["x", "--", "--\(form.boundary)\r\n", "--\(form.boundary)\r\n\r\n", "--\(form.boundary)x\r\n"] {
                let answer = try await alice.send(.POST, "/api/v4/files", body: Data(junk.utf8), contentType: form.contentType)
                #expect(answer.status == 400, "\(junk.debugDescription): \(answer)")
            }
            #expect(try await alice.send(.POST, "/api/v4/files", body: Data(whole.dropLast(2)), contentType: form.contentType).status == 201)
        }
    }

    @Test func malformedFormsAreRefusedAndTheCheckerNamesWrongFields() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let channel = s.townSquare
            let unknown = try await alice.upload(TestForm().field("channel_id", channel).field("comment", "hi").file("a.txt", [1]))
            #expect(unknown.status == 400 && unknown.string("message") == "Invalid comment parameter.", "\(unknown)")
            let conflicting = try await alice.upload(TestForm().field("channel_id", channel).field("channel_id", s.team.id))
            #expect(conflicting.errorID == "api.file.upload_file.multiple_channel_ids.app_error")
            let counted = try await alice.upload(TestForm().field("channel_id", channel).field("client_ids", "only-one")
                .file("a.txt", [1]).file("b.txt", [2]))
            #expect(counted.status == 400 && counted.errorID == "api.context.invalid_param.app_error", "\(counted)")
            let fewer = try await alice.upload(TestForm().field("client_ids", "x").field("client_ids", "y").field("channel_id", channel).file("a.txt", [1]))
            #expect(fewer.errorID == "api.file.upload_file.incorrect_number_of_client_ids.app_error", "\(fewer)")
            let form = TestForm().field("channel_id", channel).file("a.txt", [1])
            let noBoundary = try await alice.send(.POST, "/api/v4/files", body: form.body, contentType: "multipart/form-data")
            #expect(noBoundary.errorID == "api.file.upload_file.read_request.app_error")
            let cut = try await alice.send(.POST, "/api/v4/files", body: form.body.dropLast(30), contentType: form.contentType)
            #expect(cut.status == 400 && cut.errorID == "api.file.upload_file.read_request.app_error", "\(cut)")
            let violations = try OpenAPIContract.mattermost.violations(of: s.sandbox.exchanges.map(\.contractExchange))
            #expect(violations == [
                "POST /api/v4/files request: form field comment is not documented (documented: channel_id, client_ids, files)",
                "POST /api/v4/files request: the multipart/form-data body is malformed",
            ])
        }
    }
}
