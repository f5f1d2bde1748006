import BatonCore
import Foundation

/// Reminding the agents of a visitor nobody answers: once a room has waited
/// `LinkLimits.remindAgentsAfter` without an agent joining, a post in the index channel
/// says who is waiting, for how long, and links to the room, and the visitor is told
/// they are not forgotten. Once per room, and only
/// while the widget's working hours are open (a room opened at night is reminded of when
/// they open, if nobody took it by then).
extension MattermostLink {
    func reminderLoop(after wait: Duration) async {
        // Often enough that a reminder is late by a fraction of the wait, at most 30 s.
        let interval = min(max(wait / 4, .milliseconds(100)), .seconds(30))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await remindOfWaitingVisitors(after: wait)
        }
    }

    /// One pass: reminds of every room that has waited long enough. Failures are logged and
    /// tried again at the next pass.
    func remindOfWaitingVisitors(after wait: Duration, now: Millis = .now()) async {
        let waitMillis = Millis(wait)
        do {
            let rooms = try await store.roomsAwaitingAgents(widgetKey: widgetKey, createdBefore: now - waitMillis, limit: 50)
            guard !rooms.isEmpty else { return }
            if let hours = try await store.widget(key: widgetKey)?.settings.workingHours,
               !hours.isOpen(at: Date(timeIntervalSince1970: Double(now) / 1000)) { return }
            for room in rooms {
                // Read again: an agent may have joined while the reminders before it went out.
                guard let conversation = try await store.conversation(id: room.conversationID), conversation.state == .waitingForAgent,
                      let current = try await store.room(for: room.conversationID), current.joinedAgents.isEmpty,
                      current.closedAt == nil else { continue }
                let text = MattermostPosts.waitingReminder(visitor: await visitorName(of: conversation), minutes: Int((now - room.createdAt) / 60_000),
                                                           link: room.link, words: words)
                let post = try await batonPost(text, in: settings.indexChannel.id, conversation: conversation.id, marker: "remind-\(conversation.id)")
                indexChannelUsable()
                try await store.markReminded(conversation.id, at: now, post: post.id)
                logger.info("Reminded the agents of a waiting visitor", metadata: ["conversation": "\(conversation.id)"])
                // An agent who wrote, or the chat's close, while the reminder went out found
                // none to mark: it is marked now.
                if let marked = try await store.room(for: room.conversationID) {
                    if let first = marked.joinedAgents.first {
                        await markReminder(of: marked, visitor: await visitorName(of: conversation), takenBy: await user(first)?.displayName ?? words(.agent))
                        continue
                    }
                    let latest = try await store.conversation(id: conversation.id)
                    if marked.closedAt != nil || latest?.state == .closed {
                        await markReminder(of: marked, visitor: await visitorName(of: conversation), takenBy: nil)
                        continue
                    }
                }
                // The visitor hears they are not forgotten (once: the notice has an id of its own).
                do {
                    try await chat.stillWaiting(conversation.id, externalID: "remind-\(conversation.id)")
                } catch {
                    logger.warning("Telling a waiting visitor failed", metadata: ["conversation": "\(conversation.id)", "error": "\(error)"])
                }
            }
            reminderFailure.withLock { $0 = nil }
        } catch {
            // Said once per reason, not at every pass while it lasts.
            let reason = "\(error)"
            let said = reminderFailure.withLock { last in defer { last = reason }; return last == reason }
            logger.log(level: said ? .debug : .warning, "Reminding the agents of waiting visitors failed; trying again", metadata: ["error": "\(reason)"])
        }
    }

    /// Marks a room's reminder once an agent took the chat (`takenBy`) or it ended with
    /// nobody, so that the index channel does not go on saying nobody joined. Best effort:
    /// an agent may have deleted the reminder.
    func markReminder(of room: Room, visitor: String, takenBy agent: String?) async {
        guard let reminderID = room.reminderID, let remindedAt = room.remindedAt else { return }
        let text = MattermostPosts.answeredReminder(visitor: visitor, minutes: Int((remindedAt - room.createdAt) / 60_000), link: room.link,
                                                    takenBy: agent, words: words)
        do {
            _ = try await client.editPost(id: reminderID, message: text)
        } catch let error as MattermostError where error.isEditTimeLimit {
            noteEditTimeLimit(error)
        } catch {
            logger.warning("Marking the reminder of a waiting visitor failed", metadata: ["conversation": "\(room.conversationID)", "error": "\(error)"])
        }
    }
}
