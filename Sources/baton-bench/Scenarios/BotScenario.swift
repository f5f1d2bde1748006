import Synchronization

/// (b) Visitors chatting with the bot: each message is a question the demo bot answers
/// with one message. Latency: from sending the `message` to receiving the bot's reply.
struct BotVisitor: VisitorScript {
    static let question = "how much does it cost"

    /// Probes of one connection awaiting the bot's reply, oldest first: Baton answers a
    /// visitor's messages one at a time, in order, so a reply answers the oldest.
    final class AwaitingReply: Sendable {
        private let ids = Mutex<[Int]>([])

        func append(_ id: Int) { ids.withLock { $0.append(id) } }
        func removeFirst() -> Int? { ids.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
        func remove(_ id: Int) { ids.withLock { $0.removeAll { $0 == id } } }
    }

    func prepare(_ visitor: VisitorSocket) async throws -> AwaitingReply {
        _ = try await visitor.hello()
        return AwaitingReply()
    }

    func send(_ id: Int, from visitor: VisitorSocket, _ awaiting: AwaitingReply) {
        awaiting.append(id)
        visitor.postMessage(Self.question, clientID: "c\(id)")
    }

    func received(_ frame: ServerFrame, at time: ContinuousClock.Instant, _ awaiting: AwaitingReply, probes: ProbeTable) {
        switch frame.type {
        case "ack":
            if let id = frame.probeID { probes.acknowledged(id, at: time) }
        case "message" where frame.message?.role == "bot":
            if let id = awaiting.removeFirst() { probes.completed(id, at: time) }
        case "error":
            refused(frame, awaiting, probes)
        default:
            break
        }
    }

    private func refused(_ frame: ServerFrame, _ awaiting: AwaitingReply, _ probes: ProbeTable) {
        guard let id = frame.probeID else {
            probes.errors.frame(frame.code ?? "unknown")
            return
        }
        awaiting.remove(id)
        probes.failed(id, code: frame.code ?? "unknown")
    }
}
