import Histogram
import Synchronization

/// Latency percentiles of one phase, in milliseconds.
struct LatencySummary: Codable, Sendable {
    var count: Int
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double
    var mean: Double
}

/// Latencies recorded into an HdrHistogram: microsecond resolution, three significant
/// digits, up to 60 s (longer ones count as 60 s).
final class LatencyRecorder: Sendable {
    private static let highest: UInt64 = 60_000_000
    private let histogram = Mutex(Histogram<UInt64>(highestTrackableValue: highest, numberOfSignificantValueDigits: .three))

    func record(_ latency: Duration) {
        let micros = min(UInt64(clamping: max(1, latency.microseconds)), Self.highest)
        histogram.withLock { _ = $0.record(micros) }
    }

    var summary: LatencySummary? {
        histogram.withLock { histogram in
            guard histogram.totalCount > 0 else { return nil }
            func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
            return LatencySummary(count: Int(histogram.totalCount), p50: ms(histogram.valueAtPercentile(50)),
                                  p90: ms(histogram.valueAtPercentile(90)), p99: ms(histogram.valueAtPercentile(99)),
                                  max: ms(histogram.max), mean: histogram.mean / 1000)
        }
    }
}

/// What went wrong in a phase, by kind.
struct ErrorCounts: Codable, Sendable {
    /// `error` frames received, by code.
    var frames: [String: Int] = [:]
    /// Messages never answered within the drain timeout after sending stopped.
    var timeouts = 0
    /// Connections that could not be opened, greeted or prepared.
    var connectionFailures = 0
    /// Anything else (a connection lost mid-phase, an unreadable frame), by description.
    var other: [String: Int] = [:]
    /// The first connection failure, to tell the user what broke.
    var firstFailure: String?

    var total: Int { frames.values.reduce(0, +) + timeouts + connectionFailures + other.values.reduce(0, +) }
}

/// Errors of a phase, counted from every connection.
final class ErrorTally: Sendable {
    private let counts = Mutex(ErrorCounts())

    func frame(_ code: String) { counts.withLock { $0.frames[code, default: 0] += 1 } }
    func timeouts(_ count: Int) { counts.withLock { $0.timeouts += count } }
    func other(_ what: String) { counts.withLock { $0.other[what, default: 0] += 1 } }

    func connectionFailed(_ reason: String) {
        counts.withLock {
            $0.connectionFailures += 1
            if $0.firstFailure == nil { $0.firstFailure = reason }
        }
    }

    var snapshot: ErrorCounts { counts.withLock { $0 } }
}

/// Permission to have one more message in flight on a connection (saturation phases keep
/// a fixed window of messages in flight per connection).
final class Credits: Sendable {
    private struct State {
        var waiting: Int
        var spend: (@Sendable () -> Void)?
        var finished = false
    }

    private let state: Mutex<State>

    init(initial: Int) { state = Mutex(State(waiting: initial)) }

    /// From now on a credit is spent by `spend` as it comes; those waiting are spent now.
    func start(_ spend: @escaping @Sendable () -> Void) {
        let waiting = state.withLock { state -> Int in
            guard !state.finished else { return 0 }
            state.spend = spend
            defer { state.waiting = 0 }
            return state.waiting
        }
        for _ in 0..<waiting { spend() }
    }

    func give() {
        let spend = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.finished else { return nil }
            if state.spend == nil { state.waiting += 1 }
            return state.spend
        }
        spend?()
    }

    func finish() {
        state.withLock {
            $0.finished = true
            $0.spend = nil
        }
    }
}

/// Messages in flight in a phase, by probe id: when each was sent, so that its answer —
/// seen on a visitor's socket or in the Mattermost stand-in — gives its latency.
final class ProbeTable: Sendable {
    private struct Entry {
        let connection: Int
        let sentAt: ContinuousClock.Instant
    }

    private struct State {
        var nextID = 1
        var inFlight: [Int: Entry] = [:]
        var sent = 0
        var completed = 0
        var completedInWindow = 0
        var carriers = 0
        var windowEnd: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    let latency = LatencyRecorder()
    /// Time to the `ack` (the message is durably stored), where the scenario sees one.
    let ackLatency = LatencyRecorder()
    let errors: ErrorTally
    /// Per connection, for saturation phases.
    let credits: [Credits]

