// Trial lifecycle tests, without processes: every (status, event) pair against the expected
// table, how ended attempts are judged, and the store applying a transition only from the
// status it expects, keeping lost supervisors and drain deadlines, and migrating older stores.
import Foundation
import GRDB
import Testing
@testable import Coordinator

@Suite struct TrialLifecycleTests {
    static let failure = TrialFailure(message: "exit status 1")

    /// The expected table: (status, event name) → next status and effect names; absent pairs are refused.
    static let expected: [String: (TrialStatus, [String])] = {
        let ended = ["end the attempt"]
        var table: [String: (TrialStatus, [String])] = [:]
        for waiting in [TrialStatus.pending, .interrupted] {
            table["\(waiting.rawValue)/attempt started"] = (.running, ["count an attempt"])
            table["\(waiting.rawValue)/invalid configuration"] = (.failed, ["count an attempt", "record the failure", "reset lost supervisors"])
        }
        table["running/stop decided"] = (.running, ["record the stop request"])
        table["running/pause decided"] = (.running, ["record the pause request"])
        table["running/ended after pause"] = (.paused, ended + ["record the result", "reset lost supervisors"])
        table["paused/promoted"] = (.pending, ["count a promotion", "withdraw the stop request"])
        table["running/reached its generation's end"] = (.paused, ended + ["record the result", "reset lost supervisors"])
        table["paused/next generation"] = (.pending, ["take its next configuration"])
        table["running/leftovers stopping"] = (.running, ["record the drain deadline"])
        table["running/reached its end"] = (.finished, ended + ["record the result", "withdraw the stop request", "reset lost supervisors"])
        table["running/ended after stop"] = (.stopped, ended + ["record the result", "reset lost supervisors"])
        table["running/interrupted"] = (.interrupted, ended + ["withdraw the stop request", "clear the reason", "reset lost supervisors"])
        table["running/supervisor lost"] = (.interrupted, ended + ["withdraw the stop request", "clear the reason", "count a lost supervisor"])
        table["running/supervisor never started"] = (.interrupted, ended + ["withdraw the stop request", "clear the reason"])
        table["running/attempt failed"] = (.pending, ended + ["withdraw the stop request", "record the failure", "reset lost supervisors"])
        table["running/retry budget spent"] = (.failed, ended + ["record the failure", "reset lost supervisors"])
        table["running/diverged"] = (.failed, ended + ["record the failure", "reset lost supervisors"])
        return table
    }()

    struct Pair: Sendable, CustomStringConvertible {
        let status: TrialStatus
        let event: TrialEvent
        var description: String { "\(status.rawValue) on \(event.name)" }
    }

    @Test("the examples hold one event of each kind, so every pair below covers every event")
    func examplesCoverEveryKind() {
        #expect(TrialEvent.examples.map(\.kind) == TrialEvent.Kind.allCases)
    }

    static let pairs = TrialStatus.allCases.flatMap { status in TrialEvent.examples.map { Pair(status: status, event: $0) } }

    @Test("every (status, event) pair leads where the table says, or is refused", arguments: pairs)
    func everyPair(_ pair: Pair) {
        let transition = TrialLifecycle.transition(from: pair.status, on: pair.event)
        guard let row = Self.expected["\(pair.status.rawValue)/\(pair.event.name)"] else {
            #expect(transition == nil, "\(pair) must be refused")
            return
        }
        #expect(transition?.from == pair.status)
        #expect(transition?.to == row.0)
        #expect(transition?.effects.map(\.name) == row.1)
    }

    @Test("a final status takes no event; every event has a status that takes it")
    func finalStatusesAreFinal() {
        for status in TrialStatus.allCases where status.isFinal {
            #expect(TrialEvent.examples.allSatisfy { TrialLifecycle.transition(from: status, on: $0) == nil })
        }
        for event in TrialEvent.examples {
            #expect(TrialStatus.allCases.contains { TrialLifecycle.transition(from: $0, on: event) != nil }, "\(event.name)")
        }
    }

