import Foundation
import Synchronization

/// A thread of its own for the store's writes, as a task executor: code run under
/// `withTaskExecutorPreference(writerThread)` runs here until it returns.
///
/// A group-commit batch is SQL statements that never suspend and one disk sync at the
/// commit; running the whole batch here is one hop there and one back, and a slow disk
/// holds this thread, never one of the few that serve visitors.
final class WriterThread: TaskExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var head = 0
        var stopped = false
        /// Resumed when the thread has ended (`stop()`'s callers).
        var waiters: [CheckedContinuation<Void, Never>] = []
        var ended = false
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let thread = Mutex<pthread_t?>(nil)

    init(name: String) {
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            self.thread.withLock { $0 = pthread_self() }
            started.signal()
            loop()
        }
        thread.name = name
        thread.start()
        started.wait()
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool {
        guard let thread = thread.withLock({ $0 }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    /// Runs what is queued, then ends the thread; jobs enqueued later never run. The
    /// caller is suspended meanwhile, not blocked: a job still running (a checkpoint's
    /// sync) must not hold one of the few threads of Swift's pool.
    func stop() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let ended = queue.withLock { queue in
                queue.stopped = true
                if !queue.ended { queue.waiters.append(waiter) }
                return queue.ended
            }
            if ended { waiter.resume() } else { wake.signal() }
        }
    }

    private func loop() {
        let executor = asUnownedTaskExecutor()
        while true {
            wake.wait()
            while let job = next() { job.runSynchronously(on: executor) }
            if queue.withLock({ $0.stopped }) { break }
        }
        let waiters = queue.withLock { queue in
            queue.ended = true
            defer { queue.waiters = [] }
            return queue.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func next() -> UnownedJob? {
        queue.withLock { queue in
            guard queue.head < queue.jobs.count else {
                queue.jobs.removeAll(keepingCapacity: true)
                queue.head = 0
                return nil
            }
            defer { queue.head += 1 }
            return queue.jobs[queue.head]
        }
    }
}
