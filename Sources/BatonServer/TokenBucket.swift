import BatonCore

/// A token bucket: `rate` actions a second on average, bursts of up to `burst`.
struct TokenBucket: Sendable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    /// When a token was last asked for.
    var lastUse: ContinuousClock.Instant { last }

    init(rate: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        tokens = self.burst
        last = now
    }

    /// Takes `cost` tokens if there are enough; otherwise returns how long until there are.
    /// A time before the last one asked for (several connections' arrivals) counts as it.
    mutating func take(_ cost: Double = 1, now: ContinuousClock.Instant = .now) -> Duration? {
        let now = max(now, last)
        let elapsed = now - last
        last = now
        tokens = min(burst, tokens + elapsed.seconds * rate)
        if tokens >= cost {
            tokens -= cost
            return nil
        }
        // At most a day: a tiny rate would otherwise give a wait beyond Int64's range.
        return .milliseconds(Int64(min((cost - tokens) / rate * 1000, 86_400_000).rounded(.up)))
    }
}
