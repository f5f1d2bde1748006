import Foundation

extension ChatService {
    /// Takes a visitor message: stores it with the bot's answer atomically (or, after a
    /// handover, queues it for the agents), publishes both to the visitor's widgets, and
    /// returns the message id. A resent `clientID` is answered with the first id and
    /// nothing else happens.
    public func receive(_ input: VisitorInput, clientID: String, from session: ChatSession,
                        origin: SubscriptionID?) async throws -> Receipt {
        let text = Self.clean(input.text)
        guard Self.isValidClientID(clientID) else { throw ChatError.invalidClientID }
        guard text.unicodeScalars.count <= policy.maxTextLength else { throw ChatError.textTooLong(limit: policy.maxTextLength) }
        var fileIDs: [FileID] = []
        for id in input.files where !fileIDs.contains(id) { fileIDs.append(id) }
        if !fileIDs.isEmpty {
            guard policy.filesEnabled else { throw ChatError.filesDisabled }
            guard fileIDs.count <= policy.maxFilesPerMessage else { throw ChatError.tooManyFiles(limit: policy.maxFilesPerMessage) }
        }
        guard !text.isEmpty || !fileIDs.isEmpty else { throw ChatError.emptyMessage }
        let input = VisitorInput(text: text, action: fileIDs.isEmpty ? input.action : nil, files: fileIDs)
        guard let (widget, bot) = try await bots.widget(forKey: session.widget.key) else {
            throw ChatError.unknownWidget(session.widget.key)
        }
        let visitor = session.visitor
        return try await locks.withLock(visitor.id) { try await retryingConflicts(of: visitor.id) {
            // A resent client id is not looked up first: the store refuses it (a unique
            // index), the change is dropped whole, and the first id is returned below.
            let files: [Attachment]
            switch try await sentFiles(fileIDs, by: visitor.id, clientID: clientID) {
            case .found(let found): files = found
            case .sentBefore(let existing): return .duplicate(existing)
            }
            var prefix: [ChatEvent] = []
            var messages: [NewMessage] = []
            var conversation: Conversation
            let current = try await latestConversation(of: visitor.id)
            var basis: Conversation?
            if let current, current.state != .closed {
                conversation = current
                basis = current
            } else {
                // Writing to a closed conversation starts a new one (docs/widget-protocol.md).
                // It must sort after the closed one even within the same millisecond.
                let now = max(Millis.now(), (current?.createdAt ?? 0) + 1)
                conversation = Conversation(id: .random(), widgetKey: widget.key, visitorID: visitor.id, createdAt: now, updatedAt: now)
                // What the visitor told us before need not be asked again.
                let known = try await store.visitor(id: visitor.id) ?? visitor
                if let name = known.name { conversation.set("name", to: name) }
                if let email = known.email { conversation.set("email", to: email) }
                messages = greet(&conversation, widget: widget, bot: bot)
                prefix.append(.conversationStarted(conversation))
            }
            let before = conversation.state
            let variablesBefore = conversation.variables
            messages.append(NewMessage(role: .visitor, text: input.text, clientID: clientID, files: files))
            var tasks: [AgentTask] = []
            if conversation.state == .bot && input.text.isEmpty {
                // Files alone: nothing for the bot to answer. They are in the transcript.
                // (While it asks a question, the bot says it got them and asks again.)
            } else if conversation.state.isBotActive {
                let outcome = bot.respond(to: input, in: &conversation)
                messages[messages.count - 1].misunderstood = outcome.misunderstood
                messages += outcome.replies.map { botMessage($0, bot: bot) }
                if let request = outcome.handover {
                    let (said, task) = try await handOver(&conversation, request, widget: widget, bot: bot,
                                                          language: widget.settings.language(botLanguage: bot.language) ?? session.widgetLanguage)
                    messages += said
                    tasks += task.map { [$0] } ?? []
                }
            } else if await agentSideFollows(conversation) {
                tasks.append(.relay)
            }
            conversation.updatedAt = Millis.now()
            // The visitor record learns the name and email the bot collected.
            var visitorChange: Visitor?
            if conversation.variables != variablesBefore {
                visitorChange = updatedVisitor(try await store.visitor(id: visitor.id) ?? visitor, from: conversation)
            }
            let change = ChangeSet(visitor: visitorChange, conversation: conversation, messages: messages, tasks: tasks, basis: basis)
            let stored: [Message]
            do {
                stored = try await apply(change, from: before, prefix: prefix, origin: origin)
            } catch StoreError.duplicateClientMessage(let existing) {
                return .duplicate(existing)
            }
            // A new conversation of an admin trying the widget (unmarked, it would only
            // count in the insights).
            if basis == nil, let admin = session.triedBy { try? await store.markTried(conversation.id, by: admin) }
            let visitorMessage = stored.first { $0.role == .visitor && $0.clientID == clientID }
            return .stored(visitorMessage?.id ?? 0)
        } }
    }

