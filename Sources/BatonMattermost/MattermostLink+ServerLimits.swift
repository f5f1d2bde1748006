import BatonCore

/// Limits an admin sets on the Mattermost server that Baton cannot lift: said once, and
/// worked around where a chat would otherwise wait for ever.
extension MattermostLink {
    /// The team holds as many channels as Mattermost allows: new chats go to threads in
    /// the index channel (`ensureRoom`), and the status says why until a channel can be made
    /// again.
    func noteChannelLimit() {
        let problem = "The team \(settings.team.name) holds as many channels as Mattermost allows (Max Channels Per Team, 2,000 by default; "
            + "archived channels count): new chats go to threads in the index channel ~\(settings.indexChannel.name) instead of channels "
            + "of their own. Raise the limit in the System Console (Site Configuration › Users and Teams), or choose threads in the "
            + "dashboard's Mattermost wizard."
        let new = channelLimitProblem.withLock { last in defer { last = problem }; return last == nil }
        if new { logger.error("\(problem)", metadata: ["mattermost.team": "\(settings.team.name)", "mattermost.channel": "\(settings.indexChannel.name)"]) }
        update { $0.lastError = problem }
    }

    /// A channel could be made: the team has room again.
    func channelLimitLifted() {
        guard let problem = channelLimitProblem.withLock({ $0.take() }) else { return }
        logger.notice("Mattermost makes channels for chats again (the team's channel limit was raised, or channels deleted)")
        update { if $0.lastError == problem { $0.lastError = nil } }
    }

    /// Mattermost refused to change a post's text because it is older than posts may be
    /// edited (`PostEditTimeLimit`): an announcement or reminder stays as it was. Said once
    /// while this link runs.
    func noteEditTimeLimit(_ error: MattermostError) {
        guard !editTimeLimitSaid.exchange(true, ordering: .relaxed) else { return }
        let advice = "Mattermost lets posts be edited for a limited time only (Message Edit Time Limit): the announcements and reminders of "
            + "chats older than that are not marked taken or closed. Set the limit to Anytime in the System Console "
            + "(Site Configuration › Posts) to have them marked."
        logger.warning("\(advice)", metadata: ["error": "\(error)"])
    }
}
