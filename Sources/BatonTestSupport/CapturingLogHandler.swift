import Logging
import Synchronization

/// The lines a `CapturingLogHandler` kept.
public final class LoggedLines: Sendable {
    public let lines = Mutex<[String]>([])

    public init() {}
}

/// Keeps every line logged to it, with its metadata.
public struct CapturingLogHandler: LogHandler {
    public let logged: LoggedLines
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]

    public init(logged: LoggedLines) { self.logged = logged }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                    function: String, line: UInt) {
        logged.lines.withLock { $0.append("\(level) \(message) \(self.metadata.merging(metadata ?? [:]) { $1 })") }
    }
}