    private enum SentFiles {
        case found([Attachment])
        /// The files went with this visitor's message of the same client id (a resend).
        case sentBefore(MessageID)
    }

    /// The visitor's uploads a message sends: each must be the visitor's and not sent yet.
    private func sentFiles(_ ids: [FileID], by visitor: VisitorID, clientID: String) async throws -> SentFiles {
        var found: [Attachment] = []
        for id in ids {
            guard let file = try await store.fileRecord(id: id), file.visitorID == visitor else { throw ChatError.unknownFile }
            if let sentWith = file.messageID {
                // Sent already: by this very message (its ack was lost), or by another.
                guard let earlier = try await store.message(from: visitor, clientID: clientID), earlier.id == sentWith else {
                    throw ChatError.unknownFile
                }
                return .sentBefore(earlier.id)
            }
            found.append(file.attachment)
        }
        return .found(found)
    }

    /// Stores a visitor's upload, not sent yet: a message sends it (`VisitorInput.files`).
    /// Uploads never sent are forgotten after a day.
    public func upload(name: String, contentType: String?, data: [UInt8], by visitor: VisitorID) async throws -> Attachment {
        guard policy.filesEnabled else { throw ChatError.filesDisabled }
        guard data.count <= policy.maxFileBytes else { throw ChatError.fileTooLarge(limit: policy.maxFileBytes) }
        guard !data.isEmpty else { throw ChatError.emptyFile }
        try await store.deleteUnsentFiles(before: .now() - 24 * 3600 * 1000)
        guard try await store.unsentFileCount(of: visitor) < policy.maxUnsentFiles else {
            throw ChatError.tooManyUnsentFiles(limit: policy.maxUnsentFiles)
        }
        let attachment = Attachment(id: .newFile(), name: Attachment.cleanName(name), contentType: Attachment.cleanType(contentType),
                                    size: Int64(data.count))
        try await store.saveFile(StoredFile(attachment: attachment, visitorID: visitor, data: data))
        return attachment
    }

    /// Moves the conversation to `waiting_for_agent`. With an agent side the bot says its
    /// handover message and a room is to be opened; without one the visitor is told that
    /// nobody is available and the conversation waits. Outside the widget's working hours
    /// the room is opened all the same (agents find it when they are back), and the visitor
    /// is told when that will be, in `language` (the widget's Language, else the bot's, else
    /// the one the widget shows; English when nil).
    private func handOver(_ conversation: inout Conversation, _ request: HandoverRequest, widget: Widget,
                          bot: any ChatBot, language: String?) async throws -> ([NewMessage], AgentTask?) {
        conversation.progress.handoverReason = request.reason
        conversation.progress.handoverCause = request.cause
        conversation.progress.handoverWhy = request.why
        try conversation.move(to: .waitingForAgent)
        guard await agents.isConnected(widgetKey: conversation.widgetKey) else {
            return ([botMessage(bot.noAgentsReply(conversation), bot: bot)], nil)
        }
        let now = Date(timeIntervalSince1970: Double(clock()) / 1000)
        if let away = widget.settings.workingHours?.awayText(at: now, language: language) {
            conversation.progress.handoverReason = request.reason + " (outside working hours)"
            conversation.progress.handoverWhy?.outsideWorkingHours = true
            conversation.progress.roomAsked = true
            return ([NewMessage(role: .bot, authorName: bot.name, text: away)], .openRoom)
        }
        conversation.progress.roomAsked = true
        return (request.message.map { [botMessage($0, bot: bot)] } ?? [], .openRoom)
    }

    /// Whether the agent side is to hear of what happens in `conversation`: it is connected,
    /// or it was when the chat went to it (the tasks wait for it to be connected again:
    /// an admin who disconnects and connects again loses none of the visitor's messages).
    func agentSideFollows(_ conversation: Conversation) async -> Bool {
        if conversation.progress.roomAsked == true { return true }
        return await agents.isConnected(widgetKey: conversation.widgetKey)
    }

    /// The first language of the visitor's browser (`Visitor.languageTag`), as their widget
    /// says in its hello: kept for the agents when it changed.
    public func visitorSpeaks(_ language: String, in session: ChatSession) async throws {
        guard session.visitor.language != language else { return }
        try await store.setLanguage(language, of: session.visitor.id)
    }

