import BatonCore
import Foundation
import Logging
import Synchronization

/// How `baton serve` writes its log (`--log-format`): lines for a person, or one JSON
/// object a line for a log collector (journald with a JSON parser, Loki, Elasticsearch…).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// One JSON object a line, to standard error like the text log:
///
///     {"time":"2026-12-05T07:40:03.123Z","level":"info","label":"baton","source":"BatonMattermost",
///      "message":"Mattermost connection started","metadata":{"bot":"demo","url":"http://…"}}
///
/// `metadata` (the logger's and the message's, the message's winning) is left out when
/// empty; an error passed with the message is in `error`. Nested metadata stays nested
/// (lists as arrays, dictionaries as objects); everything else is a string.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    /// Writes each line with `write` (standard error by default; tests collect them).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.field("time", Self.timestamp(Date()))
            json.field("level", event.level.rawValue)
            json.field("label", label)
            json.field("source", event.source)
            json.field("message", event.message.description)
            if let error = event.error { json.field("error", String(describing: error)) }
            if !merged.isEmpty {
                json.key("metadata")
                Self.write(.dictionary(merged), into: &json)
            }
        }
        write(json.string + "\n")
    }

    private static func write(_ value: Logger.Metadata.Value, into json: inout JSONWriter) {
        switch value {
        case .string(let text): json.string(text)
        case .stringConvertible(let item): json.string(item.description)
        case .array(let items): json.array(items) { json, item in write(item, into: &json) }
        case .dictionary(let members):
            json.object { json in
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    json.key(named: key)
                    write(member, into: &json)
                }
            }
        }
    }

    /// UTC, with milliseconds (RFC 3339).
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true)
            .timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// Whole lines to standard error, one writer at a time.
    public static let standardError: @Sendable (String) -> Void = { line in
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static let lock = Mutex(())
}
