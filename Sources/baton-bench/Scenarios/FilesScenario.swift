import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// (f) Large files while others chat: the bot scenario's load and, meanwhile, handed-over
/// visitors each uploading a file (`POST /widget/v1/files`) and sending it in a message,
/// which the link relays to the room as a Mattermost upload. The phase's latency is the
/// bot's answers to the others (compare the `bot` phase, the same load without files); the
/// files' own times are reported beside it.
struct FileLoad: Sendable {
    var size: Int
    /// Files a second, over the whole window.
    var rate: Double
    var duration: Duration

    var count: Int { max(1, Int((rate * duration.seconds).rounded())) }
    /// A visitor may upload five files of the largest size at once, then one a minute
    /// (docs/widget-protocol.md): each sender sends at most five.
    var senders: Int { (count + Self.filesPerSender - 1) / Self.filesPerSender }
    static let filesPerSender = 5
}

/// What the files of a phase did.
struct FileRecord: Codable, Sendable {
    var size: Int
    var planned: Int
    var senders: Int
    /// Uploads answered 201.
    var uploaded: Int
    /// Files that reached their room as a post with the file.
    var relayed: Int
    /// From the upload's request to its answer.
    var upload: LatencySummary?
    /// From sending the message with the file to the stand-in creating its post.
    var relay: LatencySummary?
    var failures: [String: Int]
}

/// The files of a phase: when each was sent and when its post reached the stand-in.
final class FileTimes: Sendable {
    private struct State {
        var sent: [Int: ContinuousClock.Instant] = [:]
        var arrived: Set<Int> = []
        var uploaded = 0
        var readySenders = 0
        var failures: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let uploadTimes = LatencyRecorder()
    private let relayTimes = LatencyRecorder()

    func uploaded(took: Duration) {
        uploadTimes.record(took)
        state.withLock { $0.uploaded += 1 }
    }

    func sent(_ id: Int, at time: ContinuousClock.Instant) { state.withLock { $0.sent[id] = time } }

    /// A sender is prepared (or gave up preparing).
    func senderSettled() { state.withLock { $0.readySenders += 1 } }
    var settledSenders: Int { state.withLock { $0.readySenders } }

    func failed(_ what: String) { state.withLock { $0.failures[what, default: 0] += 1 } }

    /// A post carrying file `id` was created at `time` (called by `PostWatch`).
    func arrived(_ id: Int, at time: ContinuousClock.Instant) {
        let sentAt: ContinuousClock.Instant? = state.withLock { state in
            guard let sentAt = state.sent[id], state.arrived.insert(id).inserted else { return nil }
            return sentAt
        }
        if let sentAt { relayTimes.record(sentAt.duration(to: time)) }
    }

    /// Files sent whose post has not arrived.
    var pending: Int { state.withLock { $0.sent.count - $0.arrived.count } }

    func record(_ load: FileLoad) -> FileRecord {
        state.withLock { state in
            FileRecord(size: load.size, planned: load.count, senders: load.senders, uploaded: state.uploaded,
                       relayed: state.arrived.count, upload: uploadTimes.summary, relay: relayTimes.summary,
                       failures: state.failures)
        }
    }
}

/// Runs the bot phase `plan` while `load`'s files are sent by handed-over visitors
/// (connections after the bot's), at even intervals over the window from its start.
func runFilesPhase(_ plan: PhasePlan, _ load: FileLoad, connector: VisitorConnector, agentSide: AgentSide,
                   server: ProcessGauge) async -> PhaseOutcome {
    let times = FileTimes()
    let windowStart = Gate<ContinuousClock.Instant>()
    let done = Gate<Bool>()
    let content = ByteBuffer(repeating: UInt8(ascii: "x"), count: load.size)
    return await withTaskGroup(of: Void.self) { group in
        for sender in 0..<load.senders {
            let index = plan.connections + sender
            group.addTask {
                let file = FileSender(number: sender, http: connector.http(index: index), load: load, content: content, times: times)
                do {
                    try await connector.run(index: index) { visitor in
                        let ticket = try await file.prepare(visitor, agentSide: agentSide)
                        times.senderSettled()
                        guard let start = await windowStart.wait() else { return }
                        await file.send(from: visitor, ticket: ticket, start: start)
                        _ = await done.wait()
                    }
                } catch {
                    times.failed("sender: \(error)")
                    times.senderSettled()
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while times.settledSenders < load.senders, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        agentSide.watch.setFileTimes(times)
        var outcome = await runPhase(plan, script: BotVisitor(), connector: connector, server: server,
                                     windowOpens: { start in windowStart.open(start) })
        // The last files may still be on their way to the room.
        let relayEnd = ContinuousClock.now + .seconds(30)
        while times.pending > 0, ContinuousClock.now < relayEnd {
            try? await Task.sleep(for: .milliseconds(20))
        }
        done.open(true)
        await group.waitForAll()
        agentSide.watch.setFileTimes(nil)
        outcome.files = times.record(load)
        return outcome
    }
}

/// One handed-over visitor sending its share of the files: file `id` is the file's number
/// in the phase; sender `number` of `n` sends files number, number + n, number + 2n, …
private struct FileSender: Sendable {
    let number: Int
    let http: String
    let load: FileLoad
    let content: ByteBuffer
    let times: FileTimes

    /// Prepares `visitor` (a handover, its room announced); returns its upload ticket.
    func prepare(_ visitor: VisitorSocket, agentSide: AgentSide) async throws -> String {
        let welcome = try await visitor.welcome()
        guard let ticket = welcome.ticket, let conversation = welcome.conversation else {
            throw VisitorError(description: "the welcome had no upload ticket: are files enabled?")
        }
        _ = try await handOver(visitor)
        guard await agentSide.watch.announcement(of: conversation).wait(timeout: .seconds(60)) != nil else {
            throw VisitorError(description: "no room announced within 60 s after the handover")
        }
        return ticket
    }

    /// Sends this sender's files, each at its time from `start`.
    func send(from visitor: VisitorSocket, ticket: String, start: ContinuousClock.Instant) async {
        let interval = Duration.seconds(1 / load.rate)
        for id in stride(from: number, to: load.count, by: load.senders) {
            try? await Task.sleep(until: start + interval * id)
            do {
                let file = try await upload(id, ticket: ticket)
                times.sent(id, at: .now)
                try await visitor.send(#"{"type":"message","clientId":"f\#(id)","text":"\#(ProbeToken.text(id, "file"))","files":["\#(file)"]}"#)
                try await visitor.waitFor("the ack of file \(id)") { $0.type == "ack" && $0.clientID == "f\(id)" }
            } catch {
                times.failed("\(error)")
            }
        }
    }

    /// Uploads file `id`; returns the id Baton gave it.
    private func upload(_ id: Int, ticket: String) async throws -> String {
        var request = HTTPClientRequest(url: "\(http)/widget/v1/files?name=bench-\(id).bin")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(ticket)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(content)
        let began = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 16)
        let took = began.duration(to: .now)
        guard response.status == .created,
              let answer = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let file = answer["id"] as? String else {
            throw VisitorError(description: "upload answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
        times.uploaded(took: took)
        return file
    }
}
