import BatonCore

/// Mattermost sends a channel's events to its members only, so the relay user hears the
/// agents of a room only while it is in that room. Someone who removes it from an open
/// chat's room (or from the index channel, where thread rooms and announcements live)
/// would cut the agents' replies off without anyone noticing: the visitor's messages still
/// arrive (the relay user is an admin and may post anywhere), the answers never leave.
/// Instead the relay user joins again at once, says why in the channel, and reads what was
/// written meanwhile. A closed chat's room it leaves alone.
extension MattermostLink {
    /// The channel an event says the relay user left or was removed from: Mattermost sends
    /// `user_removed` to the user (`data.channel_id`) and to the channel's members
    /// (`data.user_id`).
    func channelLeft(by event: MattermostEvent) -> String? {
        guard event.event == "user_removed" else { return nil }
        let me = settings.relayUser.id
        if event.broadcastUserID == me, let channel = event.dataChannelID { return channel }
        if event.userID == me, let channel = event.channelID { return channel }
        return nil
    }

    /// Whether a post records the relay user leaving, or being removed from, its channel:
    /// how a catch-up learns of a removal whose event came while Baton was not listening.
    func recordsRelayUserLeaving(_ post: MMPost) -> Bool {
        switch post.type {
        case "system_remove_from_channel": post.removedUserID == settings.relayUser.id
        case "system_leave_channel": post.userID == settings.relayUser.id
        default: false
        }
    }

    /// The relay user is no longer in `channelID`: when that is the index channel or the
    /// room of an open chat (a channel room, or the channel of thread rooms) and it is
    /// still not a member, it joins again, posts why, and (with `catchUp`) reads the
    /// posts it missed there.
    func relayUserLeft(_ channelID: String, catchUp: Bool) async {
        var rooms: [Room] = []
        if let room = try? await room(externalID: channelID) {
            if room.closedAt == nil { rooms = [room] }
        } else {
            rooms = (try? await openThreads(in: channelID)) ?? []
        }
        let isIndex = channelID == settings.indexChannel.id
        guard !rooms.isEmpty || isIndex else { return }
        let me = settings.relayUser.id
        let place = isIndex ? "the index channel" : "a channel of open chats"
        // The event and a catch-up may both see the same removal: one of them rejoins.
        let outcome = await channelLocks.withLock("membership \(channelID)") { () -> MembershipOutcome in
            let member: Bool
            do {
                member = try await client.isChannelMember(channelID: channelID, userID: me)
            } catch {
                return await channelIsGone(channelID, after: error) ? .gone : .unknown(error)
            }
            guard !member else { return .member }
            do {
                try await client.addChannelMember(channelID: channelID, userID: me)
                return .rejoined
            } catch {
                if await channelIsGone(channelID, after: error) { return .gone }
                // Refused (the right to join taken away): for a person. Anything else (the
                // network, a proxy's answer) is tried again.
                guard case MattermostError.server(let status, _, _) = error, [400, 403, 404].contains(status) else { return .unknown(error) }
                return .refused(error)
            }
        }
        if case .unknown = outcome {} else { membershipUnchecked.withLock { _ = $0.remove(channelID) } }
        switch outcome {
        case .member:
            return
        case .gone:
            // A channel that is gone is not a removal to undo: the index channel's absence
            // is said as such; a room's is the lost rooms' to mend.
            if isIndex { logIndexChannelUnusable() }
            return
        case .unknown(let error):
            // No answer says nothing of a removal: asked again in a while, while the link
            // runs (the next reconnect may be hours away).
            // Said once while it lasts.
            let first = membershipUnchecked.withLock { $0.insert(channelID).inserted }
            logger.log(level: first ? .warning : .debug,
                       "Checking that the relay user is still in \(place) failed; it is checked again in \(limits.membershipRetry) until it gets an answer",
                       metadata: ["mattermost.channel": "\(channelID)", "error": "\(error)"])
            background.start {
                try? await Task.sleep(for: self.limits.membershipRetry)
                guard !Task.isCancelled, !self.isStopped else { return }
                await self.relayUserLeft(channelID, catchUp: true)
            }
            return
        case .refused(let error):
            logger.error("The relay user was removed from \(place) and cannot join it again; add it there in Mattermost",
                         metadata: ["mattermost.channel": "\(channelID)", "error": "\(error)"])
            return
        case .rejoined:
            break
        }
        logger.warning("The relay user was removed from \(isIndex ? "the index channel" : "a channel of open chats") and joined it again", metadata: [
            "mattermost.channel": "\(channelID)", "chats": "\(rooms.count)"])
        let note = isIndex && rooms.allSatisfy({ $0.threadChannelID == nil })
            ? words(.relayRejoinedIndex)
            : words(rooms.contains { $0.threadChannelID != nil } ? .relayRejoinedThread : .relayRejoinedChannel,
                    ["close": MattermostPosts.inCode(settings.closeCommand)])
        do {
            _ = try await client.createPost(channelID: channelID, message: note, props: ["from_baton": .bool(true)])
        } catch {
            logger.warning("Posting why the relay user joined again failed", metadata: ["mattermost.channel": "\(channelID)", "error": "\(error)"])
        }
        if catchUp, !rooms.isEmpty { await self.catchUp(rooms) }
    }

    /// What a check of the relay user's membership found.
    enum MembershipOutcome: Sendable {
        case member, rejoined, gone
        /// Not a member, and joining was refused.
        case refused(any Error)
        /// No answer: asked again later.
        case unknown(any Error)
    }

    /// Default agents who could not be added to a room because they are no longer in the
    /// team: the room is made without them (it used to wait for them, and so did every
    /// new chat). Said once per agent.
    func noteAgentsLeftOut(_ userIDs: [String]) {
        let new = agentsLeftOut.withLock { said in userIDs.filter { said.insert($0).inserted } }
        guard !new.isEmpty else { return }
        let names = new.map { id in settings.agents.first { $0.id == id }?.name ?? id }
        logger.warning("Agents who are no longer in the team are left out of new chats; add them to the team in Mattermost, or connect again without them",
                       metadata: ["mattermost.users": "\(names.joined(separator: ", "))", "mattermost.team": "\(settings.team.name)"])
    }
}
