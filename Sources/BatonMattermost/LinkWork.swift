/// Work a link starts besides its loops (a room's queued events, a stalled room's
/// recovery, a membership check tried again later): children of the link's task group,
/// not tasks of their own, so that stopping the link cancels them and waits for them, and
/// none goes on for a link that is gone.
final class LinkWork: Sendable {
    typealias Work = @Sendable () async -> Void
    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Work.self) }

    /// Starts `work` in the link's group (nothing once the link stopped).
    @Sendable func start(_ work: @escaping Work) { continuation.yield(work) }

    /// Adds what is started to `group` until `finish`. (A discarding group: a plain one
    /// keeps every finished child until it is awaited, and a link starts thousands.)
    func run(in group: inout DiscardingTaskGroup) async {
        for await work in stream { group.addTask(operation: work) }
    }

    func finish() { continuation.finish() }
}
