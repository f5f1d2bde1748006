@testable import BatonMattermost
import BatonCore
import Foundation
import Logging
import MattermostSandbox
import OpenAPIContract
import Testing

/// The client's file calls against the stand-in: upload, details, download, attaching to a
/// post, and reading the files of posts back; every exchange checked against the reference.
@Suite struct FileClientTests {
    static let everyByte = (0...255).map(UInt8.init) + (0...255).map(UInt8.init).reversed()

    func withClient(_ body: @Sendable @escaping (MattermostSandbox, MattermostClient, String) async throws -> Void) async throws {
        try await MattermostSandbox.run { sandbox in
            HandoverRig.seed(sandbox)
            let client = try MattermostClient(url: sandbox.url, credentials: HandoverRig.relayCredentials, logger: Logger(label: "test"))
            let townSquare = try #require(sandbox.channel(team: "support", name: "town-square")).id
            try await body(sandbox, client, townSquare)
            let exchanges = sandbox.exchanges.map {
                HTTPExchange(method: $0.method, path: $0.path, query: $0.query, requestBody: $0.requestBody,
                             requestContentType: $0.requestHeaders["content-type"], status: $0.status,
                             responseContentType: $0.responseContentType, responseBody: $0.responseBody)
            }
            let violations = try OpenAPIContract.mattermost.violations(of: exchanges)
            #expect(violations == [], "\(violations.joined(separator: "\n"))")
        }
    }

