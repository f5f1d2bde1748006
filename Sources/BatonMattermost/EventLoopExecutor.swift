import NIOCore

/// An event loop as a Swift task executor: a widget's request loop runs on the thread that
/// reads and writes its socket, and a Mattermost link's work on the thread of its HTTP
/// connections and event stream.
///
/// Without it every frame crosses threads twice before any work is done (the event loop
/// hands it to a task on Swift's pool, which wakes a pool thread), and every answer once
/// more on its way back. Handling a frame never blocks (reads are microseconds, writes go
/// to the store's writer thread), so the event loop stays free for the other sockets.
public final class EventLoopExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
