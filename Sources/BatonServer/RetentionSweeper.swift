import BatonCore
import Logging
import ServiceLifecycle

/// Deletes, soon after start and then every `interval`, the conversations that have been
/// quiet for longer than the retention period and may go (closed, or never left the bot),
/// then the visitors left without any (`ChatService.sweep`). Every Baton sharing a
/// database sweeps; erasing what another already erased does nothing. With
/// `erasesMattermost`, the rooms of what goes are erased in Mattermost too.
struct RetentionSweeper: Service {
    let chat: ChatService
    let days: Int
    var erasesMattermost = false
    let interval: Duration
    let logger: Logger
    /// The time (tests move it).
    var clock: @Sendable () -> Millis = { Millis.now() }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            // A little after start, so that a restart's burst of reconnecting widgets comes first.
            try await Task.sleep(for: min(interval, .seconds(10)))
            while !Task.isCancelled {
                await sweepOnce()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One sweep; failures are logged and the next sweep tries again.
    @discardableResult
    func sweepOnce() async -> SweepResult? {
        let cutoff = clock() - Int64(days) * 86_400_000
        do {
            let result = try await chat.sweep(before: cutoff, eraseRooms: erasesMattermost)
            if result.conversations > 0 || result.visitors > 0 || result.kept > 0 {
                logger.notice("Retention: deleted what was older than \(days) day\(days == 1 ? "" : "s")", metadata: [
                    "conversations": "\(result.conversations)", "visitors": "\(result.visitors)",
                    "kept_until_their_mattermost_work_is_done": "\(result.kept)", "mattermost": "\(erasesMattermost ? "erase" : "keep")",
                ])
            }
            return result
        } catch {
            logger.error("Retention sweep failed; trying again later", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
