import BatonCore
import Foundation

/// A widget's Mattermost connection as stored (the credential is stored apart, encrypted).
public struct MattermostSettings: Sendable, Codable, Hashable {
    public struct Reference: Sendable, Codable, Hashable {
        public var id: String
        public var name: String
        /// What Mattermost shows for a team or channel ("Онлайн-чаты" for ~chats-eb04898d9ab9);
        /// absent for users, and for connections made before Baton kept it.
        public var displayName: String?
        public init(id: String, name: String, displayName: String? = nil) {
            self.id = id
            self.name = name
            self.displayName = displayName
        }

        /// "Онлайн-чаты (~chats-eb04898d9ab9)", or "~live-chats" without a display name or
        /// when it says no more than the name.
        public var channelLabel: String { label(prefix: "~") }
        /// "Sales Team (sales)", or "sales".
        public var teamLabel: String { label(prefix: "") }

        private func label(prefix: String) -> String {
            guard let displayName, !displayName.isEmpty, displayName.lowercased() != name.lowercased() else { return prefix + name }
            return "\(displayName) (\(prefix)\(name))"
        }
    }

    public enum AuthKind: String, Sendable, Codable { case password, token }

    /// Where a handed-over chat happens in Mattermost.
    public enum RoomKind: String, Sendable, Codable, CaseIterable {
        /// A channel of its own, with the agents added; announced in the index channel.
        case channel
        /// A thread in the index channel: the announcement is its first post.
        case thread
    }

    /// The server's address, e.g. `https://chat.example.com`.
    public var url: String
    public var auth: AuthKind
    /// The relay user: Baton posts as this user.
    public var relayUser: Reference
    public var team: Reference
    public var indexChannel: Reference
    /// Users added to every room (the relay user is one of them).
    public var agents: [Reference]
    /// A post that is exactly this closes the chat.
    public var closeCommand: String
    /// Posts starting with this stay in Mattermost.
    public var internalPrefix: String
    /// Archive the room when the chat is closed (channels only: a thread stays).
    public var archiveOnClose: Bool
    /// Where new chats happen. Rooms opened before a change stay what they are.
    public var rooms: RoomKind
    /// The language of what Baton writes to the agents (announcements, notes, the room's
    /// first post): one of `WidgetSettings.languages`.
    public var language: String

    /// What is wrong with a close command or an internal prefix, if anything: the field's
    /// name and why. A blank command would close the chat at a post of a file alone; a
    /// blank prefix would keep every post in Mattermost.
    public static func problem(closeCommand: String, internalPrefix: String) -> (field: String, reason: String)? {
        for (field, value, limit) in [("closeCommand", closeCommand, 64), ("internalPrefix", internalPrefix, 16)] {
            if value.trimmingWhitespace().isEmpty { return (field, "it is blank") }
            if value.count > limit { return (field, "it is longer than \(limit) characters") }
            if value.contains(where: \.isNewline) { return (field, "it spans lines") }
        }
        if closeCommand.hasPrefix(internalPrefix) {
            return ("closeCommand", "it starts with the internal prefix \(internalPrefix), so it would stay in Mattermost")
        }
        return nil
    }

    public init(url: String, auth: AuthKind, relayUser: Reference, team: Reference, indexChannel: Reference, agents: [Reference],
                closeCommand: String = "!close", internalPrefix: String = "//", archiveOnClose: Bool = false, rooms: RoomKind = .channel,
                language: String = "en") {
        self.url = url
        self.auth = auth
        self.relayUser = relayUser
        self.team = team
        self.indexChannel = indexChannel
        self.agents = agents
        self.closeCommand = closeCommand
        self.internalPrefix = internalPrefix
        self.archiveOnClose = archiveOnClose
        self.rooms = rooms
        self.language = language
    }

    private enum CodingKeys: String, CodingKey {
        case url, auth, relayUser, team, indexChannel, agents, closeCommand, internalPrefix, archiveOnClose, rooms, language
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        auth = try c.decode(AuthKind.self, forKey: .auth)
        relayUser = try c.decode(Reference.self, forKey: .relayUser)
        team = try c.decode(Reference.self, forKey: .team)
        indexChannel = try c.decode(Reference.self, forKey: .indexChannel)
        agents = try c.decode([Reference].self, forKey: .agents)
        closeCommand = try c.decode(String.self, forKey: .closeCommand)
        internalPrefix = try c.decode(String.self, forKey: .internalPrefix)
        archiveOnClose = try c.decode(Bool.self, forKey: .archiveOnClose)
        // Settings saved before threads existed are channel rooms.
        rooms = try c.decodeIfPresent(RoomKind.self, forKey: .rooms) ?? .channel
        // Settings saved before the agents' language existed are English.
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? "en"
    }

