// RestartPlanTests: a restart's pure decisions — how many ranks the hosts left can take while the
// global batch still divides, the doubling backoff and its cap, and restarts counted in the window.
import Foundation
import Testing
@testable import Coordinator

@Suite("RestartPlan")
struct RestartPlanTests {
    struct RanksCase: CustomTestStringConvertible, Sendable {
        let requested: Int
        let slots: Int?
        let batchSize: Int
        let accumulate: Int
        let minRanks: Int
        let expected: Int?
        var testDescription: String {
            "\(requested) requested, \(slots.map(String.init) ?? "any") slots, batch \(batchSize)×\(accumulate), min \(minRanks)"
        }
    }

    @Test("ranks: the most that fit the slots and divide the batch into whole micro-batches, at least min_ranks", arguments: [
        RanksCase(requested: 3, slots: 2, batchSize: 48, accumulate: 1, minRanks: 1, expected: 2),
        RanksCase(requested: 3, slots: 3, batchSize: 50, accumulate: 1, minRanks: 1, expected: 2),
        RanksCase(requested: 3, slots: 3, batchSize: 48, accumulate: 1, minRanks: 1, expected: 3),
        RanksCase(requested: 3, slots: 8, batchSize: 48, accumulate: 1, minRanks: 1, expected: 3),
        RanksCase(requested: 4, slots: nil, batchSize: 48, accumulate: 1, minRanks: 1, expected: 4),
        RanksCase(requested: 4, slots: 3, batchSize: 48, accumulate: 2, minRanks: 1, expected: 3),
        RanksCase(requested: 4, slots: 3, batchSize: 40, accumulate: 2, minRanks: 1, expected: 2),
        RanksCase(requested: 4, slots: 4, batchSize: 12, accumulate: 2, minRanks: 1, expected: 3),
        RanksCase(requested: 4, slots: 4, batchSize: 7, accumulate: 1, minRanks: 1, expected: 1),
        RanksCase(requested: 4, slots: 4, batchSize: 7, accumulate: 2, minRanks: 1, expected: nil),
        RanksCase(requested: 4, slots: 2, batchSize: 48, accumulate: 1, minRanks: 3, expected: nil),
        RanksCase(requested: 3, slots: 3, batchSize: 49, accumulate: 1, minRanks: 2, expected: nil),
        RanksCase(requested: 4, slots: 3, batchSize: 50, accumulate: 1, minRanks: 2, expected: 2),
        RanksCase(requested: 2, slots: 0, batchSize: 48, accumulate: 1, minRanks: 1, expected: nil),
    ])
    func ranks(_ c: RanksCase) {
        let ranks = RestartPlan.ranks(requested: c.requested, slots: c.slots, batchSize: c.batchSize, accumulate: c.accumulate,
                                      minRanks: c.minRanks)
        #expect(ranks == c.expected)
        if let ranks {
            #expect(c.batchSize % (ranks * c.accumulate) == 0 && ranks >= c.minRanks && ranks <= c.requested)
        }
    }

    static func spec(backoff: Double, window: Double = 1800, max: Int = 3) -> RestartSpec {
        var spec = RestartSpec()
        (spec.backoff, spec.window, spec.max) = (backoff, window, max)
        return spec
    }

    @Test("delay doubles with each earlier restart in the window, capped at the backoff limit", arguments: [
        (10.0, 0, 10.0), (10, 1, 20), (10, 2, 40), (10, 4, 160), (10, 5, 300), (10, 1000, 300),
        (0, 0, 0), (0, 7, 0),
        (1.5, 3, 12),
        (600, 0, 600), (600, 1, 600),
        (200, 0, 200), (200, 1, 300),
    ])
    func delay(backoff: Double, earlier: Int, seconds: Double) {
        #expect(RestartPlan.delay(Self.spec(backoff: backoff), earlierInWindow: earlier) == seconds)
    }

    @Test("inWindow counts the restarts less than the window before now")
    func inWindow() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let spec = Self.spec(backoff: 10, window: 1800)
        let ago = { (seconds: Double) in now.addingTimeInterval(-seconds) }
        #expect(RestartPlan.inWindow([], spec: spec, now: now) == 0)
        #expect(RestartPlan.inWindow([ago(5000), ago(1800), ago(1799), ago(10), ago(0)], spec: spec, now: now) == 3)
        #expect(RestartPlan.inWindow([ago(5000), ago(1801)], spec: spec, now: now) == 0)
        #expect(RestartPlan.inWindow([ago(59), ago(61)], spec: Self.spec(backoff: 10, window: 60), now: now) == 1)
    }

    @Test("slots: the listed hosts' total; no limit when none are listed or they are oversubscribed")
    func slots() {
        let hosts = [HostSlots(host: "a", slots: 2), HostSlots(host: "b", slots: 3)]
        #expect(RestartPlan.slots(of: hosts, oversubscribe: false) == 5)
        #expect(RestartPlan.slots(of: hosts, oversubscribe: true) == nil)
        #expect(RestartPlan.slots(of: [], oversubscribe: false) == nil)
    }
}
