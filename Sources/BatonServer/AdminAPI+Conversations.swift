import BatonCore
import Foundation
import Hummingbird

/// Conversations and their transcripts.
extension AdminAPI {
    struct ConversationBody: Encodable {
        struct VisitorBody: Encodable {
            var id: String
            var name, email, userID: String?
        }
        var id, bot, state: String
        var visitor: VisitorBody
        var lastMessage, roomLink: String?
        /// How the visitor rated the chat, once it ended.
        var rating: String?
        var messageCount: Int
        var createdAt, updatedAt: Int64
        /// When it was handed over to the agents, if it was.
        var handedOverAt: Int64?
        /// The admin who had it in the dashboard's live preview (not counted in the insights).
        var triedBy: String?

        init(_ listing: ConversationListing) {
            id = listing.conversation.id.rawValue
            bot = listing.conversation.widgetKey
            state = listing.conversation.state.rawValue
            visitor = VisitorBody(id: listing.conversation.visitorID.rawValue,
                                  name: listing.name,
                                  email: listing.email,
                                  userID: listing.visitorUserID)
            lastMessage = listing.lastMessage.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
            roomLink = listing.roomLink
            rating = listing.conversation.variable(ChatRating.variable)
            messageCount = listing.messageCount
            createdAt = listing.conversation.createdAt
            updatedAt = listing.conversation.updatedAt
            handedOverAt = listing.handedOverAt
            triedBy = listing.triedBy
        }
    }