    /// `language`'s name in English ("German").
    public var languageName: String { AgentWords.english.languageName(language) }

    /// The link that joins a channel: `SITE/TEAM/channels/NAME`.
    public func link(toChannel name: String) -> String { "\(url)/\(team.name)/channels/\(name)" }

    /// The permanent link to a post (it opens the post's thread): `SITE/TEAM/pl/ID`.
    public func link(toPost id: String) -> String { "\(url)/\(team.name)/pl/\(id)" }

    public static let kind = "mattermost"
}

/// Encrypts credentials at rest with AES-GCM. The key comes from `BATON_SECRET_KEY`
/// (32 bytes in base64, or any passphrase, hashed to 32 bytes), or from a key file
/// created on first use with permissions 0600.
public struct CredentialBox: Sendable {
    let key: [UInt8]
    /// The key file was made just now (there was none).
    public var created = false

    public init(key: [UInt8]) { self.key = key }

    /// The key from the environment, else from `keyFile` (created when missing).
    public static func load(environment: [String: String], keyFile: String) throws -> CredentialBox {
        if let text = environment["BATON_SECRET_KEY"]?.trimmingWhitespace(), !text.isEmpty {
            return CredentialBox(key: SecretCipher.key(from: text))
        }
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: keyFile, isDirectory: &isFolder) {
            guard !isFolder.boolValue else { throw CredentialError.unreadableKeyFile(keyFile, reason: "it is a folder") }
            let text: String
            do {
                text = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingWhitespace()
            } catch {
                // (Made by another user, most often: `sudo baton …` rather than `sudo -u baton baton …`.)
                throw CredentialError.unreadableKeyFile(keyFile, reason: manager.isReadableFile(atPath: keyFile)
                    ? "\((error as NSError).localizedDescription)" : "this user may not read it")
            }
            guard let bytes = Base64URL.decode(text), bytes.count == 32 else {
                throw CredentialError.badKeyFile(keyFile)
            }
            return CredentialBox(key: bytes)
        }
        let bytes = SecretCipher.randomKey()
        // Create with 0600 from the start: the key never exists with wider permissions.
        guard manager.createFile(atPath: keyFile, contents: Data((Base64URL.encode(bytes) + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CredentialError.cannotCreateKeyFile(keyFile)
        }
        var box = CredentialBox(key: bytes)
        box.created = true
        return box
    }

    /// Encrypts `secret` bound to `context` (the widget key): a ciphertext copied to
    /// another widget's row does not decrypt.
    public func seal(_ secret: String, context: String) throws -> [UInt8] {
        try SecretCipher.seal(Array(secret.utf8), key: key, context: Array(context.utf8))
    }

    /// The widget keys of the connections whose credentials this key does not open.
    public func unreadable(_ integrations: [Integration]) -> [String] {
        integrations.filter { (try? open($0.secret, context: $0.widgetKey)) == nil }.map(\.widgetKey)
    }

    public func open(_ sealed: [UInt8], context: String) throws -> String {
        String(decoding: try SecretCipher.open(sealed, key: key, context: Array(context.utf8)), as: UTF8.self)
    }
}

public enum CredentialError: Error, CustomStringConvertible {
    case badKeyFile(String)
    case cannotCreateKeyFile(String)
    case unreadableKeyFile(String, reason: String)
    case cannotDecrypt

    public var description: String {
        switch self {
        case .badKeyFile(let path): "The key file \(path) does not hold a 32-byte base64 key."
        case .cannotCreateKeyFile(let path): "Cannot create the key file \(path); check the folder's permissions."
        case .unreadableKeyFile(let path, let reason):
            "Cannot read the key file \(path): \(reason). It must be a file the user running Baton may read (check its owner and "
                + "permissions; whoever ran Baton first made it, readable by them alone), or give another with --secret-key-file "
                + "or BATON_SECRET_KEY_FILE."
        case .cannotDecrypt: "A stored credential cannot be decrypted: the secret key (BATON_SECRET_KEY or the key file) is not the one it was saved with. Connect Mattermost again."
        }
    }
}
