/// Watching the sandbox as it changes, for load generators that time what clients do
/// without polling (`posts(in:)` copies a whole channel).
extension MattermostSandbox {
    /// Calls `handler` for every post created from now on — through the REST API, the
    /// acting helpers, or as a system post — in creation order, once stored and broadcast.
    ///
    /// The handler runs under the sandbox's lock, on the thread that created the post: keep
    /// it short, and never call the sandbox from it (the lock is not reentrant). Handlers
    /// stay for the sandbox's lifetime.
    public func onPost(_ handler: @escaping @Sendable (Post) -> Void) {
        core.world.withLock { $0.postObservers.append(handler) }
    }
}
