import BatonCore
import Synchronization

/// How much each visitor may upload: a token bucket of bytes per visitor (in this
/// process), so one visitor cannot fill the disk by sending file after file. A file costs
/// its size, and at least 100 KB, so that many small files cost too. A visitor's uploads
/// on their way are few at a time, so that one ticket cannot hold many connections, each
/// with a file's worth of memory.
final class UploadLimiter: Sendable {
    private let rate: Double
    private let burst: Int
    private let buckets = Mutex<[VisitorID: TokenBucket]>([:])
    private let inFlight = Mutex<[VisitorID: Int]>([:])

    /// A visitor's uploads being received at once, at most (the widget sends one at a time).
    static let maxInFlight = 3
    /// Visitors remembered at most; beyond, the map starts over (limits relax briefly).
    private let capacity = 10_000

    static let minimumCost = 100_000

    /// - Parameter maxFileBytes: the largest file: a visitor may send five at once, then
    ///   one a minute.
    init(maxFileBytes: Int) {
        let size = max(maxFileBytes, Self.minimumCost)
        burst = 5 * size
        rate = Double(size) / 60
    }

    /// Takes the cost of a file of `size` bytes; returns how long to wait when over.
    func take(_ size: Int, by visitor: VisitorID, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            if buckets[visitor] == nil, buckets.count >= capacity { buckets.removeAll(keepingCapacity: true) }
            var bucket = buckets[visitor] ?? TokenBucket(rate: rate, burst: burst, now: now)
            let wait = bucket.take(Double(max(size, Self.minimumCost)), now: now)
            buckets[visitor] = bucket
            return wait
        }
    }

    /// Counts an upload on its way: false when the visitor has `maxInFlight` already.
    /// Each true is followed by one `finished(by:)`.
    func start(by visitor: VisitorID) -> Bool {
        inFlight.withLock { inFlight in
            let count = inFlight[visitor, default: 0]
            guard count < Self.maxInFlight else { return false }
            inFlight[visitor] = count + 1
            return true
        }
    }

    func finished(by visitor: VisitorID) {
        inFlight.withLock { inFlight in
            let count = inFlight[visitor, default: 1] - 1
            inFlight[visitor] = count > 0 ? count : nil
        }
    }
}
