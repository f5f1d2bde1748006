import BatonCore
import BatonMattermost
import BatonStore
import BatonTestSupport
import Foundation
import MattermostSandbox
import Synchronization
import Testing

/// Files both ways: what a visitor sends reaches the room as Mattermost files, before and
/// after the handover; what an agent attaches reaches the widget, stored by Baton.
@Suite(.serialized) struct FileRelayTests {
    static let pdf: [UInt8] = (0..<5000).map { UInt8($0 % 256) }
    /// Longer than two of the store's parts (256 KiB): read back part by part both ways.
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<(2 * 262_144 + 300)).map { UInt8($0 % 251) }

    /// Where the chat happens, and the posts of Baton's and of everybody in it.
    struct Place {
        let rig: HandoverRig
        let channelID: String
        let rootID: String?
        func posts(by user: String? = nil) -> [MattermostSandbox.Post] {
            let userID = user.flatMap { rig.sandbox.user(named: $0)?.id }
            return rig.sandbox.posts(in: channelID).filter {
                !$0.isSystemPost && (userID == nil || $0.userID == userID) && (rootID == nil || $0.rootID == rootID)
            }
        }
    }

    static let cases: [(TestDatabase, MattermostSettings.RoomKind)] =
        TestDatabase.available.map { ($0, .channel) } + [(.sqlite, .thread)]

    @Test(arguments: cases) func filesGoBothWays(_ database: TestDatabase, _ rooms: MattermostSettings.RoomKind) async throws {
        try await database.withLocation { location in try await HandoverRig.run(database: location) { rig in
            try await rig.connect(rooms: rooms)
            let sandbox = rig.sandbox
            let files = FileTransfer(base: rig.baton.http)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                // Before the handover the visitor sends the bot a PDF; the bot says nothing to it.
                let welcome = try await client.hello()
                let conversation = (welcome["conversation"] as? [String: Any])?["id"] as? String ?? ""
                let ticket = try #require(welcome.uploadTicket)
                let early = try await files.upload(Self.pdf, name: "plan.pdf", type: "application/pdf", ticket: ticket)
                try await client.send(["type": "message", "clientId": "f0", "files": [try #require(early.json["id"] as? String)]])
                _ = try await client.expect("ack")
                _ = try await client.say("qwerty uiop", clientID: "u1")
                try await client.message(containing: "Sorry, I didn't get that")
                _ = try await client.say("zxcv bnm", clientID: "u2")
                try await client.message(containing: "What's your name?")
                _ = try await client.say("Grace", clientID: "u3")
                try await client.message(containing: "email address")
                _ = try await client.say("grace@example.com", clientID: "u4")
                try await client.message(containing: "What is it about?")
                _ = try await client.say("Sales", clientID: "u5")
                try await client.message(containing: "handing you over to a person")

                let place: Place
                if rooms == .thread {
                    let root = try await rig.waitForThread(conversation)
                    place = Place(rig: rig, channelID: root.channelID, rootID: root.id)
                } else {
                    place = Place(rig: rig, channelID: try await rig.waitForRoom(conversation).id, rootID: nil)
                }
                // The transcript names the file, and the file itself follows it.
                try await eventually("the files sent before the handover") {
                    place.posts(by: "relay").contains { $0.message.contains("sent these files before the handover") }
                }
                let relay = place.posts(by: "relay")
                #expect(relay.contains { $0.message.contains(":paperclip: plan.pdf (5 KB)") })
                let before = try #require(relay.first { $0.message.contains("before the handover") })
                let sentEarly = sandbox.files(ofPost: before.id)
                #expect(sentEarly.map(\.name) == ["plan.pdf"])
                #expect(sandbox.fileContents(id: sentEarly[0].id) == Self.pdf)

                // After the handover: a picture with a caption is one post with its file.
                let photo = try await files.upload(Self.png, name: "screen shot.png", type: "image/png", ticket: ticket)
                try await client.send(["type": "message", "clientId": "f1", "text": "here it is @all",
                                       "files": [try #require(photo.json["id"] as? String)]])
                _ = try await client.expect("ack")
                try await eventually("the picture in the room") { place.posts(by: "relay").contains { $0.message.contains("here it is") } }
                let captioned = try #require(place.posts(by: "relay").first { $0.message.contains("here it is") })
                #expect(captioned.message.hasPrefix("**Grace:** here it is @\u{200B}all"))
                let attached = sandbox.files(ofPost: captioned.id)
                #expect(attached.map(\.name) == ["screen shot.png"])
                #expect(sandbox.fileContents(id: attached[0].id) == Self.png)
                // Text after it still goes out (and in order).
                _ = try await client.say("and one more thing", clientID: "f2")
                try await eventually("the line after it") { rig.relayed(in: place.channelID).contains("and one more thing") }

                // An agent answers with a file: the widget gets it, from Baton.
                let reply = Array("Your invoice\n".utf8) + Self.pdf
                let upload = try sandbox.upload(as: "alice", in: place.channelID, name: "invoice.txt", data: reply)
                try sandbox.post(as: "alice", in: place.channelID, "See the attached invoice.", rootID: place.rootID, files: [upload.id])
                let got = try await client.message(containing: "See the attached invoice")
                let file = try #require(got.messageFiles.first)
                #expect(file["name"] as? String == "invoice.txt")
                #expect(file["size"] as? Int == reply.count)
                let fetched = try await files.fetch(files.url(of: file))
                #expect(fetched.status == 200)
                #expect(fetched.body == reply)
                #expect(fetched.header("content-disposition")?.hasPrefix("attachment;") == true)

                // A file alone, then deleted: the visitor sees it go, and it is gone from Baton.
                let shot = try sandbox.upload(as: "alice", in: place.channelID, name: "map.png", data: Self.png)
                let alone = try sandbox.post(as: "alice", in: place.channelID, "", rootID: place.rootID, files: [shot.id])
                let pictured = try await client.until("the picture") { !$0.messageFiles.isEmpty && $0.messageText == "" }.last!
                let picture = try #require(pictured.messageFiles.first)
                #expect(picture["type"] as? String == "image/png")
                #expect(try await files.fetch(files.url(of: picture)).body == Self.png)
                try sandbox.deletePost(alone.id, by: "alice")
                let removal = try await client.until("the deletion") { ($0.message["replaces"] as? NSNumber)?.int64Value == pictured.messageID }.last!
                #expect(removal.messageText == "" && removal.messageFiles.isEmpty)
                let pictureURL = files.url(of: picture)
                // (A download under way when the file goes is cut short: the file is sent part by part.)
                try await eventually("the deleted file gone") { (try? await files.fetch(pictureURL))?.status == 404 }

                // An internal note with a file stays in Mattermost.
                let secret = try sandbox.upload(as: "bob", in: place.channelID, name: "notes.txt", data: Array("internal".utf8))
                try sandbox.post(as: "bob", in: place.channelID, "// for us only", rootID: place.rootID, files: [secret.id])
                try sandbox.post(as: "bob", in: place.channelID, "Bob here.", rootID: place.rootID)
                let frames = try await client.until("Bob's message") { $0.messageText == "Bob here." }
                #expect(!frames.contains { $0.messageFiles.contains { $0["name"] as? String == "notes.txt" } })
                #expect(!frames.contains { $0.raw.contains("for us only") }, "\(frames)")
            }
            #expect(try rig.contractViolations() == [])
        } }
    }

    @Test func anAgentsFileOverTheLimitStaysInMattermostAndTheAgentsAreTold() async throws {
        try await HandoverRig.run(baton: { $0.chat.maxFileBytes = 1000 }) { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let conversation = try await talkUntilHandover(client)
                let room = try await rig.waitForRoom(conversation)
                let big = try sandbox.upload(as: "alice", in: room.id, name: "big.zip", data: Array(repeating: 1, count: 2000))
                let small = try sandbox.upload(as: "alice", in: room.id, name: "small.txt", data: Array("ok".utf8))
                try sandbox.post(as: "alice", in: room.id, "Two files", files: [big.id, small.id])
                let got = try await client.message(containing: "Two files")
                #expect(got.messageFiles.map { $0["name"] as? String } == ["small.txt"])
                try await eventually("the notice in the room") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("Not sent to the visitor: big.zip. Files over 1 KB are not passed on.") }
                }
                // A post of only files too large: nothing reaches the visitor but the notice is made.
                let huge = try sandbox.upload(as: "alice", in: room.id, name: "huge.iso", data: Array(repeating: 2, count: 3000))
                try sandbox.post(as: "alice", in: room.id, "", files: [huge.id])
                try sandbox.post(as: "alice", in: room.id, "After the big one")
                let frames = try await client.until("the next message") { $0.messageText == "After the big one" }
                #expect(!frames.contains { $0.type == "message" && $0.messageText == "" })
                try await eventually("the second notice") {
                    rig.messages(in: room.id, by: "relay").contains { $0.contains("huge.iso") }
                }
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// Connects Baton and hands a visitor over to a channel room; `body` gets the visitor's
    /// widget client, a file transfer, the upload ticket last given, and the room.
    static func handedOver(_ rig: HandoverRig,
                           _ body: @escaping @Sendable (WidgetClient, FileTransfer, _ ticket: String?, _ room: MattermostSandbox.Channel) async throws -> Void) async throws {
        try await rig.connect()
        let files = FileTransfer(base: rig.baton.http)
        try await WidgetClient.connect(rig.baton.socketURL) { client in
            let tickets = Collected<String>()
            let conversation = try await talkUntilHandover(client) { if let ticket = $0.uploadTicket { tickets.append(ticket) } }
            try await body(client, files, tickets.last, try await rig.waitForRoom(conversation))
        }
    }

    @Test func aFileMattermostRefusesGoesAsANoteAndHoldsNothingUp() async throws {
        var configuration = MattermostSandbox.Configuration()
        configuration.maxFileSize = 1000
        try await HandoverRig.run(configuration: configuration) { rig in
            try await Self.handedOver(rig) { client, files, ticket, room in
                let big = try await files.upload(Array(repeating: 9, count: 5000), name: "big.log", type: "text/plain", ticket: ticket)
                try await client.send(["type": "message", "clientId": "big", "text": "the log", "files": [try #require(big.json["id"] as? String)]])
                _ = try await client.expect("ack")
                _ = try await client.say("and after it", clientID: "after")
                try await eventually("the message after the refused file") { rig.relayed(in: room.id).contains("and after it") }
                let note = try #require(rig.sandbox.posts(in: room.id).first { $0.message.contains("the log") })
                #expect(note.message == "**Grace:** the log\n:warning: Mattermost refused to take big.log from the visitor; the dashboard's transcript of this chat has it.")
                #expect(rig.sandbox.files(ofPost: note.id).isEmpty)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// The files' bytes are read, uploaded, downloaded and stored on the link's file
    /// executor, not on the event loop its drains and listener run on.
    @Test func filesAreHandledOffTheEventLoops() async throws {
        let fileWork = CountingExecutor()
        try await HandoverRig.run(baton: { $0.mattermostLimits.fileExecutor = fileWork }) { rig in
            try await Self.handedOver(rig) { client, files, ticket, room in
                #expect(fileWork.jobs == 0)
                let plan = try await files.upload(Self.pdf, name: "plan.pdf", type: "application/pdf", ticket: ticket)
                try await client.send(["type": "message", "clientId": "plan", "text": "the plan", "files": [try #require(plan.json["id"] as? String)]])
                _ = try await client.expect("ack")
                try await eventually("the file in the room") {
                    rig.sandbox.posts(in: room.id).contains { $0.message.contains("the plan") && !rig.sandbox.files(ofPost: $0.id).isEmpty }
                }
                let uploading = fileWork.jobs
                #expect(uploading > 0)
                let invoice = try rig.sandbox.upload(as: "alice", in: room.id, name: "invoice.txt", data: Self.pdf)
                try rig.sandbox.post(as: "alice", in: room.id, "The invoice", files: [invoice.id])
                let got = try await client.message(containing: "The invoice")
                #expect(got.messageFiles.map { $0["name"] as? String } == ["invoice.txt"])
                #expect(fileWork.jobs > uploading)
            }
            #expect(try rig.contractViolations() == [])
        }
    }

    /// A visitor's file goes again with the transcript when the room is made anew: the one
    /// uploaded to the old room's channel would be dropped from the new room's post.
    @Test func aRoomMadeAgainGetsTheFilesAnew() async throws {
        try await HandoverRig.run { rig in
            try await rig.connect()
            let sandbox = rig.sandbox
            let files = FileTransfer(base: rig.baton.http)
            try await WidgetClient.connect(rig.baton.socketURL) { client in
                let ticket = Mutex<String?>(nil)
                let conversation = try await talkUntilHandover(client) { welcome in ticket.withLock { $0 = welcome.uploadTicket } }
                let old = try await rig.waitForRoom(conversation)
                let plan = try await files.upload(Self.pdf, name: "plan.pdf", type: "application/pdf", ticket: try #require(ticket.withLock { $0 }))
                try await client.send(["type": "message", "clientId": "f1", "text": "the plan", "files": [try #require(plan.json["id"] as? String)]])
                _ = try await client.expect("ack")
                try await eventually("the file in the room") { rig.relayed(in: old.id).contains("the plan") }
                try sandbox.deletePermanently(old.id)
                _ = try await client.say("hello again", clientID: "f2")
                try await eventually("a new room with the transcript so far") {
                    guard let room = rig.room(for: conversation), room.id != old.id else { return false }
                    return rig.messages(in: room.id, by: "relay").joined().contains("hello again")
                }
                let new = try #require(rig.room(for: conversation))
                // The transcript's files follow it, and the next message follows them.
                _ = try await client.say("one more", clientID: "f3")
                try await eventually("the next message") { rig.relayed(in: new.id).contains("one more") }
                let attached = sandbox.posts(in: new.id).flatMap { sandbox.files(ofPost: $0.id) }
                #expect(attached.map(\.name) == ["plan.pdf"])
                #expect(attached.first.flatMap { sandbox.fileContents(id: $0.id) } == Self.pdf, "the file's bytes")
                #expect(attached.first?.channelID == new.id)
            }
        }
    }
}

/// A task executor that counts the jobs it runs (on a Dispatch queue, never an event loop).
final class CountingExecutor: TaskExecutor {
    private let count = Atomic(0)
    private let queue = DispatchQueue(label: "baton.tests.counting-executor", attributes: .concurrent)

    var jobs: Int { count.load(ordering: .relaxed) }

    func enqueue(_ job: consuming ExecutorJob) {
        count.add(1, ordering: .relaxed)
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
