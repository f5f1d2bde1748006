import Synchronization

/// Group commit: concurrent callers' writes are applied together, in one transaction and
/// one disk sync, instead of one sync each. There is no background task: the first
/// caller to arrive while nobody is writing becomes the *leader* and writes everything
/// queued; when its own work is done it hands leadership to the next queued caller, so
/// no caller waits longer than the batches ahead of it.
final class GroupCommit<Work: Sendable, Output: Sendable>: Sendable {
    typealias Execute = @Sendable ([Work]) async -> [Result<Output, any Error>]

    private struct Job: Sendable {
        let work: Work
        let ticket: Ticket
    }

    private struct State {
        var pending: [Job] = []
        var leading = false
    }

    private let state = Mutex(State())
    private let execute: Execute
    private let maxBatch: Int

    /// - Parameter execute: applies a batch; returns one result per work item, in order.
    init(maxBatch: Int = 256, execute: @escaping Execute) {
        self.maxBatch = maxBatch
        self.execute = execute
    }

    func submit(_ work: Work) async throws -> Output {
        let ticket = Ticket()
        let lead = state.withLock { state -> Bool in
            state.pending.append(Job(work: work, ticket: ticket))
            if state.leading { return false }
            state.leading = true
            return true
        }
        if lead { await leadUntilDone(ticket) }
        while true {
            switch await ticket.next() {
            case .done(let result): return try result.get()
            case .lead: await leadUntilDone(ticket)
            }
        }
    }

    /// Writes batches until the batch holding `ticket` is written, then passes the lead on.
    private func leadUntilDone(_ ticket: Ticket) async {
        while true {
            let batch = state.withLock { state -> [Job] in
                let count = min(maxBatch, state.pending.count)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                if batch.isEmpty { state.leading = false }
                return batch
            }
            if batch.isEmpty { return }
            let results = await execute(batch.map(\.work))
            var mine = false
            for (index, job) in batch.enumerated() {
                let result = index < results.count ? results[index] : .failure(GroupCommitError.missingResult)
                job.ticket.signal(.done(result))
                mine = mine || job.ticket === ticket
            }
            if mine {
                let next = state.withLock { state -> Ticket? in
                    guard let first = state.pending.first else {
                        state.leading = false
                        return nil
                    }
                    return first.ticket
                }
                next?.signal(.lead)
                return
            }
        }
    }

    enum Signal: Sendable {
        case done(Result<Output, any Error>)
        case lead
    }

    /// A caller's mailbox: signals arrive in order, `next` waits for one.
    final class Ticket: Sendable {
        private struct Box {
            var signals: [Signal] = []
            var waiter: CheckedContinuation<Signal, Never>?
        }
        private let box = Mutex(Box())

        func signal(_ signal: Signal) {
            let waiter = box.withLock { box -> CheckedContinuation<Signal, Never>? in
                if let waiter = box.waiter {
                    box.waiter = nil
                    return waiter
                }
                box.signals.append(signal)
                return nil
            }
            waiter?.resume(returning: signal)
        }

        func next() async -> Signal {
            if let signal = box.withLock({ $0.signals.isEmpty ? nil : $0.signals.removeFirst() }) { return signal }
            return await withCheckedContinuation { continuation in
                let ready = box.withLock { box -> Signal? in
                    if !box.signals.isEmpty { return box.signals.removeFirst() }
                    box.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

enum GroupCommitError: Error {
    case missingResult
}
