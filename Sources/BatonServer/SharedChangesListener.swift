import BatonCore
import Logging
import ServiceLifecycle

/// Hands what other Baton processes on the same database commit to this one's chat
/// service (PostgreSQL), listening again after a lost connection.
struct SharedChangesListener: Service {
    let shared: any SharedChanges
    let chat: ChatService
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await shared.listen { change in await chat.applyShared(change) }
                } catch {
                    if Task.isCancelled { return }
                    // Widgets open here miss what comes meanwhile until they reconnect.
                    logger.warning("Listening to other Baton processes failed; trying again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
