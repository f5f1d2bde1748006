import BatonCore
import Foundation
import CoreMetrics
import Logging
import ServiceLifecycle
import Synchronization

/// Emails visitors the agents' replies they missed (docs/configuration.md, "Email"): every
/// `interval` it looks at the handed-over conversations that have been quiet for `quiet`
/// since their last change, and mails each visitor with an address the replies their
/// widget did not show them, once. A failed email is tried again with growing pauses.
/// Runs where the Mattermost links run (`isLeading`), one Baton of those sharing a database.
struct ReplyMailer: Service {
    let chat: ChatService
    let mailer: any Mailer
    /// How long a conversation stays quiet before its unseen replies are mailed.
    let quiet: Duration
    var interval: Duration = .seconds(15)
    /// The pause after a first failed try; each next pause is twice as long, up to 60 times it.
    var retryPause: Duration = .seconds(60)
    /// Whether this process is the one that mails (several Batons on one database).
    var isLeading: @Sendable () -> Bool = { true }
    let metrics: ReplyMailMetrics
    let logger: Logger
    /// The time (tests move it).
    var clock: @Sendable () -> Millis = { Millis.now() }

    /// Tries of one email before it waits for the conversation's next reply.
    static let maxAttempts = 8
    /// Conversations looked at in one pass, at most.
    static let batch = 5000
    /// How far back the first pass looks: replies from before Baton started, or from
    /// before this process led, that nobody mailed.
    static let lookBack: Millis = 3_600_000

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var scannedUntil: Millis?
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                guard isLeading() else {
                    scannedUntil = nil
                    continue
                }
                scannedUntil = await pass(after: scannedUntil)
            }
        }
    }

    /// One pass: the conversations that went quiet since `after` (by default an hour before
    /// that), then the emails due again. Returns where the next pass starts.
    @discardableResult
    func pass(after: Millis?) async -> Millis {
        let now = clock()
        let until = now - Millis(quiet)
        let from = after ?? until - Self.lookBack
        do {
            let quietened = try await chat.store.unseenReplies(changedAfter: from, until: until, limit: Self.batch)
            let retries = try await chat.store.replyMailRetries(dueBy: now, limit: Self.batch)
            var done = Set<ConversationID>()
            for unseen in quietened + retries where unseen.hasNews && done.insert(unseen.conversationID).inserted {
                await mail(unseen, now: now)
            }
            return until
        } catch {
            logger.error("Looking for replies to email failed; trying again", metadata: ["error": "\(error)"])
            return from
        }
    }

    private func mail(_ unseen: UnseenReplies, now: Millis) async {
        let id = unseen.conversationID
        let composed: (mail: ReplyMail, upTo: MessageID)
        do {
            guard let found = try await chat.replyMail(for: unseen), try await chat.store.claimReplyMail(unseen, upTo: found.upTo) else { return }
            composed = found
        } catch {
            logger.error("Preparing an email of missed replies failed", metadata: ["conversation": "\(id)", "error": "\(error)"])
            return
        }
        do {
            try await mailer.send(composed.mail)
            metrics.sent.increment()
            await record("sent") { try await chat.store.recordMailSent(at: clock()) }
            logger.info("Emailed the visitor the replies they missed", metadata: ["conversation": "\(id)", "language": "\(composed.mail.language)"])
            do {
                try await chat.repliesEmailed(in: id)
            } catch {
                logger.warning("Telling the agents that the replies were emailed failed", metadata: ["conversation": "\(id)", "error": "\(error)"])
            }
        } catch {
            let attempts = unseen.attempts + 1
            let permanent = if case MailFailure.permanent = error { true } else { false }
            let retryAt = permanent || attempts >= Self.maxAttempts ? nil : now + pause(after: attempts)
            metrics.failed.increment()
            // Kept without the visitor's address, which a server's refusal may quote (the
            // record outlives an erasure of the visitor).
            let reason = "\(error)".replacingOccurrences(of: composed.mail.to, with: "(the visitor's address)", options: .caseInsensitive)
            await record("failure") { try await chat.store.recordMailFailure(reason, at: now) }
            logger.warning(retryAt == nil ? "Emailing the visitor failed; not trying again until an agent replies again"
                                          : "Emailing the visitor failed; trying again later",
                           metadata: ["conversation": "\(id)", "error": "\(error)", "attempts": "\(attempts)",
                                      "retry_in_s": "\(retryAt.map { String(($0 - now) / 1000) } ?? "-")"])
            do {
                try await chat.store.replyMailFailed(id, upTo: composed.upTo, mailed: unseen.mailed, attempts: attempts, retryAt: retryAt)
            } catch {
                logger.error("Recording a failed email failed", metadata: ["conversation": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Records how an email went, for the dashboard; a failure to is only logged.
    private func record(_ what: String, _ write: () async throws -> Void) async {
        do {
            try await write()
        } catch {
            logger.warning("Recording the email's \(what) for the dashboard failed", metadata: ["error": "\(error)"])
        }
    }

    /// 1, 2, 4 … minutes (by default), at most an hour.
    func pause(after attempts: Int) -> Millis {
        let first = Millis(retryPause)
        return min(first << min(attempts - 1, 6), first * 60)
    }
}

/// What the reply mailer counts: emails sent, and tries that failed.
struct ReplyMailMetrics: Sendable {
    let sent: Counter
    let failed: Counter

    init(factory: any MetricsFactory) {
        sent = Counter(label: "baton_reply_emails_total", dimensions: [("result", "sent")], factory: factory)
        failed = Counter(label: "baton_reply_emails_total", dimensions: [("result", "failed")], factory: factory)
    }
}
