import BatonCore
import Synchronization

/// How much each visitor may upload: a token bucket of bytes per visitor (in this
/// process), so one visitor cannot fill the disk by sending file after file. A file costs
/// its size, and at least 100 KB, so that many small files cost too.
final class UploadLimiter: Sendable {
    private let rate: Double
    private let burst: Int
    private let buckets = Mutex<[VisitorID: TokenBucket]>([:])
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
}