    @Test func aFileGoesUpIsAttachedAndComesBackByteForByte() async throws {
        try await withClient { sandbox, client, channel in
            let relay = try #require(sandbox.user(named: "relay"))
            // A quote escaped as Go reads it (browsers' "%22" stays in the name there); UTF-8 as it is.
            let uploaded = try await client.uploadFile(channelID: channel, name: "Quote \"x\" résumé ✓.txt",
                                                       contentType: "text/plain", data: Self.everyByte)
            #expect(uploaded.name == "Quote \"x\" résumé ✓.txt")
            #expect(uploaded.ext == "txt" && uploaded.size == 512 && uploaded.mimeType == "text/plain; charset=utf-8")
            #expect(uploaded.userID == relay.id && uploaded.channelID == channel && uploaded.postID == "" && uploaded.deleteAt == 0)
            #expect(sandbox.fileContents(id: uploaded.id) == Self.everyByte)
            #expect(try await client.fileInfo(id: uploaded.id) == uploaded)

            let post = try await client.createPost(channelID: channel, message: "a file", fileIDs: [uploaded.id])
            #expect(post.fileIDs == [uploaded.id])
            #expect(post.files.map(\.postID) == [post.id])
            #expect(try await client.fileInfo(id: uploaded.id).postID == post.id)
            let read = try #require(try await client.posts(channelID: channel, since: post.createAt - 1).first { $0.id == post.id })
            #expect(read.files.map(\.name) == [uploaded.name])

            let download = try await client.downloadFile(id: uploaded.id, maxBytes: 512)
            #expect(download.data == Self.everyByte)
            #expect(download.contentType == "text/plain; charset=utf-8")
            let sent = sandbox.exchanges
            #expect(sent.first { $0.path == "/api/v4/files" }?.requestHeaders["content-type"]?
                .hasPrefix("multipart/form-data; boundary=BatonFormBoundary") == true)
            #expect(sent.last { $0.path == "/api/v4/files/\(uploaded.id)" }?.requestHeaders["accept"] == "*/*")
            // No "file_ids" at all when there are none.
            _ = try await client.createPost(channelID: channel, message: "no file")
            #expect(sandbox.exchanges.last?.requestBody.range(of: Data("file_ids".utf8)) == nil)
        }
    }

    @Test func namesThatCouldBreakTheHeaderAndBinaryFilesArriveIntact() async throws {
        try await withClient { sandbox, client, channel in
            let broken = try await client.uploadFile(channelID: channel, name: "two\r\nlines\".png",
                                                     contentType: "image/png\r\nX-Evil: 1", data: Self.everyByte)
            #expect(broken.name == "two%0D%0Alines\".png")
            #expect(broken.mimeType == "image/png")
            let download = try await client.downloadFile(id: broken.id, maxBytes: 1 << 20)
            #expect(download.data == Self.everyByte && download.contentType == "image/png")
            let empty = try await client.uploadFile(channelID: channel, name: "empty", contentType: "", data: [])
            #expect(empty.size == 0 && empty.ext == "" && empty.mimeType == "")
            let nothing = try await client.downloadFile(id: empty.id, maxBytes: 0)
            #expect(nothing.data.isEmpty && nothing.contentType == "application/octet-stream")
        }
    }

    @Test func aDownloadOverTheLimitAndRefusalsAreMattermostErrors() async throws {
        try await withClient { sandbox, client, channel in
            let file = try await client.uploadFile(channelID: channel, name: "big.bin", contentType: "application/octet-stream",
                                                   data: Self.everyByte)
            await #expect(throws: MattermostError.server(status: 413, id: "baton.answer_too_large",
                                                         message: "the answer to /api/v4/files/\(file.id) is larger than the 511 bytes Baton takes")) {
                try await client.downloadFile(id: file.id, maxBytes: 511)
            }
            await #expect(throws: MattermostError.server(status: 404, id: "app.file_info.get.app_error", message: "Unable to get the file info.")) {
                try await client.fileInfo(id: String(repeating: "z", count: 26))
            }
            // An agent's file not yet attached is the agent's alone.
            let agentFile = try sandbox.upload(as: "alice", in: channel, name: "draft.txt", data: [1])
            await #expect(throws: MattermostError.forbidden("You do not have the appropriate permissions.")) {
                try await client.downloadFile(id: agentFile.id, maxBytes: 10)
            }
            let secret = sandbox.addChannel(team: "support", name: "secret", displayName: "Secret", type: "P", creator: "alice")
            let alice = try MattermostClient(url: sandbox.url, credentials: .token(sandbox.personalAccessToken(for: "alice")),
                                             logger: Logger(label: "test"))
            _ = try await alice.uploadFile(channelID: secret.id, name: "ok.txt", contentType: "text/plain", data: [1])
            let bob = try MattermostClient(url: sandbox.url, credentials: .token(sandbox.personalAccessToken(for: "bob")),
                                           logger: Logger(label: "test"))
            await #expect(throws: MattermostError.forbidden("You do not have the appropriate permissions.")) {
                try await bob.uploadFile(channelID: secret.id, name: "no.txt", contentType: "text/plain", data: [1])
            }
        }
    }

    @Test func anUploadAfterTheSessionExpiredLogsInAgain() async throws {
        try await withClient { sandbox, client, channel in
            _ = try await client.signIn()
            sandbox.expireSessions()
            let file = try await client.uploadFile(channelID: channel, name: "again.txt", contentType: "text/plain", data: [1, 2])
            #expect(file.size == 2)
            let uploads = sandbox.exchanges.filter { $0.path == "/api/v4/files" }.map(\.status)
            #expect(uploads == [401, 201])
        }
    }

    @Test func anAgentsFileIsSeenInThePostAndDownloaded() async throws {
        try await withClient { sandbox, client, channel in
            let since = Int64(Date().timeIntervalSince1970 * 1000) - 1
            let file = try sandbox.upload(as: "alice", in: channel, name: "photo.JPG", data: Self.everyByte)
            let post = try sandbox.post(as: "alice", in: channel, "here", files: [file.id])
            let read = try #require(try await client.posts(channelID: channel, since: since).first { $0.id == post.id })
            #expect(read.fileIDs == [file.id])
            let info = try #require(read.files.first)
            #expect(info.name == "photo.JPG" && info.ext == "jpg" && info.mimeType == "image/jpeg" && info.size == 512)
            let download = try await client.downloadFile(id: info.id, maxBytes: Int(info.size))
            #expect(download.data == Self.everyByte && download.contentType == "image/jpeg")
        }
    }
}