    @Test("effects carry the event's values")
    func effectValues() {
        let result = TrialLifecycle.transition(from: .running, on: .reachedEnd(metric: 0.25, metrics: ["score": 0.25]))
        #expect(result?.effects.contains(.recordResult(metric: 0.25, metrics: ["score": 0.25])) == true)
        let failed = TrialLifecycle.transition(from: .running, on: .attemptFailed(Self.failure))
        #expect(failed?.effects.contains(.recordFailure(Self.failure)) == true)
        #expect(TrialLifecycle.transition(from: .running, on: .leftoversStopping(deadline: 12))?.effects == [.recordDrainDeadline(12)])
    }

    @Test("the table in TrialLifecycle.swift's header is the one the function gives")
    func headerTable() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Coordinator/Sweep/TrialLifecycle.swift").path
        let header = try String(contentsOfFile: source, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("// |") }.map { String($0.dropFirst(3)) }
        #expect(header.joined(separator: "\n") == TrialLifecycle.markdownTable())
    }

    // MARK: Judging an ended attempt

    static func end(status: Int32? = 0, ended: TrialExitRecord.Ending = .exited, metric: Double? = 0.5, complete: Bool = true,
                    diverged: Bool = false, stop: Bool = false, last: Double? = nil, failures: Int = 0, lost: Int = 0,
                    maxRetries: Int = 1, started: Bool = true, pause: Bool = false, held: Bool = true, generationEnd: Int? = nil,
                    lastProgress: Int? = nil) -> AttemptEnd {
        let record = status.map { TrialExitRecord(attempt: 1, status: $0, ended: ended) }
        let outcome = TrialOutcome(metrics: metric.map { ["score": $0] } ?? [:], metric: metric, complete: complete, diverged: diverged)
        var end = AttemptEnd(record: record, outcome: outcome, stopRequested: stop, lastReported: last, failures: failures,
                          maxRetries: maxRetries, lostSupervisors: lost, metricName: "score", trialTimeout: 30, logTail: "a\nlast line",
                          supervisorStarted: started, pauseRequested: pause, generationEnd: generationEnd, lastProgress: lastProgress)
        end.pauseHeld = held
        return end
    }

    struct Judged: Sendable, CustomStringConvertible {
        let name: String
        let end: AttemptEnd
        let event: String
        var description: String { name }
    }

    static let judged: [Judged] = [
        Judged(name: "exit 0 with a complete result", end: end(), event: "reached its end"),
        Judged(name: "exit 0 with the metric, incomplete", end: end(complete: false), event: "reached its end"),
        Judged(name: "stop decided, ended early", end: end(status: 143, ended: .stopped, stop: true, last: 0.7), event: "ended after stop"),
        Judged(name: "stop decided, but it reached its end", end: end(stop: true), event: "reached its end"),
        Judged(name: "pause decided, ended early", end: end(status: 3, metric: nil, stop: true, last: 0.7, pause: true),
               event: "ended after pause"),
        Judged(name: "pause decided, but it reached its end", end: end(stop: true, pause: true), event: "reached its end"),
        Judged(name: "pause decided, stopped by its supervisor", end: end(status: 143, ended: .stopped, metric: nil, stop: true, pause: true),
               event: "ended after pause"),
        Judged(name: "pause decided, but it failed before its checkpoint", end: end(status: 1, metric: nil, stop: true, pause: true, held: false),
               event: "attempt failed"),
        Judged(name: "pause decided, but it timed out before its checkpoint",
               end: end(status: 137, ended: .timeout, metric: nil, stop: true, pause: true, held: false), event: "attempt failed"),
        Judged(name: "pause decided, stopped, but its checkpoint was lost",
               end: end(status: 86, ended: .stopped, metric: nil, stop: true, pause: true, held: false), event: "interrupted"),
        Judged(name: "pause decided, exit 1 after its checkpoint", end: end(status: 1, metric: nil, stop: true, pause: true),
               event: "ended after pause"),
        Judged(name: "population member stopped by itself at its generation's end",
               end: end(status: 3, metric: nil, last: 0.4, generationEnd: 2, lastProgress: 2), event: "reached its generation's end"),
        Judged(name: "population member stopped by a signal at its generation's end",
               end: end(status: 3, ended: .stopped, metric: nil, generationEnd: 2, lastProgress: 2), event: "interrupted"),
        Judged(name: "population member stopped short of its generation's end",
               end: end(status: 3, metric: nil, generationEnd: 2, lastProgress: 1), event: "interrupted"),
        Judged(name: "population member in its last generation, exit 0", end: end(lastProgress: 6), event: "reached its end"),
        Judged(name: "pause decided, no record", end: end(status: nil, complete: false, stop: true, last: 0.7, pause: true),
               event: "ended after pause"),
        Judged(name: "stop decided, exit 0 without a finite metric", end: end(metric: nil, stop: true), event: "ended after stop"),
        Judged(name: "time-out", end: end(status: 137, ended: .timeout), event: "attempt failed"),
        Judged(name: "time-out, budget spent", end: end(status: 137, ended: .timeout, failures: 1), event: "retry budget spent"),
        Judged(name: "no record, complete result", end: end(status: nil), event: "reached its end"),
        Judged(name: "no record, incomplete", end: end(status: nil, complete: false), event: "supervisor lost"),
        Judged(name: "no record, third time in a row", end: end(status: nil, complete: false, lost: 2), event: "attempt failed"),
        Judged(name: "explicit stop", end: end(status: 143, ended: .stopped, metric: nil), event: "interrupted"),
        Judged(name: "checkpointed exit 3", end: end(status: 3, metric: nil), event: "interrupted"),
        Judged(name: "diverged", end: end(status: 1, metric: nil, diverged: true), event: "diverged"),
        Judged(name: "exit 1", end: end(status: 1), event: "attempt failed"),
        Judged(name: "exit 1, budget spent", end: end(status: 1, failures: 1), event: "retry budget spent"),
        Judged(name: "exit 0 without the metric", end: end(metric: nil), event: "attempt failed"),
        Judged(name: "exit 0 without the metric, budget spent", end: end(metric: nil, failures: 1), event: "retry budget spent"),
        Judged(name: "no record, stop decided", end: end(status: nil, complete: false, stop: true, last: 0.7), event: "ended after stop"),
        Judged(name: "no record, third time in a row, complete result", end: end(status: nil, lost: 2), event: "reached its end"),
        Judged(name: "no record, third time in a row, budget spent",
               end: end(status: nil, complete: false, failures: 1, lost: 2), event: "retry budget spent"),
        Judged(name: "no record, supervisor never started", end: end(status: nil, complete: false, lost: 2, started: false),
               event: "supervisor never started"),
        Judged(name: "time-out, stop decided", end: end(status: 137, ended: .timeout, metric: nil, stop: true, last: 0.7),
               event: "ended after stop"),
        Judged(name: "diverged, checkpointed exit 3", end: end(status: 3, metric: nil, diverged: true), event: "interrupted"),
        Judged(name: "diverged, exit 0 without the metric", end: end(metric: nil, diverged: true), event: "attempt failed"),
        Judged(name: "exit 1, max_retries 0", end: end(status: 1, maxRetries: 0), event: "retry budget spent"),
        Judged(name: "no record, third time in a row, max_retries 0", end: end(status: nil, complete: false, lost: 2, maxRetries: 0),
               event: "retry budget spent"),
    ]

    @Test("an ended attempt is judged into one event", arguments: judged)
    func judging(_ c: Judged) {
        #expect(TrialLifecycle.judge(c.end).name == c.event)
    }

    @Test("a judged failure names its reason and carries the log's last lines")
    func failureText() {
        guard case .attemptFailed(let timeout) = TrialLifecycle.judge(Self.end(status: 137, ended: .timeout)) else {
            Issue.record("a time-out is a failure")
            return
        }
        #expect(timeout.reason == "timeout")
        #expect(timeout.message == "stopped after the trial_timeout of 30 s")
        #expect(timeout.error == "stopped after the trial_timeout of 30 s: last line\na\nlast line")
        #expect(TrialLifecycle.judge(Self.end(status: 143, ended: .stopped, stop: true, last: 0.7))
                == .endedAfterStop(metric: 0.7, metrics: ["score": 0.5]))
    }

    // MARK: The store

    static func store() throws -> (SweepStore, Int) {
        let store = try SweepStore.create(path: try TestFolder.make() + "/sweep.sqlite")
        return (store, try store.addTrials([["x": .double(1)]])[0])
    }

    @Test("the store applies a transition only from the status it expects")
    func refusedFromTheWrongStatus() throws {
        let (store, id) = try Self.store()
        #expect(try store.apply(.attemptStarted, to: id, from: .pending)?.to == .running)
        #expect(try store.apply(.attemptStarted, to: id, from: .pending) == nil)   // no longer pending
        #expect(try store.apply(.reachedEnd(metric: 1, metrics: [:]), to: id, from: .running)?.to == .finished)
        let before = try #require(try store.trials().first)
        // Once finished, nothing else is applied, whichever status the caller expects: a trial
        // that moved on is a no-op, an event the table forbids an error.
        #expect(try store.apply(.attemptFailed(Self.failure), to: id, from: .running) == nil)
        #expect(throws: TrialTransitionError.self) { try store.apply(.attemptFailed(Self.failure), to: id, from: .finished) }
        #expect(try store.apply(.interrupted, to: id, from: .running) == nil)
        #expect(try store.markRunning(id) == nil)
        #expect(try store.apply(.interrupted, to: 99, from: .running) == nil)
        #expect(try store.trials().first == before)
        #expect(before.status == .finished && before.attempts == 1 && before.metric == 1)
    }

    @Test("lost supervisors and the drain deadline are in the store, and reset by a recorded end")
    func keptForARestart() throws {
        let (store, id) = try Self.store()
        #expect(try store.markRunning(id) == 1)
        #expect(try store.apply(.leftoversStopping(deadline: 1_700_000_000.5), to: id, from: .running) != nil)
        #expect(try store.trials()[0].drainDeadline == 1_700_000_000.5)
        #expect(try store.apply(.supervisorLost, to: id, from: .running)?.to == .interrupted)
        var trial = try store.trials()[0]
        #expect(trial.lostSupervisors == 1 && trial.drainDeadline == nil && trial.failures == 0)
        #expect(try store.markRunning(id, from: .interrupted) == 2)
        #expect(try store.apply(.supervisorLost, to: id, from: .running) != nil)
        #expect(try SweepStore(path: store.path).trials()[0].lostSupervisors == 2)
        #expect(try store.markRunning(id, from: .interrupted) == 3)
        #expect(try store.apply(.stopDecided, to: id, from: .running) != nil)
        #expect(try store.trials()[0].stopRequested)
        #expect(try store.apply(.attemptFailed(TrialFailure(message: "m", error: "m: tail", reason: "timeout")), to: id, from: .running) != nil)
        trial = try store.trials()[0]
        #expect(trial.status == .pending && trial.lostSupervisors == 0 && !trial.stopRequested)
        #expect(trial.failures == 1 && trial.error == "m: tail" && trial.reason == "timeout")
    }

    @Test("the store's effects: interrupted keeps the error, not the reason; an end or a start forgets pid and drain deadline")
    func storeEffects() throws {
        let (store, id) = try Self.store()
        #expect(try store.markRunning(id) == 1)
        try store.setPID(id, pid: 4242)
        #expect(try store.trials()[0].pid == 4242)
        let failure = TrialFailure(message: "m", error: "m: tail", reason: "timeout")
        #expect(try store.apply(.attemptFailed(failure), to: id, from: .running) != nil)
        var trial = try store.trials()[0]
        #expect(trial.pid == nil && trial.reason == "timeout" && trial.error == "m: tail")
        try store.setPID(id, pid: 4343)   // not running: kept nowhere
        #expect(try store.trials()[0].pid == nil)
        #expect(try store.markRunning(id) == 2)
        #expect(try store.apply(.leftoversStopping(deadline: 1_700_000_000), to: id, from: .running) != nil)
        #expect(try store.apply(.interrupted, to: id, from: .running) != nil)
        trial = try store.trials()[0]
        #expect(trial.status == .interrupted && trial.reason == nil && trial.error == "m: tail" && trial.drainDeadline == nil)
        #expect(try store.markRunning(id, from: .interrupted) == 3)
        // A drain deadline an earlier binary left, beside the new attempt, is forgotten by the next start.
        #expect(try store.apply(.leftoversStopping(deadline: 1_700_000_000), to: id, from: .running) != nil)
        #expect(try store.apply(.supervisorLost, to: id, from: .running) != nil)
        #expect(try store.apply(.attemptStarted, to: id, from: .interrupted) != nil)
        #expect(try store.trials()[0].drainDeadline == nil)
        #expect(try store.apply(.reachedEnd(metric: .nan, metrics: [:]), to: id, from: .running) != nil)
        trial = try store.trials()[0]
        #expect(trial.status == .finished && trial.metric == nil && trial.pid == nil)
    }

    @Test("an adopted drain is what is left of it, at least the margin and at most the grace period")
    func adoptedDrain() {
        #expect(SweepRunner.adoptedDrainSeconds(stored: 1030, now: 1000, grace: 60) == 30)
        #expect(SweepRunner.adoptedDrainSeconds(stored: 900, now: 1000, grace: 60) == SweepRunner.drainMargin)      // past: SIGTERM again, then wait
        #expect(SweepRunner.adoptedDrainSeconds(stored: 100_000, now: 1000, grace: 60) == 60)   // clock set back
        #expect(SweepRunner.adoptedDrainSeconds(stored: 900, now: 1000, grace: 2) == 2)
    }

    @Test("a pause is recorded with its rung, kept while paused, and withdrawn by a promotion, which is counted")
    func pauseAndPromotion() throws {
        let (store, id) = try Self.store()
        #expect(try store.markRunning(id) == 1)
        #expect(try store.apply(.pauseDecided(rung: 3), to: id, from: .running) != nil)
        var trial = try store.trials()[0]
        #expect(trial.stopRequested && trial.pauseRung == 3 && trial.status == .running)
        #expect(try store.apply(.endedAfterPause(metric: 0.7, metrics: ["score": 0.7]), to: id, from: .running)?.to == .paused)
        trial = try SweepStore(path: store.path).trials()[0]
        #expect(trial.status == .paused && trial.pauseRung == 3 && trial.metric == 0.7 && trial.promotions == 0)
        #expect(throws: TrialTransitionError.self) { try store.apply(.attemptStarted, to: id, from: .paused) }
        #expect(try store.apply(.promoted, to: id, from: .paused)?.to == .pending)
        #expect(try store.apply(.promoted, to: id, from: .paused) == nil)   // promoted once
        trial = try store.trials()[0]
        #expect(trial.status == .pending && trial.pauseRung == nil && !trial.stopRequested && trial.promotions == 1)
        #expect(try store.markRunning(id) == 2)
        #expect(try store.apply(.reachedEnd(metric: 0.5, metrics: [:]), to: id, from: .running) != nil)
        trial = try store.trials()[0]
        #expect(trial.status == .finished && trial.promotions == 1 && trial.metric == 0.5)
    }

    @Test("an invalid configuration fails a waiting trial at once, its attempt counted")
    func invalidConfiguration() throws {
        let (store, id) = try Self.store()
        #expect(try store.apply(.invalidConfiguration(TrialFailure(message: "invalid configuration: x")), to: id, from: .pending) != nil)
        let trial = try store.trials()[0]
        #expect(trial.status == .failed && trial.attempts == 1 && trial.failures == 1 && trial.error == "invalid configuration: x")
    }

    /// A store as a first release made it (the trial table without `stop_requested` and `reason`
    /// unless `later`, the sweep row without its origin), holding one running trial.
    static func olderStore(later: Bool) throws -> String {
        let path = try TestFolder.make() + "/sweep.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE sweep (id INTEGER PRIMARY KEY CHECK (id = 1), sweep_id TEXT NOT NULL, config_hash TEXT NOT NULL,
                                    created_at TEXT NOT NULL\(later ? ", identity TEXT, config_directory TEXT, overrides TEXT, run_cap INTEGER" : ""));
                CREATE TABLE trial (id INTEGER PRIMARY KEY, status TEXT NOT NULL, configuration TEXT NOT NULL UNIQUE, metric REAL,
                                    attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, error TEXT, pid INTEGER,
                                    final_metrics TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL
                                    \(later ? ", stop_requested INTEGER NOT NULL DEFAULT 0, reason TEXT" : ""));
                CREATE TABLE epoch_metric (trial_id INTEGER NOT NULL REFERENCES trial(id), epoch INTEGER NOT NULL,
                                           metrics TEXT NOT NULL, PRIMARY KEY (trial_id, epoch));
                INSERT INTO sweep (id, sweep_id, config_hash, created_at) VALUES (1, 's', 'h', 'now');
                INSERT INTO trial (status, configuration, attempts, error, created_at, updated_at)
                    VALUES ('running', '{"x": 1}', 1, 'an earlier failure', 'now', 'now');
                """)
        }
        try queue.close()
        return path
    }

    @Test("an older store (first release, or before lost supervisors and drain deadlines) opens and gains the columns",
          arguments: [false, true])
    func olderStoreMigrates(later: Bool) throws {
        let store = try SweepStore(path: try Self.olderStore(later: later))
        let trial = try #require(try store.trials().first)
        #expect(trial.status == .running && trial.lostSupervisors == 0 && trial.drainDeadline == nil)
        #expect(!trial.stopRequested && trial.reason == nil && trial.error == "an earlier failure")
        #expect(try store.apply(.stopDecided, to: trial.id, from: .running) != nil)
        #expect(try store.apply(.supervisorLost, to: trial.id, from: .running) != nil)
        let after = try store.trials()[0]
        #expect(after.status == .interrupted && after.lostSupervisors == 1 && !after.stopRequested && after.error == "an earlier failure")
        #expect(try after.pauseRung == nil && after.promotions == 0 && store.lineage().isEmpty)   // columns and table added
    }

    @Test("a store of the release before pauses is read as it is, without writing, its trials never paused")
    func previousReleaseReadOnly() throws {
        let path = try Self.olderStore(later: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "ALTER TABLE trial ADD COLUMN lost_supervisors INTEGER NOT NULL DEFAULT 0; ALTER TABLE trial ADD COLUMN drain_deadline REAL")
        }
        try queue.close()
        let trial = try #require(try SweepStore(readingOnly: path).trials().first)
        #expect(trial.status == .running && trial.pauseRung == nil && trial.promotions == 0)
        #expect(try SweepStore(readingOnly: path).lineage().isEmpty)
        let columns = try DatabaseQueue(path: path).read { db in try db.columns(in: "trial").map(\.name) }
        #expect(!columns.contains("promotions"))   // nothing was added
    }

    @Test("the transition table, for the docs")
    func printTable() {
        print(TrialLifecycle.markdownTable())
    }
}

extension TrialEvent {
    /// One event of each kind (for the table and its tests).
    static let examples: [TrialEvent] = [
        .attemptStarted, .stopDecided, .pauseDecided(rung: 3), .leftoversStopping(deadline: 100),
        .reachedEnd(metric: 0.5, metrics: ["score": 0.5]), .endedAfterStop(metric: 0.7, metrics: [:]),
        .endedAfterPause(metric: 0.7, metrics: [:]), .promoted, .generationEnded(metric: 0.6, metrics: [:]),
        .nextGeneration(configuration: ["x": .double(2)]), .interrupted, .supervisorLost, .supervisorNeverStarted,
        .attemptFailed(TrialFailure(message: "exit status 1")), .retryBudgetSpent(TrialFailure(message: "exit status 1")),
        .diverged(TrialFailure(message: "diverged", reason: "diverged")),
        .invalidConfiguration(TrialFailure(message: "invalid configuration")),
    ]
}

extension TrialLifecycle {
    /// The transition table as Markdown: one row per allowed (status, event) pair of
    /// `TrialEvent.examples`, statuses with the same outcome merged.
    static func markdownTable() -> String {
        var rows: [String] = ["| status | event | next status | effects |", "|---|---|---|---|"]
        for event in TrialEvent.examples {
            var groups: [(from: [TrialStatus], to: TrialStatus, effects: [String])] = []
            for status in TrialStatus.allCases {
                guard let t = TrialLifecycle.transition(from: status, on: event) else { continue }
                let effects = t.effects.map(\.name)
                if let i = groups.firstIndex(where: { $0.to == t.to && $0.effects == effects }) {
                    groups[i].from.append(status)
                } else {
                    groups.append(([status], t.to, effects))
                }
            }
            for g in groups {
                rows.append("| \(g.from.map(\.rawValue).joined(separator: ", ")) | \(event.name) | \(g.to.rawValue) | "
                            + g.effects.joined(separator: ", ") + " |")
            }
        }
        return rows.joined(separator: "\n")
    }
}
