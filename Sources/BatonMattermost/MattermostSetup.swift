import AsyncHTTPClient
import BatonCore
import Crypto
import Foundation
import Logging

/// The steps of connecting a widget to Mattermost, shared by the dashboard wizard and
/// `baton mattermost connect`: each checks what it is given against the server and says
/// what is wrong in words an admin can act on.
public struct MattermostSetup: Sendable {
    public let client: MattermostClient
    public let relayUser: MMUser

    /// Step 1: the server and the relay user. Signs in, checks the user is a system
    /// administrator (Baton creates channels and adds people to teams), and that the event
    /// stream opens (agents' replies come that way; a proxy may refuse WebSockets).
    public static func signIn(url: String, credentials: MattermostCredentials, logger: Logger,
                              http: HTTPClient? = nil, proxies: MattermostProxyRules = .direct) async throws -> MattermostSetup {
        // An admin waits for the answer: a connection that fails is not tried for 5 s.
        let client = try MattermostClient(url: url, credentials: credentials, logger: logger, http: http, proxies: proxies, interactive: true)
        let user = try await client.signIn()
        guard user.isSystemAdmin else { throw MattermostError.notAdmin(username: user.username) }
        try await MattermostEventSocket.probe(client: client, logger: logger)
        return MattermostSetup(client: client, relayUser: user)
    }

    /// Step 2: the teams the relay user belongs to, to choose from.
    public func teams() async throws -> [MMTeam] {
        try await client.teams().sorted { $0.displayName.lowercased() < $1.displayName.lowercased() }
    }

    /// Channels of the team that can be the index channel: open or private ones the relay
    /// user is in, not archived, sorted by display name.
    /// The channels the index channel may be: not a chat's own room (`chat-…`), which the
    /// relay user is in as well.
    public func channels(of team: MMTeam) async throws -> [MMChannel] {
        try await client.myChannels(teamID: team.id)
            .filter { ($0.type == "O" || $0.type == "P") && $0.deleteAt == 0 && !MattermostPosts.isChatRoomName($0.name) }
            .sorted { $0.displayName.lowercased() < $1.displayName.lowercased() }
    }

    /// Step 3's search: the team's users whose username or name starts with `prefix`, then
    /// the server's other such users (`inTeam` false), who are added to the team with the
    /// connection (`agents`). At most 25 in all.
    public func users(inTeam team: MMTeam, prefix: String) async throws -> [(user: MMUser, inTeam: Bool)] {
        let prefix = prefix.trimmingWhitespace().lowercased()
        let members = try await client.autocompleteUsers(inTeam: team.id, prefix: prefix).filter { $0.deleteAt == 0 }
        var found = members.prefix(25).map { (user: $0, inTeam: true) }
        if found.count < 25 {
            let known = Set(members.map(\.id))
            let others = try await client.autocompleteUsers(inTeam: nil, prefix: prefix).filter { $0.deleteAt == 0 && !known.contains($0.id) }
            found += others.prefix(25 - found.count).map { (user: $0, inTeam: false) }
        }
        return found
    }

    /// Step 2's team, as an admin may write it: its name (as in its URL), a link into it
    /// (`https://chat.example.com/support/channels/town-square`), or its display name
    /// ("Customer Support", in any case) when no team has that name and exactly one has
    /// that display name.
    public func team(named written: String) async throws -> MMTeam {
        let text = written.trimmingWhitespace()
        let name = Self.teamName(in: text, server: client.baseURL)
        // A link into another server (staging's, copied while connecting production).
        if let host = Self.linkHost(text), let server = URL(string: client.baseURL)?.host?.lowercased(), host != server {
            throw MattermostError.teamLinkElsewhere(host: host, server: server)
        }
        let fromLink = name != text.lowercased()
        if Self.isTeamName(name) {
            do {
                return try await client.team(named: name)
            } catch MattermostError.teamNotFound {}
        }
        let shown = text.lowercased()
        var matches: [MMTeam] = []
        var seen = Set<String>()
        // Every team, as the relay user is a system administrator (at most 2,000: a server
        // with more is asked by name).
        var pages: [[MMTeam]] = []
        for page in 0..<10 {
            let teams = try await client.allTeams(page: page)
            pages.append(teams)
            if teams.count < 200 { break }
        }
        for team in pages.joined() where seen.insert(team.id).inserted && team.displayName.trimmingWhitespace().lowercased() == shown {
            matches.append(team)
        }
        guard matches.count <= 1 else {
            throw MattermostError.teamAmbiguous(text, names: matches.map(\.name).sorted())
        }
        // A link names its team in its path: say that name, not the whole link.
        guard let team = matches.first else { throw MattermostError.teamNotFound(fromLink ? name : text) }
        return team
    }