    /// The language the visitor's widget shows its words in (one of
    /// `WidgetSettings.languages`), as it says in its hello: kept for the emails.
    public func visitorReads(_ language: String, in session: ChatSession) async throws {
        guard session.visitor.widgetLanguage != language else { return }
        try await store.setWidgetLanguage(language, of: session.visitor.id)
    }

    /// The visitor's widget is on `page` (a page load, or a single-page site that moved on).
    /// Recorded when it changed, for the agents: the room's first post names it, and while
    /// the chat is with the agents (and a room is to be or was opened) they are told of
    /// each new page. Returns whether anything changed.
    @discardableResult
    public func visitorOnPage(_ page: VisitedPage, in session: ChatSession) async throws -> Bool {
        let visitor = session.visitor.id
        return try await locks.withLock(visitor) {
            guard let found = try await store.visitor(id: visitor), found.page != page else { return false }
            try await store.setPage(page, of: visitor)
            try await retryingConflicts(of: visitor) {
                guard let conversation = try await latestConversation(of: visitor), conversation.state.isHandedOver,
                      await agentSideFollows(conversation) else { return }
                let change = ChangeSet(conversation: conversation, messages: [], tasks: [.visitorPage(page)], basis: conversation)
                _ = try await apply(change, from: conversation.state)
            }
            return true
        }
    }

    /// The visitor ends their chat with the agents from the widget (waiting for an agent,
    /// or with one): it closes as when an agent closes it, with "Grace ended the chat." in
    /// the transcript, and the agent side tells the room and marks the announcement. Their
    /// next message starts a new conversation with the bot. Returns the id of that notice.
    @discardableResult
    public func visitorEndsChat(in session: ChatSession) async throws -> MessageID {
        try await visitorActs(in: session, refusal: .nothingToEnd, when: { $0.state.isHandedOver }) { conversation, name in
            try conversation.move(to: .closed)
            return (Notice(.visitorEnded, name: name), .closeRoom(closedBy: name, roomArchived: false, endedByVisitor: true))
        }
    }

    /// The visitor rates their latest chat, once it was with the agents and has ended, and
    /// only once (where the widget asks for ratings): the rating is kept with the
    /// conversation's answers (`chat rating`), "Grace rated the chat: good." goes in
    /// the transcript, and the agent side tells the room.
    @discardableResult
    public func rate(_ rating: ChatRating, conversation conversationID: ConversationID, in session: ChatSession) async throws -> MessageID {
        guard let (widget, _) = try await bots.widget(forKey: session.widget.key), widget.settings.askForRating else {
            throw ChatError.cannotRate
        }
        let rated = try await visitorActs(in: session, refusal: .cannotRate, when: { conversation in
            conversation.id == conversationID && conversation.state == .closed && conversation.progress.handedOver
                && conversation.variable(ChatRating.variable) == nil
        }) { conversation, name in
            conversation.set(ChatRating.variable, to: rating.rawValue)
            return (Notice(.visitorRated, name: name, rating: rating.rawValue), .chatRated(rating))
        }
        metrics.rated(rating)
        return rated
    }

    /// A step the visitor asked for from the widget, on their latest conversation, under
    /// their lock: refused with `refusal` unless `when` holds; `change` alters the
    /// conversation and says the transcript's notice (given the visitor's name) and the
    /// agent side's task (queued when the widget is connected to one). Returns the
    /// notice's id.
    private func visitorActs(in session: ChatSession, refusal: ChatError, when allowed: (Conversation) -> Bool,
                             _ change: (inout Conversation, _ name: String?) throws -> (notice: Notice, task: AgentTask)) async throws -> MessageID {
        let visitor = session.visitor.id
        return try await locks.withLock(visitor) { try await retryingConflicts(of: visitor) {
            guard var conversation = try await latestConversation(of: visitor), allowed(conversation) else { throw refusal }
            let basis = conversation
            let name = try await store.visitorName(of: conversation)
            let (notice, task) = try change(&conversation, name)
            conversation.updatedAt = Millis.now()
            let tasks = await agentSideFollows(conversation) ? [task] : []
            let stored = try await apply(ChangeSet(conversation: conversation, messages: [NewMessage(notice: notice)],
                                                   tasks: tasks, basis: basis), from: basis.state)
            return stored.last?.id ?? 0
        } }
    }

    /// The visitor is typing (or stopped): agents see it once the chat is handed over.
    public func visitorTyping(_ active: Bool, in session: ChatSession) async {
        guard let conversation = try? await latestConversation(of: session.visitor.id),
              conversation.state.isHandedOver else { return }
        await agents.visitorTyping(in: conversation, active: active)
        // The process that runs the agent side may be another one.
        await shared?.announce(.typing(visitor: conversation.visitorID, conversation: conversation.id, role: .visitor, name: nil, active: active))
    }
}
