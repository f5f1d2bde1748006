import CoreMetrics

/// What the Mattermost links count, through swift-metrics' API (the server reports it at
/// `/metrics`): posts Baton made, visitor messages relayed in them, and task attempts
/// that failed (each is retried).
public struct LinkMetrics: Sendable {
    let posts: Counter
    let relayedMessages: Counter
    let failedAttempts: Counter

    public init(factory: any MetricsFactory) {
        posts = Counter(label: "baton_mattermost_posts_total", factory: factory)
        relayedMessages = Counter(label: "baton_relayed_messages_total", factory: factory)
        failedAttempts = Counter(label: "baton_mattermost_failed_attempts_total", factory: factory)
    }

    /// Counts nothing.
    public static let none = LinkMetrics(factory: NOOPMetricsHandler.instance)
}