    func registerConversations(on api: RouterGroup<BatonRequestContext>) {
        api.get("conversations") { request, _ in
            struct Answer: Encodable { var conversations: [ConversationBody]; var next: Int64?; var nextId: String? }
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 50
            // One more than asked for tells whether there is a next page (a full page said
            // so, and the next one could be empty).
            var found = try await services.store.conversations(try Self.conversationFilter(request, limit: limit + 1))
            let more = found.count > limit
            if more { found.removeLast(found.count - limit) }
            return try Self.json(Answer(conversations: found.map(ConversationBody.init),
                                        next: more ? found.last?.conversation.updatedAt : nil,
                                        nextId: more ? found.last?.conversation.id.rawValue : nil))
        }

        api.get("conversations.csv") { request, _ in
            // A zone this server does not know gives UTC, which the header then names.
            let (timeZone, zoneName) = Self.readerZone(named: request.uri.queryParameters["tz"].map(String.init))
            // Every conversation, however many: read twice, a page at a time, first for the
            // answers' columns (the header comes first), then written out as it is read.
            // Both passes see the conversations started until now, newest first by start:
            // a conversation that changes meanwhile keeps its place (by last update it would
            // move to the top, above where the export has got to, and be left out).
            let filter = Self.exportFilter(try Self.conversationFilter(request, limit: 500))
            let store = services.store, logger = logger
            var answers: [String] = [], seen = Set<String>()
            for try await page in ConversationPages(filter: filter, store: store) {
                ConversationCSV.collectAnswers(of: page, into: &answers, seen: &seen)
            }
            let bots = (try? await store.widgets()) ?? []
            let csv = ConversationCSV(answers: answers, botNames: Dictionary(bots.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a }),
                                      timeZone: timeZone, zoneName: zoneName)
            let day = LocalDate(at: .now(), in: timeZone)
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"conversations-\(day).csv\""
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: csv.header))
                do {
                    for try await page in ConversationPages(filter: filter, store: store) {
                        try await writer.write(ByteBuffer(string: page.map(csv.row).joined()))
                    }
                } catch {
                    // The status went out with the header: the file ends short.
                    logger.error("The CSV file could not be finished", metadata: ["error": "\(error)"])
                    throw error
                }
                try await writer.finish(nil)
            })
        }

        api.get("conversations/{id}") { _, context in
            struct File: Encodable { var id, name, type: String; var size: Int64; var url: String }
            struct Message: Encodable {
                var id: Int64; var role: String; var name: String?; var text: String; var replaces: Int64?; var files: [File]?
                /// Present (true) on a visitor's message the bot did not understand.
                var notUnderstood: Bool?
                var at: Int64
            }
            struct Variable: Encodable { var name, value: String }
            struct Page: Encodable { var url, title: String }
            struct Detail: Encodable {
                var summary: ConversationBody
                var variables: [Variable]
                var handoverReason: String?
                var page: Page?
                var language: String?
                var messages: [Message]
                func encode(to encoder: any Encoder) throws {
                    try summary.encode(to: encoder)
                    enum Keys: String, CodingKey { case variables, handoverReason, page, language, messages }
                    var container = encoder.container(keyedBy: Keys.self)
                    try container.encode(variables, forKey: .variables)
                    try container.encode(handoverReason, forKey: .handoverReason)
                    try container.encode(page, forKey: .page)
                    try container.encode(language, forKey: .language)
                    try container.encode(messages, forKey: .messages)
                }
            }
            let id = ConversationID(context.apiParameters["id"] ?? "")
            guard let listing = try await services.store.listing(of: id) else {
                throw APIError(.notFound, code: "unknown_conversation", "There is no conversation \(id): it was deleted, or never was.")
            }
            let messages = try await services.store.messages(in: id, after: 0, limit: 10_000)
            let visitor = try await services.store.visitor(id: listing.conversation.visitorID)
            return try Self.json(Detail(summary: ConversationBody(listing),
                                        variables: listing.conversation.variables.map { Variable(name: $0.name, value: $0.value) },
                                        handoverReason: listing.conversation.progress.handoverReason,
                                        page: visitor?.page.map { Page(url: $0.url, title: $0.title) },
                                        language: visitor?.language,
                                        messages: messages.map { message in
                                            let files = message.files.map { File(id: $0.id.rawValue, name: $0.name, type: $0.contentType, size: $0.size,
                                                                                 url: FileRoutes.path(of: $0)) }
                                            return Message(id: message.id, role: message.role.rawValue, name: message.authorName, text: message.text,
                                                           replaces: message.replaces, files: files.isEmpty ? nil : files,
                                                           notUnderstood: message.misunderstood ? true : nil, at: message.createdAt)
                                        }))
        }

        api.get("conversations/{id}/transcript") { request, context in
            let id = ConversationID(context.apiParameters["id"] ?? "")
            // A zone this server does not know gives UTC: the file says which it is in, and
            // a browser's zone must never cost the admin the download.
            let timeZone = request.uri.queryParameters["tz"].flatMap { TranscriptText.timeZone(named: String($0)) }
            guard let listing = try await services.store.listing(of: id) else {
                throw APIError(.notFound, code: "unknown_conversation", "There is no conversation \(id): it was deleted, or never was.")
            }
            let transcript = TranscriptText(
                listing: listing,
                botName: try? await services.bots.widget(forKey: listing.conversation.widgetKey)?.widget.name,
                page: try await services.store.visitor(id: listing.conversation.visitorID)?.page,
                messages: try await services.store.messages(in: id, after: 0, limit: 100_000),
                timeZone: timeZone)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(transcript.fileName)\""
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: transcript.text)))
        }

        api.delete("conversations/{id}") { request, context in
            let id = ConversationID(context.apiParameters["id"] ?? "")
            let inMattermost = try Self.erasesInMattermost(request)
            let outcome = try await services.chat.erase(conversation: id, eraseRooms: inMattermost)
            try Self.check(outcome, missing: APIError(.notFound, code: "unknown_conversation", "There is no conversation \(id): it was deleted, or never was."))
            context.logger.notice("Conversation deleted", metadata: [
                "conversation": "\(id)", "admin": "\(context.admin?.email ?? "")", "mattermost": "\(inMattermost ? "erase" : "keep")"])
            return Response(status: .noContent)
        }

        api.post("conversations/{id}/close") { _, context in
            let id = ConversationID(context.apiParameters["id"] ?? "")
            guard try await services.store.conversation(id: id) != nil else {
                throw APIError(.notFound, code: "unknown_conversation", "There is no conversation \(id): it was deleted, or never was.")
            }
            if case .delivered = try await services.chat.closeConversation(id, closedBy: nil) {
                context.logger.notice("Conversation closed from the dashboard", metadata: ["conversation": "\(id)", "admin": "\(context.admin?.email ?? "")"])
            }
            guard let listing = try await services.store.listing(of: id) else {
                throw APIError(.notFound, code: "unknown_conversation", "There is no conversation \(id): it was deleted, or never was.")
            }
            return try Self.json(ConversationBody(listing))
        }

        api.delete("visitors/{id}") { request, context in
            let id = VisitorID(context.apiParameters["id"] ?? "")
            let inMattermost = try Self.erasesInMattermost(request)
            let outcome = try await services.chat.erase(visitor: id, eraseRooms: inMattermost)
            try Self.check(outcome, missing: APIError(.notFound, code: "unknown_visitor", "There is no visitor \(id)."))
            context.logger.notice("Visitor deleted", metadata: [
                "visitor": "\(id)", "admin": "\(context.admin?.email ?? "")", "mattermost": "\(inMattermost ? "erase" : "keep")"])
            return Response(status: .noContent)
        }
    }

    /// The list's filters in `request`'s query: bot, state, q, before and beforeId, rating,
    /// visitor, unanswered, startedFrom and startedBefore.
    static func conversationFilter(_ request: Request, limit: Int) throws -> ConversationFilter {
        let query = request.uri.queryParameters
        return ConversationFilter(widgetKey: query["bot"].map(String.init),
                                  state: query["state"].flatMap { ConversationState(rawValue: String($0)) },
                                  search: formParameter("q", of: request)?.trimmingWhitespace(),
                                  limit: limit, before: query["before"].flatMap { Int64(String($0)) },
                                  beforeID: query["beforeId"].map { ConversationID(String($0)) },
                                  rating: query["rating"].flatMap { ChatRating(rawValue: String($0)) },
                                  visitorID: query["visitor"].map { VisitorID(String($0)) },
                                  unanswered: query["unanswered"] == "true",
                                  started: try startedRange(request))
    }

    /// A query parameter as a form writes it: `+` is a space (the dashboard's
    /// `URLSearchParams`, and many scripts, write "two words" as `two+words`; a `+` of the
    /// text itself comes as `%2B`).
    static func formParameter(_ name: String, of request: Request) -> String? {
        guard let query = request.uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding == name else { continue }
            let value = parts.count > 1 ? String(parts[1]) : ""
            return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? value
        }
        return nil
    }

    /// `?startedFrom=MS&startedBefore=MS` (either or both): the conversations started from
    /// the first instant and before the second (ms since 1970).
    static func startedRange(_ request: Request) throws -> Range<Millis>? {
        let query = request.uri.queryParameters
        let from = query["startedFrom"].flatMap { Int64(String($0)) }, before = query["startedBefore"].flatMap { Int64(String($0)) }
        guard from != nil || before != nil else { return nil }
        let range = (from ?? 0, before ?? .max)
        guard range.0 <= range.1 else {
            throw APIError(.badRequest, code: "invalid_range", "startedFrom must not be after startedBefore.")
        }
        return range.0..<range.1
    }

    /// `?mattermost=erase` deletes the rooms in Mattermost too; `keep` (the default) leaves them.
    static func erasesInMattermost(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters["mattermost"].map(String.init) {
        case nil, "keep": false
        case "erase": true
        case let other?:
            throw APIError(.badRequest, code: "invalid_request", "mattermost is \"keep\" or \"erase\", not \"\(other)\".")
        }
    }

    /// The list's filter as the CSV export pages through it: by start, and only what
    /// started before `now` (both passes see the same conversations).
    static func exportFilter(_ listed: ConversationFilter, now: Millis = .now()) -> ConversationFilter {
        var filter = listed
        let end = now + 1
        filter.started = filter.started.map { $0.lowerBound ..< max($0.lowerBound, min($0.upperBound, end)) } ?? (0 ..< end)
        filter.order = .started
        return filter
    }

    /// Turns an erasure that did nothing into the API's error.
    /// The conversations `filter` finds, a page (of its `limit`) at a time, in its order;
    /// each page is read when the one before has been taken (a slow download holds one).
    struct ConversationPages: AsyncSequence {
        let filter: ConversationFilter
        let store: any ConversationArchive

        struct AsyncIterator: AsyncIteratorProtocol {
            var filter: ConversationFilter?
            let store: any ConversationArchive

            mutating func next() async throws -> [ConversationListing]? {
                guard var current = filter else { return nil }
                let page = try await store.conversations(current)
                if page.count == current.limit, let last = page.last {
                    let time = current.order == .started ? last.conversation.createdAt : last.conversation.updatedAt
                    (current.before, current.beforeID) = (time, last.conversation.id)
                    filter = current
                } else {
                    filter = nil
                }
                return page.isEmpty ? nil : page
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(filter: filter, store: store) }
    }

    static func check(_ outcome: ErasureOutcome, missing: APIError) throws {
        switch outcome {
        case .erased: return
        case .notFound: throw missing
        case .open(let id):
            throw APIError(.conflict, code: "conversation_open",
                           "Conversation \(id) is with the agents. Close it first: in Mattermost, or with Close the chat in the dashboard.")
        case .busy(let id):
            throw APIError(.conflict, code: "conversation_busy",
                           "Baton is still writing conversation \(id) to Mattermost. Try again in a moment.")
        }
    }
}
