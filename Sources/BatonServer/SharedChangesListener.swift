import BatonCore
import Logging
import ServiceLifecycle

/// Hands what other Baton processes on the same database commit to this one's chat
/// service (PostgreSQL), listening again after a lost connection.
struct SharedChangesListener: Service {
    let shared: any SharedChanges
    let chat: ChatService
    let logger: Logger

    /// How long listening again must hold before what was missed is resent.
    static let settle: Duration = .seconds(3)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // When listening was lost: what the others told meanwhile went nowhere.
            var lostSince: Millis?
            while !Task.isCancelled {
                // Once listening again has held a moment, the widgets open here get what
                // they missed (from a little before the loss: a change told just before it
                // may not have been read; and a connection that went silent is noticed
                // only at its next check).
                let before = 5_000 + Millis(shared.noticesLossWithin.components.seconds * 1_000)
                let resend = lostSince.map { since in
                    Task {
                        guard (try? await Task.sleep(for: Self.settle)) != nil else { return }
                        await chat.resendRecent(since: since - before)
                    }
                }
                let started = ContinuousClock.now
                do {
                    try await shared.listen { change in await chat.applyShared(change) }
                } catch {
                    if Task.isCancelled { resend?.cancel(); return }
                    logger.warning("Listening to other Baton processes failed; trying again", metadata: ["error": "\(error)"])
                }
                if ContinuousClock.now - started < Self.settle {
                    // Lost again at once: the resend waits for a listening that holds.
                    resend?.cancel()
                } else {
                    lostSince = nil
                }
                lostSince = lostSince ?? .now()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
