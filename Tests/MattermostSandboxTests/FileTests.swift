import Foundation
import MattermostSandbox
import Testing

/// Files: upload, attach, read back, events, and the real server's refusals.
@Suite struct FileTests {
    let everyByte = (0...255).map(UInt8.init) + (0...255).map(UInt8.init).reversed()

    @Test func anUploadedFileIsAttachedReadBackAndCarriedByEvents() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let uploaded = try await alice.upload(TestForm().field("channel_id", s.townSquare).file("Notes.TXT", everyByte, type: "image/png"))
            #expect(uploaded.status == 201, "\(uploaded)")
            #expect(uploaded["client_ids"] as? [String] == [])
            let file = uploaded.firstFile
            let fileID = try #require(file["id"] as? String)
            #expect(fileID.count == 26)
            #expect(file["user_id"] as? String == s.alice.id)
            #expect(file["post_id"] == nil, "Go leaves an empty post_id out")
            #expect(file["channel_id"] as? String == s.townSquare)
            #expect(file["name"] as? String == "Notes.TXT")
            #expect(file["extension"] as? String == "txt")
            #expect((file["size"] as? NSNumber)?.intValue == everyByte.count)
            // The type comes from the extension; the part's declared type is not used.
            #expect(file["mime_type"] as? String == "text/plain; charset=utf-8")
            #expect((file["delete_at"] as? NSNumber)?.intValue == 0)
            #expect(file["width"] == nil && file["has_preview_image"] == nil)

