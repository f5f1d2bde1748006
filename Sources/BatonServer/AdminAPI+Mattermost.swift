import BatonCore
import BatonMattermost
import Foundation
import Hummingbird

/// The Connect-for-Mattermost wizard and the connection it makes.
extension AdminAPI {
    struct ServerBody: Decodable {
        var url: String
        var username: String?
        var password: String?
        var token: String?
    }

    struct UserBody: Encodable {
        var id, username, displayName: String
        /// In a search of step 3: whether the user is in the team already (else the
        /// connection adds them).
        var inTeam: Bool?
        init(_ user: MMUser, inTeam: Bool? = nil) {
            id = user.id
            username = user.username
            displayName = user.displayName
            self.inTeam = inTeam
        }
    }

    struct TeamBody: Encodable {
        var id, name, displayName: String
        init(_ team: MMTeam) {
            id = team.id
            name = team.name
            displayName = team.displayName
        }
    }

    func registerMattermost(on api: RouterGroup<BatonRequestContext>) {
        api.get("bots/{key}/mattermost") { _, context in
            try Self.json(try await connectionBody(try await widget(context).key))
        }

        api.post("bots/{key}/mattermost/server") { request, context in
            struct Input: Decodable { var server: ServerBody }
            struct Answer: Encodable { var relayUser: UserBody; var teams: [TeamBody]; var proxy: String? }
            let input = try await Self.decode(Input.self, from: request)
            let setup = try await signIn(input.server, widgetKey: try await widget(context).key)
            let teams = try await mattermost { try await setup.teams() }
            return try Self.json(Answer(relayUser: UserBody(setup.relayUser), teams: teams.map(TeamBody.init),
                                        proxy: setup.client.proxy.map { "\($0)" }))
        }

        api.post("bots/{key}/mattermost/team") { request, context in
            struct Input: Decodable { var server: ServerBody; var team: String }
            struct Channel: Encodable { var name, displayName: String }
            struct Answer: Encodable { var team: TeamBody; var channels: [Channel] }
            let input = try await Self.decode(Input.self, from: request)
            let setup = try await signIn(input.server, widgetKey: try await widget(context).key)
            return try await mattermost {
                let team = try await setup.team(named: input.team)
                let channels = try await setup.channels(of: team).map { Channel(name: $0.name, displayName: $0.displayName) }
                return try Self.json(Answer(team: TeamBody(team), channels: channels))
            }
        }

        api.post("bots/{key}/mattermost/users") { request, context in
            struct Input: Decodable { var server: ServerBody; var team: String; var prefix: String }
            struct Answer: Encodable { var users: [UserBody] }
            let input = try await Self.decode(Input.self, from: request)
            let setup = try await signIn(input.server, widgetKey: try await widget(context).key)
            return try await mattermost {
                let team = try await setup.team(named: input.team)
                return try Self.json(Answer(users: try await setup.users(inTeam: team, prefix: input.prefix).map { UserBody($0.user, inTeam: $0.inTeam) }))
            }
        }

        api.put("bots/{key}/mattermost") { request, context in
            struct Choice: Decodable { var existing: String?; var create: String? }
            struct Input: Decodable {
                var server: ServerBody
                var team: String
                var agents: [String]
                var indexChannel: Choice
                var closeCommand: String?
                var internalPrefix: String?
                var archiveOnClose: Bool?
                var rooms: String?
                var language: String?
            }
            let input = try await Self.decode(Input.self, from: request)
            let key = try await widget(context).key
            // What the request leaves out stays as the connection has it (a new one: the defaults).
            let current = (try? await services.connections.load(widgetKey: key))?.0
            let closeCommand = input.closeCommand?.trimmingWhitespace() ?? current?.closeCommand ?? "!close"
            let internalPrefix = input.internalPrefix ?? current?.internalPrefix ?? "//"
            if let (field, reason) = MattermostSettings.problem(closeCommand: closeCommand, internalPrefix: internalPrefix) {
                throw APIError(.unprocessableContent, code: "invalid_settings", "The \(field == "closeCommand" ? "close command" : "internal prefix") cannot be used: \(reason).",
                               issues: [.init(path: field, message: reason)])
            }
            let rooms = try input.rooms.map { try Self.roomKind($0) } ?? current?.rooms ?? .channel
            let language = try input.language.map { try Self.agentsLanguage($0) } ?? current?.language ?? "en"
            let index: MattermostSetup.IndexChannel
            switch (input.indexChannel.existing, input.indexChannel.create) {
            case (let name?, nil): index = .existing(name)
            case (nil, let name?): index = .create(name)
            default:
                throw APIError(.badRequest, code: "invalid_request",
                               input.indexChannel.existing == nil ? "Choose an existing index channel or a new one." : "Choose an existing index channel or a new one, not both.",
                               issues: [.init(path: "indexChannel", message: "give exactly one of existing or create")])
            }
            let (setup, credentials) = try await signInWithCredentials(input.server, widgetKey: key)
            try await mattermost {
                let team = try await setup.team(named: input.team)
                let agents = try await setup.agents(input.agents, team: team)
                let channel = try await setup.indexChannel(index, team: team, agents: agents, language: language)
                let settings = setup.settings(team: team, agents: agents, indexChannel: channel,
                                              closeCommand: closeCommand, internalPrefix: internalPrefix, archiveOnClose: input.archiveOnClose ?? current?.archiveOnClose ?? false,
                                              rooms: rooms, language: language)
                try await services.connections.save(settings, credentials: credentials, widgetKey: key)
            }
            services.mattermost.reload()
            context.logger.notice("Mattermost connected", metadata: ["bot": "\(key)", "admin": "\(context.admin?.email ?? "")"])
            // The desk starts the link within moments; report what is known now.
            return try Self.json(try await connectionBody(key))
        }

        api.delete("bots/{key}/mattermost") { _, context in
            let key = try await widget(context).key
            try await services.connections.delete(widgetKey: key)
            services.mattermost.reload()
            context.logger.notice("Mattermost disconnected", metadata: ["bot": "\(key)", "admin": "\(context.admin?.email ?? "")"])
            return Response(status: .noContent)
        }
    }

