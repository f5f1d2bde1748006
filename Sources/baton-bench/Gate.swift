import BatonCore
import Foundation
import Synchronization

/// A value that becomes known once, which any number of tasks wait for: the start signal
/// of a phase, the moment a room was announced.
///
/// Waiting is cancellation-aware (a cancelled waiter gets nil), so a wait can always be
/// bounded with `wait(timeout:)`.
final class Gate<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Sets the value (the first call wins) and wakes every waiter.
    func open(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    var value: Value? { state.withLock { $0.value } }

    /// The value, once known; nil if the task is cancelled first.
    func wait() async -> Value? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                // Checked under the lock: either the cancellation handler finds the waiter
                // registered, or the registration sees the cancellation.
                let ready: Value?? = state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// The value, or nil when it is not known within `timeout`.
    func wait(timeout: Duration) async -> Value? {
        await firstValue(within: timeout) { await self.wait() }
    }
}

/// Runs `body` and returns its result, or nil when it has none within `timeout` (`body` is
/// then cancelled and must return promptly when it is).
func firstValue<T: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async -> T?) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var result: T?
        // The first to finish decides; the other is cancelled, but a value it delivered
        // in the same instant is kept rather than lost.
        if let first = await group.next(), let first { result = first }
        group.cancelAll()
        for await other in group where result == nil { result = other }
        return result
    }
}

/// Why a bounded wait gave up.
struct TimeoutError: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "no \(what) within \(seconds.formatted1) s" }
}

extension Duration {
    /// The duration in whole microseconds.
    var microseconds: Int64 {
        let (whole, atto) = components
        return whole * 1_000_000 + atto / 1_000_000_000_000
    }
}

extension Double {
    /// One decimal: `2.5`.
    var formatted1: String { String(format: "%.1f", self) }
}
