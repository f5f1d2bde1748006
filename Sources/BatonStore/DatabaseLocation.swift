import Foundation

/// Where the data lives: a SQLite file (the default, `./baton.sqlite`) or a PostgreSQL
/// database.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Reads `baton.sqlite`, `sqlite:baton.sqlite`, `sqlite:///var/lib/baton.sqlite` or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…` (also `postgresql://`).
    public init(parsing text: String) throws(StoreOpenError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
            return
        }
        var path = text
        if path.hasPrefix("sqlite://") { path.removeFirst("sqlite://".count) } else if path.hasPrefix("sqlite:") { path.removeFirst("sqlite:".count) }
        // Another database's URL (mysql://…) is no file name: it would make a SQLite file
        // in a folder named "mysql:".
        if let scheme = text.range(of: "://").map({ text[..<$0.lowerBound] }), !scheme.isEmpty,
           scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }), scheme != "sqlite" {
            throw StoreOpenError.invalidLocation("\(scheme)://… (Baton keeps its data in SQLite or PostgreSQL)")
        }
        guard !path.isEmpty, !path.contains("\0") else { throw StoreOpenError.invalidLocation(text) }
        // SQLite's in-memory database belongs to one connection, and Baton opens several
        // (a writer and its readers): each would see an empty database of its own.
        guard path != ":memory:" else { throw StoreOpenError.invalidLocation("\(text) (\(Self.inMemory))") }
        // SQLite reads `file:` as a URI (`file:x.db?mode=memory`): the database would be
        // another file than the one Baton locks (`PATH.lock`), and two Batons could run on it.
        guard !path.lowercased().hasPrefix("file:") else {
            throw StoreOpenError.invalidLocation("\(text) (\(path.lowercased().contains("memory") ? Self.inMemory : Self.uriRefused))")
        }
        self = .sqlite(path: path)
    }

    /// Why `:memory:` is refused. (The reasons hold no parentheses: `BatonConfiguration`
    /// reads them back from the error's.)
    static let inMemory = "an in-memory database would be one per connection, and gone at exit"
    /// Why a SQLite URI (`file:…`) is refused.
    static let uriRefused = "not a SQLite URI: ./file:x.db for a file named so"

    /// The location as it may be logged: a PostgreSQL password is left out.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }
}

/// A PostgreSQL database, from a URL in libpq's form:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
/// `?host=/run/postgresql` connects through that folder's Unix socket instead.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (libpq's default), without checking its certificate.
        case prefer
        /// TLS or nothing, with the server's certificate checked.
        case require
    }

    public var host: String
    public var port: Int
    /// A Unix socket's folder (`?host=/run/postgresql`): connects to `.s.PGSQL.PORT` in it.
    public var socketFolder: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String = "127.0.0.1", port: Int = 5432, socketFolder: String? = nil, username: String,
                password: String? = nil, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.socketFolder = socketFolder
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    public init(parsing text: String) throws(StoreOpenError) {
        func invalid(_ why: String) -> StoreOpenError {
            // The text may hold a password: only its scheme goes into the error.
            StoreOpenError.invalidLocation("\(text.prefix(while: { $0 != ":" }))://… (\(why))")
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw invalid("not a URL")
        }
        guard let user = url.user, !user.isEmpty else { throw invalid("no user name; write postgres://USER@HOST/DATABASE") }
        var database = url.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name; write postgres://USER@HOST/DATABASE") }
        username = user
        password = url.password
        self.database = database
        host = url.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port out of range") }
        socketFolder = nil
        tls = .prefer
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw invalid("sslmode must be disable, prefer or require")
                }
            case "host":
                guard let folder = item.value, folder.hasPrefix("/") else { throw invalid("host= must be a socket folder") }
                socketFolder = folder
            case "application_name", "fallback_application_name", "connect_timeout", "keepalives", "keepalives_idle",
                 "keepalives_interval", "keepalives_count", "target_session_attrs":
                // libpq's, without a meaning for Baton's connections: left alone.
                break
            default:
                throw invalid("the parameter \(item.name) is not one Baton reads (it reads sslmode and host, and passes over libpq's "
                              + "application_name, connect_timeout, keepalives… and target_session_attrs)")
            }
        }
    }

    /// The Unix socket's path, when connecting through one.
    public var socketPath: String? { socketFolder.map { "\($0)/.s.PGSQL.\(port)" } }

    public var description: String {
        let at = socketFolder.map { "\($0) port \(port)" } ?? "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return "postgres://\(username)@\(at)/\(database)"
    }
}