    /// `language` of a connect request: one of the widget's languages.
    static func agentsLanguage(_ text: String) throws -> String {
        guard WidgetSettings.languages.contains(text) else {
            let list = WidgetSettings.languages.joined(separator: ", ")
            throw APIError(.badRequest, code: "invalid_request", "Baton writes to agents in one of: \(list).",
                           issues: [.init(path: "language", message: "must be one of \(list)")])
        }
        return text
    }

    /// `rooms` of a connect request: "channel" or "thread".
    static func roomKind(_ text: String) throws -> MattermostSettings.RoomKind {
        guard let kind = MattermostSettings.RoomKind(rawValue: text) else {
            throw APIError(.badRequest, code: "invalid_request", "Chats happen in a \"channel\" each or a \"thread\" each.",
                           issues: [.init(path: "rooms", message: "must be \"channel\" or \"thread\"")])
        }
        return kind
    }

    private func signIn(_ server: ServerBody, widgetKey: String) async throws -> MattermostSetup {
        try await signInWithCredentials(server, widgetKey: widgetKey).0
    }

    /// Step 1's credentials: a token, a username and password, or (when editing) the stored
    /// credential of the same server and user.
    private func signInWithCredentials(_ server: ServerBody, widgetKey: String) async throws -> (MattermostSetup, MattermostCredentials) {
        // An address that is not one is the admin's to mend (422), not an unreachable
        // Mattermost (502).
        do {
            _ = try MattermostClient.normaliseURL(server.url)
        } catch {
            let (url, reason) = if case .invalidURL(let url, let reason) = error { (url, reason) } else { (server.url, "\(error)") }
            // The issue is the reason itself: a general hint beside it read as a second,
            // different problem.
            throw APIError(.unprocessableContent, code: "invalid_url", "\"\(url.prefix(200))\" cannot be used: \(reason).",
                           issues: [.init(path: "server.url", message: reason)])
        }
        let credentials: MattermostCredentials
        // Which would be used? Neither is taken silently over the other.
        if server.token?.isEmpty == false, server.password?.isEmpty == false {
            throw APIError(.badRequest, code: "invalid_request", "Give an access token, or a username and password: not both.",
                           issues: [.init(path: "server.token", message: "Give a token or a password, not both.")])
        }
        if let token = server.token, !token.isEmpty {
            credentials = .token(token)
        } else if let password = server.password, !password.isEmpty {
            guard let username = server.username?.trimmingWhitespace(), !username.isEmpty else {
                throw APIError(.unprocessableContent, code: "username_required", "Enter the relay user's username.",
                               issues: [.init(path: "server.username", message: "Enter the relay user's username.")])
            }
            credentials = .password(username: username, password: password)
        } else if let (stored, storedCredentials) = try await services.connections.load(widgetKey: widgetKey),
                  (try? MattermostClient.normaliseURL(server.url)) == (try? MattermostClient.normaliseURL(stored.url)),
                  server.username.map({ $0.trimmingWhitespace().lowercased() == stored.relayUser.name.lowercased() }) ?? true {
            credentials = storedCredentials
        } else {
            throw APIError(.unprocessableContent, code: "password_required", "Enter the relay user's password, or an access token.",
                           issues: [.init(path: "server.password", message: "Enter the password, or an access token.")])
        }
        let setup = try await mattermost {
            try await MattermostSetup.signIn(url: server.url, credentials: credentials, logger: logger, proxies: config.mattermostProxies)
        }
        return (setup, credentials)
    }