    /// The host of a link an admin wrote, lower case; nil for a team's name or display name.
    static func linkHost(_ text: String) -> String? { link(text)?.host }

    /// What an admin wrote as a link (with or without `https://`: a host with a dot or a
    /// port, or `localhost`, then a path); nil for a display name such as "R/D".
    static func link(_ text: String) -> URL? {
        let bare = text.trimmingCharacters(in: ["/"]).lowercased()
        guard bare.contains("/"), !bare.contains(where: \.isWhitespace) else { return nil }
        if bare.contains("://") { return URL(string: bare) }
        let host = bare.prefix { $0 != "/" }
        guard host.contains(".") || host.contains(":") || host == "localhost" else { return nil }
        return URL(string: "https://" + bare)
    }

    /// The team's name in what an admin wrote: the first folder of a link into the team
    /// (after the server's own path, for a Mattermost under one), else the text itself, in
    /// lower case (team names are).
    static func teamName(in text: String, server: String) -> String {
        let bare = text.trimmingCharacters(in: ["/"]).lowercased()
        guard let link = link(text) else { return bare }
        var folders = link.path.split(separator: "/")
        let serverFolders = URL(string: server.lowercased())?.path.split(separator: "/") ?? []
        if folders.starts(with: serverFolders) { folders.removeFirst(serverFolders.count) }
        return folders.first.map(String.init) ?? bare
    }

    /// Whether `name` can be a team's name: 2 to 64 of a–z, 0–9, `-` and `_`, starting
    /// and ending with a letter or digit (the server refuses to look any other up).
    static func isTeamName(_ name: String) -> Bool {
        guard (2...64).contains(name.unicodeScalars.count), let first = name.unicodeScalars.first, let last = name.unicodeScalars.last else {
            return false
        }
        func alphanumeric(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        return alphanumeric(first) && alphanumeric(last) && name.unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "-" || $0 == "_" }
    }

    /// Step 3: the default agents, by username (with or without `@`). Unknown names are
    /// reported by name; the relay user is always included; users who are not in the team
    /// are added to it.
    public func agents(_ usernames: [String], team: MMTeam) async throws -> [MMUser] {
        var wanted: [String] = []
        for name in usernames.map({ $0.trimmingWhitespace().lowercased() }) {
            let name = name.hasPrefix("@") ? String(name.dropFirst()) : name
            if !name.isEmpty, !wanted.contains(name) { wanted.append(name) }
        }
        let found = try await client.users(usernames: wanted)
        let missing = wanted.filter { name in !found.contains { $0.username.lowercased() == name } }
        guard missing.isEmpty else { throw MattermostError.usersNotFound(missing) }
        var agents = [relayUser]
        for user in found where user.id != relayUser.id && user.deleteAt == 0 { agents.append(user) }
        for user in agents where !(try await client.isTeamMember(teamID: team.id, userID: user.id)) {
            try await client.addTeamMember(teamID: team.id, userID: user.id)
        }
        return agents
    }

    /// Where new chats are announced.
    public enum IndexChannel: Sendable, Equatable {
        case existing(String)
        case create(String)
    }

    /// Step 4: the index channel, found or created (public, with the relay user and the
    /// agents in it; a new one's purpose in `language`, that of Baton's posts).
    public func indexChannel(_ choice: IndexChannel, team: MMTeam, agents: [MMUser], language: String? = nil) async throws -> MMChannel {
        let channel: MMChannel
        switch choice {
        case .existing(let name):
            let name = Self.channelName(from: name, asNew: false)
            guard let found = try await client.channel(teamID: team.id, name: name), found.deleteAt == 0 else {
                throw MattermostError.channelNotFound(name)
            }
            channel = found
        case .create(let displayName):
            guard !displayName.trimmingWhitespace().isEmpty else { throw MattermostError.channelNotFound(displayName) }
            let name = Self.newChannelName(from: displayName)
            // Connecting again finds the channel made the first time, also under the name an
            // earlier Baton gave it (which kept "_" as written).
            let earlier = Self.channelName(from: displayName, asNew: false)
            var found: MMChannel?
            for candidate in [name, earlier] where found == nil && !candidate.isEmpty {
                if let channel = try await client.channel(teamID: team.id, name: candidate), channel.deleteAt == 0 { found = channel }
            }
            if let found {
                channel = found
            } else {
                channel = try await client.createChannel(teamID: team.id, name: name, displayName: String(displayName.trimmingWhitespace().prefix(scalars: 64)),
                                                         purpose: AgentWords(language: language)(.indexPurpose))
            }
        }
        try await client.addChannelMembers(channelID: channel.id, userIDs: agents.map(\.id), teamID: team.id)
        return channel
    }

