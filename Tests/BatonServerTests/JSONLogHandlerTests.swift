import BatonServer
import Foundation
import Logging
import Synchronization
import Testing

/// The JSON log's lines: one object each, whatever the message holds.
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    func logger(_ lines: Lines) -> Logger {
        var logger = Logger(label: "baton") { label in JSONLogHandler(label: label) { line in lines.all.withLock { $0.append(line) } } }
        logger.logLevel = .debug
        logger[metadataKey: "bot"] = "demo"
        return logger
    }

    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line: \(line)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aLineHoldsTheEventAndItsMetadata() throws {
        let lines = Lines()
        let log = logger(lines)
        log.info("Line one\nline \"two\" <b>", metadata: ["bot": "shop", "count": "\(3)", "nested": ["a": ["1", "2"], "b": "x"]])
        log.debug("quiet")
        log.trace("not written")
        struct Failure: Error, CustomStringConvertible { var description: String { "disk full" } }
        log.error("Could not write", error: Failure())
        let written = lines.all.withLock { $0 }
        #expect(written.count == 3)
        let first = try object(written[0])
        #expect(first["level"] as? String == "info")
        #expect(first["label"] as? String == "baton")
        #expect(first["source"] as? String == "BatonServerTests")
        #expect(first["message"] as? String == "Line one\nline \"two\" <b>")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["bot"] as? String == "shop", "the message's metadata wins over the logger's")
        #expect(metadata["count"] as? String == "3")
        #expect((metadata["nested"] as? [String: Any])?["a"] as? [String] == ["1", "2"])
        let time = try #require(first["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
        #expect((try object(written[1])["metadata"] as? [String: Any])?["bot"] as? String == "demo")
        let third = try object(written[2])
        #expect(third["level"] as? String == "error")
        #expect(third["error"] as? String == "disk full")
    }

    @Test func theFormatIsASetting() throws {
        #expect(try BatonConfiguration.fromEnvironment([:]).logFormat == .text)
        #expect(try BatonConfiguration.fromEnvironment(["BATON_LOG_FORMAT": "JSON"]).logFormat == .json)
        #expect(throws: ConfigurationError.self) { try BatonConfiguration.fromEnvironment(["BATON_LOG_FORMAT": "xml"]) }
    }
}