    /// Runs a wizard step; Mattermost's answers become errors the dashboard shows as they
    /// are (never 401, which would mean "sign in to Baton").
    @discardableResult
    private func mattermost<T>(_ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch let error as MattermostError {
            let (status, code): (HTTPResponse.Status, String) = switch error {
            case .invalidURL: (.unprocessableContent, "invalid_url")
            case .unreachable: (.badGateway, "unreachable")
            case .tls: (.badGateway, "tls")
            case .notMattermost: (.badGateway, "not_mattermost")
            case .redirected: (.unprocessableContent, "redirected")
            case .badCredentials, .sessionExpired: (.unprocessableContent, "bad_credentials")
            case .notAdmin: (.unprocessableContent, "not_admin")
            case .teamNotFound, .teamLinkElsewhere: (.unprocessableContent, "team_not_found")
            case .teamAmbiguous: (.unprocessableContent, "team_ambiguous")
            case .channelNotFound: (.unprocessableContent, "channel_not_found")
            case .usersNotFound: (.unprocessableContent, "users_not_found")
            case .forbidden: (.unprocessableContent, "forbidden")
            case .rateLimited: (.badGateway, "rate_limited")
            case .server: (.badGateway, "mattermost_error")
            case .webSocketRefused: (.badGateway, "websocket_refused")
            case .proxy: (.badGateway, "proxy")
            case .proxyAuthentication: (.badGateway, "proxy_authentication")
            }
            var issues: [APIError.Issue] = []
            if case .usersNotFound(let names) = error {
                issues = names.map { .init(path: "agents", message: "Mattermost has no user named \"\($0)\".") }
            }
            throw APIError(status, code: code, error.description, issues: issues)
        } catch let error as CredentialError {
            throw APIError(.unprocessableContent, code: "credential", error.description)
        }
    }

    struct ConnectionBody: Encodable {
        struct Status: Encodable {
            var state: String
            var lastEventAt: Int64?
            var lastError: String?
            var outbox: Int
        }
        var connected: Bool
        var url, auth, relayUser, team, indexChannel, indexChannelLink, closeCommand, internalPrefix: String?
        /// What Mattermost shows for the team and the index channel, when Baton knows it.
        var teamDisplayName, indexChannelDisplayName: String?
        /// The HTTP proxy this server is reached through, without credentials.
        var proxy: String?
        var agents: [String]?
        var archiveOnClose: Bool?
        /// "channel" or "thread".
        var rooms: String?
        /// The language of what Baton writes to the agents.
        var language: String?
        var status: Status?
    }

    func connectionBody(_ key: String) async throws -> ConnectionBody {
        let loaded: (MattermostSettings, MattermostCredentials)?
        do {
            loaded = try await services.connections.load(widgetKey: key)
        } catch {
            // The stored credential cannot be read (another key): say so, show nothing else.
            return ConnectionBody(connected: true, status: .init(state: "error", lastError: "\(error)", outbox: try await services.store.taskCount(widgetKey: key)))
        }
        guard let (settings, _) = loaded else { return ConnectionBody(connected: false) }
        let live = services.mattermost.status(widgetKey: key)
        let stored = try await services.store.integrationStatus(widgetKey: key, kind: "mattermost")
        let state = live.map { $0.state != .connected && $0.lastError != nil ? "error" : $0.state.rawValue } ?? stored?.state ?? "connecting"
        return ConnectionBody(
            connected: true, url: settings.url, auth: settings.auth.rawValue, relayUser: settings.relayUser.name, team: settings.team.name,
            indexChannel: settings.indexChannel.name, indexChannelLink: settings.link(toChannel: settings.indexChannel.name),
            closeCommand: settings.closeCommand, internalPrefix: settings.internalPrefix,
            teamDisplayName: settings.team.displayName, indexChannelDisplayName: settings.indexChannel.displayName,
            proxy: config.mattermostProxies.route(for: settings.url).map { "\($0.proxy)" }, agents: settings.agents.map(\.name),
            archiveOnClose: settings.archiveOnClose, rooms: settings.rooms.rawValue, language: settings.language,
            status: .init(state: state, lastEventAt: live?.lastEventAt ?? stored?.lastEventAt, lastError: live?.lastError ?? stored?.lastError,
                          outbox: try await services.store.taskCount(widgetKey: key)))
    }
}