    /// The settings to store for the widget.
    public func settings(team: MMTeam, agents: [MMUser], indexChannel: MMChannel, closeCommand: String = "!close",
                         internalPrefix: String = "//", archiveOnClose: Bool = false, rooms: MattermostSettings.RoomKind = .channel,
                         language: String = "en") -> MattermostSettings {
        let auth: MattermostSettings.AuthKind = if case .token = client.credentials { .token } else { .password }
        return MattermostSettings(url: client.baseURL, auth: auth, relayUser: .init(id: relayUser.id, name: relayUser.username),
                                  team: .init(id: team.id, name: team.name, displayName: team.displayName),
                                  indexChannel: .init(id: indexChannel.id, name: indexChannel.name, displayName: indexChannel.displayName),
                                  agents: agents.map { .init(id: $0.id, name: $0.username) }, closeCommand: closeCommand,
                                  // Threads stay (the index channel is never archived), and so do
                                  // channel rooms left from before: as the wizard's box, off.
                                  internalPrefix: internalPrefix, archiveOnClose: archiveOnClose && rooms == .channel, rooms: rooms,
                                  language: language)
    }

    /// A new channel's name from its display name: "Live Chats" → "live-chats"; one
    /// without letters a name can hold ("Онлайн-чаты", "ライブチャット") gets "chats-" and
    /// 12 hex digits of its digest, the same each time (connecting again finds it).
    static func newChannelName(from displayName: String) -> String {
        let name = channelName(from: displayName)
        guard name.count < 2 else { return name }
        let text = displayName.trimmingWhitespace().lowercased()
        return "chats-" + Hex.string(SHA256.hash(data: Array(text.utf8)).prefix(6))
    }

    /// A channel name from what a person typed: "Live Chats" → "live-chats". `asNew`: for
    /// a channel Baton makes, a name every server takes (starting and ending with a letter
    /// or digit, no "__", which older servers refuse); otherwise (an existing channel's
    /// name, as written) its "_" stay as they are.
    static func channelName(from text: String, asNew: Bool = true) -> String {
        var name = ""
        for scalar in text.trimmingWhitespace().lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" {
                name.unicodeScalars.append(scalar)
            } else if scalar == "_" {
                if !(asNew && name.hasSuffix("_")) { name += "_" }
            } else if !name.hasSuffix("-") {
                name += "-"
            }
        }
        let edges: Set<Character> = asNew ? ["-", "_"] : ["-"]
        func trimmed(_ text: Substring) -> String {
            var text = text
            while let last = text.last, edges.contains(last) { text.removeLast() }
            while let first = text.first, edges.contains(first) { text.removeFirst() }
            return String(text)
        }
        return trimmed(Substring(trimmed(Substring(name)).prefix(64)))
    }
}

/// Reads and writes widgets' Mattermost connections: settings as JSON, the credential
/// sealed with the `CredentialBox`.
public struct MattermostConnections: Sendable {
    public let store: any AgentStore
    public let box: CredentialBox

    public init(store: any AgentStore, box: CredentialBox) {
        self.store = store
        self.box = box
    }

    public func save(_ settings: MattermostSettings, credentials: MattermostCredentials, widgetKey: String) async throws {
        let secret: String = switch credentials {
        case .password(_, let password): password
        case .token(let token): token
        }
        let now = Millis.now()
        let existing = try await store.integration(widgetKey: widgetKey, kind: MattermostSettings.kind)
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        try await store.saveIntegration(Integration(widgetKey: widgetKey, kind: MattermostSettings.kind, settings: json,
                                                    secret: try box.seal(secret, context: widgetKey),
                                                    createdAt: existing?.createdAt ?? now, updatedAt: max(now, (existing?.updatedAt ?? 0) + 1)))
        // Tasks that failed under the old settings get another chance at once.
        try await store.rescheduleTasks(widgetKey: widgetKey, at: now)
    }

    public func load(widgetKey: String) async throws -> (MattermostSettings, MattermostCredentials)? {
        guard let integration = try await store.integration(widgetKey: widgetKey, kind: MattermostSettings.kind) else { return nil }
        return try decode(integration)
    }

    func decode(_ integration: Integration) throws -> (MattermostSettings, MattermostCredentials) {
        let settings = try JSONDecoder().decode(MattermostSettings.self, from: Data(integration.settings.utf8))
        let secret = try box.open(integration.secret, context: integration.widgetKey)
        let credentials: MattermostCredentials = switch settings.auth {
        case .password: .password(username: settings.relayUser.name, password: secret)
        case .token: .token(secret)
        }
        return (settings, credentials)
    }

    public func delete(widgetKey: String) async throws {
        try await store.deleteIntegration(widgetKey: widgetKey, kind: MattermostSettings.kind)
    }
}