    init(errors: ErrorTally, credits: [Credits] = []) {
        self.errors = errors
        self.credits = credits
    }

    /// A new probe sent from `connection` now (or at `time`); returns its id.
    func send(from connection: Int, at time: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            defer { state.nextID += 1 }
            state.inFlight[state.nextID] = Entry(connection: connection, sentAt: time)
            state.sent += 1
            return state.nextID
        }
    }

    /// The probe could not be sent after all (its credit is not given back: the
    /// connection stops sending).
    func withdraw(_ id: Int) {
        state.withLock { state in
            state.sent -= 1
            _ = state.inFlight.removeValue(forKey: id)
        }
    }

    func acknowledged(_ id: Int, at time: ContinuousClock.Instant) {
        guard let sentAt = state.withLock({ $0.inFlight[id]?.sentAt }) else { return }
        ackLatency.record(sentAt.duration(to: time))
    }

    /// The answer to probe `id` was seen at `time`. Unknown ids (already timed out, or of
    /// another phase) are ignored.
    func completed(_ id: Int, at time: ContinuousClock.Instant) {
        let entry = state.withLock { state -> Entry? in
            guard let entry = state.inFlight.removeValue(forKey: id) else { return nil }
            state.completed += 1
            if let end = state.windowEnd, time <= end { state.completedInWindow += 1 }
            return entry
        }
        guard let entry else { return }
        latency.record(entry.sentAt.duration(to: time))
        giveCredit(entry.connection)
    }

    /// A post in the stand-in carried probes of this phase (a relayed post may carry
    /// several visitor messages): counted to tell how many messages a post carries.
    /// Posts without a probe (the transcripts of chats handed over as the phase starts)
    /// do not count.
    func carried(_ ids: [Int], at time: ContinuousClock.Instant) {
        guard !ids.isEmpty else { return }
        state.withLock { $0.carriers += 1 }
        for id in ids { completed(id, at: time) }
    }

    /// Probe `id` was refused with an `error` frame.
    func failed(_ id: Int, code: String) {
        errors.frame(code)
        let entry = state.withLock { $0.inFlight.removeValue(forKey: id) }
        if let entry { giveCredit(entry.connection) }
    }

    /// Completions up to `end` count as within the measured window.
    func setWindowEnd(_ end: ContinuousClock.Instant) { state.withLock { $0.windowEnd = end } }

    var inFlightCount: Int { state.withLock { $0.inFlight.count } }
    var counts: (sent: Int, completed: Int, completedInWindow: Int, carriers: Int) {
        state.withLock { ($0.sent, $0.completed, $0.completedInWindow, $0.carriers) }
    }

    /// Gives up on every probe still in flight: they count as timeouts.
    func expireAll() {
        let expired = state.withLock { state in
            defer { state.inFlight.removeAll() }
            return state.inFlight.count
        }
        errors.timeouts(expired)
    }

    func finishCredits() { for credit in credits { credit.finish() } }

    private func giveCredit(_ connection: Int) {
        if credits.indices.contains(connection) { credits[connection].give() }
    }
}

/// `qq<digits>qq`: the probe id the bench writes into message texts that travel through
/// Mattermost, where only letters and digits are sure to come out unescaped.
enum ProbeToken {
    static func text(_ id: Int, _ prefix: String) -> String { "\(prefix) qq\(id)qq" }

    /// The first probe id in `text`.
    static func id(in text: String) -> Int? { ids(in: text, first: true).first }

    /// Every probe id in `text`, in order: a relayed post may carry several visitor
    /// messages, a line each.
    static func ids(in text: String, first: Bool = false) -> [Int] {
        let bytes = Array(text.utf8)
        var found: [Int] = []
        var index = 0
        while index + 4 < bytes.count {
            if bytes[index] == UInt8(ascii: "q"), bytes[index + 1] == UInt8(ascii: "q") {
                var end = index + 2
                var value = 0
                while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") {
                    value = value * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                if end > index + 2, end + 1 < bytes.count, bytes[end] == UInt8(ascii: "q"), bytes[end + 1] == UInt8(ascii: "q") {
                    found.append(value)
                    if first { return found }
                    index = end + 2
                    continue
                }
            }
            index += 1
        }
        return found
    }
}