            try await EventSocket.connect(s.sandbox.webSocketURL) { socket in
                _ = try await socket.authenticate(s.sandbox.sessionToken(for: "bob"))
                let created = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "see attached", "file_ids": [fileID]])
                #expect(created.status == 201, "\(created)")
                #expect(created.fileIDs == [fileID])
                let postID = try #require(created.string("id"))
                #expect(created.metadataFiles.map { $0["post_id"] as? String } == [postID])
                let posted = try decodePost(try await socket.next(event: "posted").data["post"])
                #expect(posted["file_ids"] as? [String] == [fileID])
                let postedFiles = (posted["metadata"] as? [String: Any])?["files"] as? [[String: Any]] ?? []
                #expect(postedFiles.map { $0["name"] as? String } == ["Notes.TXT"])

                #expect(try await alice.put("/api/v4/posts/\(postID)/patch", ["message": "see the attachment"]).status == 200)
                let edited = try decodePost(try await socket.next(event: "post_edited").data["post"])
                #expect(edited["file_ids"] as? [String] == [fileID])
                #expect(((edited["metadata"] as? [String: Any])?["files"] as? [[String: Any]])?.count == 1)
            }

            let bob = s.api(as: s.bob)
            let download = try await bob.get("/api/v4/files/\(fileID)")
            #expect(download.status == 200)
            #expect(Array(download.body) == everyByte)
            #expect(download.headers.first(name: "Content-Type") == "text/plain; charset=utf-8")
            #expect(download.headers.first(name: "Content-Disposition") == "attachment;filename=\"Notes.TXT\"; filename*=UTF-8''Notes.TXT")
            #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff")
            let info = try await bob.get("/api/v4/files/\(fileID)/info")
            #expect(info.status == 200)
            #expect(info.string("post_id") == s.sandbox.posts(in: s.townSquare).last?.id)
            #expect(try await bob.get("/api/v4/posts/\(info.string("post_id") ?? "")").metadataFiles.count == 1)
            try expectConformingExchanges(s.sandbox)
        }
    }

    @Test func uploadsAreRefusedAsTheRealServerRefusesThem() async throws {
        try await Seeded.run(configure: { $0.maxFileSize = 1000 }) { s in
            let secret = s.sandbox.addChannel(team: "support", name: "secret", displayName: "Secret", type: "P", creator: "alice")
            let bob = s.api(as: s.bob)
            let form = { (channel: String) in TestForm().field("channel_id", channel).file("a.txt", [1, 2, 3]) }
            #expect(try await bob.upload(form(secret.id)).status == 403)
            #expect(try await s.api(as: s.carol).upload(form(s.townSquare)).status == 403)
            #expect(try await bob.upload(form(String(repeating: "x", count: 26))).status == 403, "an unknown channel")
            #expect(try await bob.upload(form("nope")).errorID == "api.context.invalid_url_param.app_error")
            // A file before any channel_id: the legacy mode, which wants channel_id somewhere.
            let noChannel = try await bob.upload(TestForm().file("a.txt", [1]))
            #expect(noChannel.status == 400 && noChannel.errorID == "api.context.invalid_param.app_error", "\(noChannel)")
            let empty = try await bob.send(.POST, "/api/v4/files?channel_id=\(s.townSquare)&filename=a.txt", body: Data(),
                                           contentType: "application/octet-stream")
            #expect(empty.status == 400 && empty.errorID == "api.file.upload_file.read_request.app_error", "\(empty)")
            let large = try await bob.upload(form(s.townSquare).file("big.bin", [UInt8](repeating: 7, count: 1001)))
            #expect(large.status == 413 && large.errorID == "api.file.upload_file.too_large_detailed.app_error", "\(large)")
            let exact = try await bob.upload(TestForm().field("channel_id", s.townSquare).file("fits.bin", [UInt8](repeating: 7, count: 1000)))
            #expect(exact.status == 201)
            #expect(try await bob.send(.POST, "/api/v4/files?channel_id=\(s.townSquare)&filename=big.bin",
                                       body: Data(count: 1001), contentType: "application/octet-stream").status == 413)
            #expect(throws: MattermostSandbox.APIError.self) {
                try s.sandbox.upload(as: "bob", in: secret.id, name: "a.txt", data: [1])
            }
            try expectConformingExchanges(s.sandbox)
        }
    }

    @Test func filesAreReadByTheUploaderAndTheMembersOfTheirPostsChannel() async throws {
        try await Seeded.run { s in
            let secret = s.sandbox.addChannel(team: "support", name: "secret", displayName: "Secret", type: "P", creator: "alice")
            let alice = s.api(as: s.alice)
            let bob = s.api(as: s.bob)
            let relay = s.api(as: s.relay)
            let fileID = try await alice.uploadFile("plan.png", [137, 80, 78, 71], to: secret.id)
            #expect(try await alice.get("/api/v4/files/\(fileID)").status == 200)
            // Not attached yet: only its uploader reads it, not even a system admin.
            #expect(try await relay.get("/api/v4/files/\(fileID)").status == 403)
            #expect(try await bob.get("/api/v4/files/\(fileID)/info").status == 403)
            try s.sandbox.post(as: "alice", in: secret.id, "the plan", files: [fileID])
            #expect(try await relay.get("/api/v4/files/\(fileID)").status == 200)
            #expect(try await bob.get("/api/v4/files/\(fileID)").status == 403)
            #expect(try await bob.get("/api/v4/files/\(fileID)/info").errorID == "api.context.permissions.app_error")
            try s.sandbox.addToChannel("bob", channel: secret.id, by: "alice")
            let download = try await bob.get("/api/v4/files/\(fileID)")
            #expect(download.status == 200)
            // Media a browser shows are served inline.
            #expect(download.headers.first(name: "Content-Type") == "image/png")
            #expect(download.headers.first(name: "Content-Disposition") == "inline;filename=\"plan.png\"; filename*=UTF-8''plan.png")
            let forced = try await bob.get("/api/v4/files/\(fileID)?download=1")
            #expect(forced.headers.first(name: "Content-Disposition")?.hasPrefix("attachment;") == true)
            #expect(try await bob.get("/api/v4/files/\(String(repeating: "z", count: 26))").errorID == "app.file_info.get.app_error")
            #expect(try await bob.get("/api/v4/files/nope/info").status == 400)
            try expectConformingExchanges(s.sandbox)
        }
    }

    @Test func aPostDropsFilesItCannotAttachAndRefusesElevenIDs() async throws {
        try await Seeded.run { s in
            let alice = s.api(as: s.alice)
            let offTopic = try #require(s.sandbox.channel(team: "support", name: "off-topic")).id
            let mine = try await alice.uploadFile("mine.txt", [1], to: s.townSquare)
            let elsewhere = try await alice.uploadFile("elsewhere.txt", [2], to: offTopic)
            let bobs = try await s.api(as: s.bob).uploadFile("bobs.txt", [3], to: s.townSquare)
            let unknown = String(repeating: "q", count: 26)
            let created = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "files",
                                                                "file_ids": [bobs, mine, elsewhere, unknown, mine]])
            #expect(created.status == 201)
            #expect(created.fileIDs == [mine])
            #expect(s.sandbox.file(id: bobs)?.postID == "", "another user's file stays unattached")
            // An attached file cannot be attached again.
            #expect(try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "again", "file_ids": [mine]]).fileIDs == [])
            let ten = (0..<10).map { _ in unknown }
            #expect(try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "ten", "file_ids": ten]).status == 201)
            let eleven = try await alice.post("/api/v4/posts", ["channel_id": s.townSquare, "message": "eleven", "file_ids": ten + [elsewhere]])
            #expect(eleven.status == 400 && eleven.errorID == "model.post.is_valid.file_ids.app_error", "\(eleven)")
            #expect(throws: MattermostSandbox.APIError.self) {
                try s.sandbox.post(as: "alice", in: offTopic, "eleven", files: ten + [elsewhere])
            }
            #expect(s.sandbox.file(id: elsewhere)?.postID == "")
            try expectConformingExchanges(s.sandbox)
        }
    }

    @Test func deletingAPostDeletesItsFiles() async throws {
        try await Seeded.run { s in
            let file = try s.sandbox.upload(as: "alice", in: s.townSquare, name: "gone.txt", data: Array("bye".utf8))
            let post = try s.sandbox.post(as: "alice", in: s.townSquare, "with a file", files: [file.id])
            #expect(post.fileIDs == [file.id])
            #expect(s.sandbox.files(ofPost: post.id).map(\.name) == ["gone.txt"])
            #expect(s.sandbox.fileContents(id: file.id) == Array("bye".utf8))
            let bob = s.api(as: s.bob)
            #expect(try await bob.get("/api/v4/files/\(file.id)").text == "bye")
            #expect(try await s.api(as: s.alice).delete("/api/v4/posts/\(post.id)").status == 200)
            #expect(try await bob.get("/api/v4/files/\(file.id)").status == 404)
            #expect(try await s.api(as: s.alice).get("/api/v4/files/\(file.id)/info").status == 404)
            #expect(s.sandbox.file(id: file.id)?.deleteAt != 0)
            #expect(s.sandbox.files(ofPost: post.id).isEmpty)
        }
    }
}
