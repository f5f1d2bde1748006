@testable import BatonMattermost
import BatonCore
import Foundation
import NIOCore
import Testing

/// Files as the client reads and writes them: a post's `file_ids` and `metadata.files`,
/// a `FileInfo`, the upload answer, and the form an upload sends.
@Suite struct FileModelTests {
    @Test func aPostReadsItsFileIDsAndFiles() throws {
        let post = try MMPost(json: #"{"id":"p1","message":"hi","file_ids":["f1","f2"],"metadata":{"embeds":[{"type":"image"}],"files":[{"id":"f1","user_id":"u1","post_id":"p1","channel_id":"c1","create_at":1,"update_at":1,"delete_at":0,"name":"a \"b\".png","extension":"png","size":12345678901,"mime_type":"image/png","width":10,"height":20,"has_preview_image":true,"mini_preview":null,"remote_id":"","archived":false}]}}"#)
        #expect(post.fileIDs == ["f1", "f2"])
        #expect(post.files == [MMFileInfo(id: "f1", userID: "u1", postID: "p1", channelID: "c1", name: #"a "b".png"#, ext: "png",
                                          size: 12_345_678_901, mimeType: "image/png")])
    }

    @Test func missingNullOrOddFilesReadAsNoneAndNeverFailThePost() throws {
        for text in [#"{"id":"p"}"#, #"{"id":"p","file_ids":null,"metadata":null}"#, #"{"id":"p","file_ids":[],"metadata":{}}"#,
                     #"{"id":"p","metadata":{"files":null}}"#, #"{"id":"p","file_ids":"f1","metadata":""}"#] {
            let post = try MMPost(json: text)
            #expect(post.fileIDs.isEmpty && post.files.isEmpty, "\(text)")
        }
        // Entries of another shape are passed over and the rest kept.
        let odd = try MMPost(json: #"{"id":"p","message":"hi","file_ids":["f1",7,null,"f2"],"metadata":{"files":[{"id":"f1","size":"big"},{"id":"f2"},3]}}"#)
        #expect(odd.message == "hi")
        #expect(odd.fileIDs == ["f1", "f2"])
        #expect(odd.files.map(\.id) == ["f2"])
        // What is not JSON is still no post.
        #expect(throws: (any Error).self) { try MMPost(json: #"{"id":"p","file_ids":[}"#) }
    }

    @Test func aFileInfoReadsMissingFieldsAsEmptyAndAnUploadAnswerItsFiles() throws {
        #expect(try MMFileInfo(json: #"{"id":"f","name":null,"size":null,"post_id":null}"#) == MMFileInfo(id: "f"))
        #expect(try MMFileInfo(json: "{}") == MMFileInfo(id: ""))
        #expect(throws: (any Error).self) { try MMFileInfo(json: #"{"id":"f","size":"1"}"#) }
        let answer = try UploadAnswer(json: #"{"file_infos":[{"id":"f1"},{"id":"f2"}],"client_ids":null}"#)
        #expect(answer.fileInfos.map(\.id) == ["f1", "f2"])
        #expect(try UploadAnswer(json: #"{"file_infos":null,"client_ids":[]}"#).fileInfos.isEmpty)
    }

    @Test func aFormIsWrittenAsMattermostReadsIt() {
        #expect(MultipartForm.escape("a\"b\r\nc ✓\\") == "a\\\"b%0D%0Ac ✓\\\\")
        var form = MultipartForm()
        form.field("channel_id", "c1")
        form.file("files", filename: "x\".txt", contentType: "text/plain", data: [0, 13, 10, 255])
        let boundary = form.boundary
        #expect(boundary.count == 41 && boundary.hasPrefix("BatonFormBoundary"))
        #expect(MultipartForm().boundary != boundary)
        #expect(form.contentType == "multipart/form-data; boundary=\(boundary)")
        let expected = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\nc1\r\n".utf8)
            + Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x\\\".txt\"\r\n".utf8)
            + Array("Content-Type: text/plain\r\n\r\n".utf8) + [0, 13, 10, 255]
            + Array("\r\n--\(boundary)--\r\n".utf8)
        #expect(Array(form.finish().readableBytesView) == expected)
    }

    /// A relayed file's body is written part by part: the same bytes as the whole form,
    /// and never sent with more or fewer bytes than announced.
    @Test func anUploadWrittenInPartsIsTheWholeForm() throws {
        let content: [UInt8] = (0..<1000).map { UInt8($0 % 251) }
        var upload = FileUpload(channelID: "c1", name: "a.bin", contentType: "application/octet-stream", size: content.count)
        for start in stride(from: 0, to: content.count, by: 300) { upload.append(Array(content[start..<min(start + 300, content.count)])) }
        let boundary = try #require(upload.contentType.split(separator: "=").last.map(String.init))
        let expected = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\nc1\r\n".utf8)
            + Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.bin\"\r\n".utf8)
            + Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + content + Array("\r\n--\(boundary)--\r\n".utf8)
        #expect(Array(try upload.finished().readableBytesView) == expected)

        var short = FileUpload(channelID: "c1", name: "a.bin", contentType: "text/plain", size: 10)
        short.append([1, 2, 3])
        #expect(throws: IncompleteUpload.self) { try short.finished() }
    }
}
