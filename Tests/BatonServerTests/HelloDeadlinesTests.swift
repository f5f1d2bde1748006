@testable import BatonServer
import Synchronization
import Testing

@Suite struct HelloDeadlinesTests {
    @Test func aDeadlineExpiresOnceWhenItsTimePasses() {
        let deadlines = HelloDeadlines(timeout: .seconds(10))
        let expired = Atomic(0)
        _ = deadlines.start { expired.add(1, ordering: .relaxed) }
        deadlines.sweep(now: .now + .seconds(5))
        #expect(expired.load(ordering: .relaxed) == 0)
        deadlines.sweep(now: .now + .seconds(11))
        deadlines.sweep(now: .now + .seconds(12))
        #expect(expired.load(ordering: .relaxed) == 1)
        #expect(deadlines.pending == 0)
    }

    @Test func anEndedDeadlineNeverExpires() {
        let deadlines = HelloDeadlines(timeout: .seconds(10))
        let expired = Atomic(0)
        let first = deadlines.start { expired.add(1, ordering: .relaxed) }
        let second = deadlines.start { expired.add(10, ordering: .relaxed) }
        #expect(deadlines.end(first))
        #expect(!deadlines.end(first))
        deadlines.sweep(now: .now + .seconds(11))
        #expect(expired.load(ordering: .relaxed) == 10)
        #expect(!deadlines.end(second), "already expired")
    }
}
