import NIOCore

/// A channel's event loop as a Swift task executor: a widget's request loop runs on the
/// thread that reads and writes its socket.
///
/// Without it every frame crosses threads twice before any work is done (the event loop
/// hands it to a task on Swift's pool, which wakes a pool thread), and every answer once
/// more on its way back. Handling a frame never blocks (reads are microseconds, writes go
/// to the store's writer thread), so the event loop stays free for the other sockets.
final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
