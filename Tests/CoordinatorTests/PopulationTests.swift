// Population-based training without processes: the config's pbt keys and what they refuse, the
// decision (ranking, quantile, exploit from the top, explore within each distribution, seeded),
// the generations a budget splits into, the lineage in the store, the schedule behind a member's
// model with its replay commands, and `stop_after` kept out of the config hash.
import Foundation
import Testing
@testable import Coordinator
import Model

@Suite struct PopulationTests {
    /// A pbt sweep section after the job's lines 1–4: sweep 5, method 6, metric 7, `extra` from 8.
    static func pbt(_ parameters: String, extra: String = "  population: 4\n  interval: 1\n") -> String {
        "sweep:\n  method: pbt\n  metric: {name: val_loss}\n" + extra + "  parameters:\n" + parameters
    }

    static let lr = "    optimizer.lr: {min: 0.001, max: 0.1}\n"

    @Test("a pbt section is read with its defaults; its run cap is the population")
    func parsed() throws {
        let (_, spec) = try loadSweep(Self.pbt(Self.lr, extra: "  population: 6\n  interval: 2\n  perturb: [0.5, 2]\n  seed: 4\n"))
        #expect(spec.method == .pbt && spec.runCap == 6 && spec.seed == 4)
        var expected = PopulationSpec(population: 6, interval: 2)
        expected.perturb = [0.5, 2]
        #expect(spec.population == expected && expected.quantile == 0.25 && expected.resampleProbability == 0.25)
    }

    static let bad: [BadConfig] = [
        BadConfig(label: "run_cap", yaml: pbt(lr, extra: "  population: 4\n  interval: 1\n  run_cap: 5\n"), line: 10,
                  keyPath: "sweep.run_cap", fragments: ["does not apply to method: pbt"]),
        BadConfig(label: "early_terminate", yaml: pbt(lr, extra: "  population: 4\n  interval: 1\n  early_terminate: {type: hyperband, min_iter: 1}\n"),
                  line: 10, keyPath: "sweep.early_terminate", fragments: ["does not apply to method: pbt"]),
        BadConfig(label: "a model parameter", yaml: pbt("    model.hidden: {values: [[8], [16]]}\n"), line: 11,
                  keyPath: "sweep.parameters.model.hidden", fragments: ["cannot be a pbt parameter", "model", "optimizer.lr"]),
        BadConfig(label: "the batch", yaml: pbt("    batch_size: {values: [16, 32]}\n"), line: 11,
                  keyPath: "sweep.parameters.batch_size", fragments: ["cannot be a pbt parameter", "batch"]),
        BadConfig(label: "the budget", yaml: pbt("    epochs: {values: [2, 4]}\n"), line: 11,
                  keyPath: "sweep.parameters.epochs", fragments: ["cannot be a pbt parameter", "generations end"]),
        BadConfig(label: "the optimizer", yaml: pbt("    optimizer.name: {values: [sgd, adam]}\n"), line: 11,
                  keyPath: "sweep.parameters.optimizer.name", fragments: ["cannot be a pbt parameter", "optimizer"]),
        BadConfig(label: "momentum from 0", yaml: pbt("    optimizer.momentum: {values: [0.0, 0.5, 0.9]}\n"), line: 11,
                  keyPath: "sweep.parameters.optimizer.momentum", fragments: ["cannot be a pbt parameter", "above 0"]),
        BadConfig(label: "momentum from a range with 0", yaml: pbt("    optimizer.momentum: {min: 0.0, max: 0.9}\n"), line: 11,
                  keyPath: "sweep.parameters.optimizer.momentum", fragments: ["cannot be a pbt parameter"]),
        BadConfig(label: "fewer configurations than members", yaml: pbt("    optimizer.lr: {values: [0.01, 0.05]}\n"), line: 11,
                  keyPath: "sweep.parameters", fragments: ["2 distinct configuration(s), fewer than the population of 4"]),
        BadConfig(label: "an interval as long as the budget", yaml: pbt(lr, extra: "  population: 4\n  interval: 10\n"), line: 9,
                  keyPath: "sweep.interval", fragments: ["not below a member's budget of 10"]),
        BadConfig(label: "a program's interval as long as its budget",
                  yaml: pbt("    x: {min: 0.1, max: 0.9}\n", extra: "  population: 4\n  interval: 6\n  budget: 6\n  program: objective.sh\n"),
                  line: 9, keyPath: "sweep.interval", fragments: ["not below a member's budget of 6"]),
        BadConfig(label: "no population", yaml: pbt(lr, extra: "  interval: 1\n"), line: nil,
                  keyPath: "sweep", fragments: ["population"]),
        BadConfig(label: "a population of 1", yaml: pbt(lr, extra: "  population: 1\n  interval: 1\n"), line: 8,
                  keyPath: "sweep.population", fragments: ["2 or more"]),
        BadConfig(label: "a quantile above a half", yaml: pbt(lr, extra: "  population: 4\n  interval: 1\n  quantile: 0.7\n"), line: 10,
                  keyPath: "sweep.quantile", fragments: ["at most 0.5"]),
        BadConfig(label: "one perturb factor", yaml: pbt(lr, extra: "  population: 4\n  interval: 1\n  perturb: [0.8]\n"), line: 10,
                  keyPath: "sweep.perturb", fragments: ["two factors"]),
        BadConfig(label: "a pbt key for random search",
                  yaml: "sweep:\n  method: random\n  metric: {name: val_loss}\n  run_cap: 4\n  population: 4\n  parameters:\n" + lr,
                  line: 9, keyPath: "sweep.population", fragments: ["applies to method: pbt"]),
        BadConfig(label: "a program without a budget", yaml: pbt("    x: {values: [1, 2]}\n", extra: "  population: 4\n  interval: 1\n  program: objective.sh\n"),
                  line: nil, keyPath: "sweep", fragments: ["needs budget"]),
        BadConfig(label: "a budget beside a job", yaml: pbt(lr, extra: "  population: 4\n  interval: 1\n  budget: 6\n"), line: 10,
                  keyPath: "sweep.budget", fragments: ["applies to program trials", "job.epochs"]),
    ]

    @Test("what pbt cannot do is refused with line, key and what would do", arguments: bad)
    func refused(_ bad: BadConfig) {
        bad.expectReported(in: "sweep.yaml") { _ = try loadSweep($0) }
    }

    @Test("job.stop_after in a sweep's job is refused where it is written")
    func stopAfterInASweep() {
        BadConfig(label: "stop_after", yaml: Self.pbt(Self.lr).replacingOccurrences(of: "method: pbt", with: "method: random\n  run_cap: 2")
                    .replacingOccurrences(of: "  population: 4\n  interval: 1\n", with: ""),
                  line: 5, keyPath: "job.stop_after", fragments: ["does not apply to a sweep's trials"])
            .expectReported(in: "sweep.yaml") { try SweepParser.checkNoStopAfter(try loadSweep($0, job: sweepJob + "  stop_after: 2\n").0) }
    }

    @Test("a budget splits into generations of the interval; the last one trains to the end")
    func generations() {
        let spec = PopulationSpec(population: 5, interval: 4)
        #expect(spec.generations(reports: 6) == 2 && spec.stopAfter(generation: 0, reports: 6) == 4)
        #expect(spec.stopAfter(generation: 1, reports: 6) == nil)
        #expect(spec.generations(reports: 8) == 2 && spec.generations(reports: 9) == 3 && spec.generations(reports: 2) == 1)
        #expect([1, 2, 4, 5, 8].map(spec.replaced(among:)) == [0, 1, 1, 2, 2])
    }

    // MARK: The decision

    static let space = SearchSpace(parameters: [
        SweepParameter(name: "optimizer.lr", distribution: .logUniformValues(min: 0.0001, max: 1)),
        SweepParameter(name: "optimizer.momentum", distribution: .categorical([.double(0), .double(0.5), .double(0.9)])),
    ])

    static func members(_ values: [Double?]) -> [PopulationMember] {
        values.enumerated().map { i, v in
            PopulationMember(id: i + 1, configuration: ["optimizer.lr": .double(0.01 * Double(i + 1)), "optimizer.momentum": .double(0.5)], value: v)
        }
    }

    @Test("the bottom quantile copies a top member and explores; the rest keep their hyperparameters")
    func exploitAndExplore() {
        var spec = PopulationSpec(population: 4, interval: 1)
        let members = Self.members([0.5, 0.1, 0.9, 0.3])
        let decisions = PopulationBasedTraining.decide(members, generation: 0, goal: .minimize, spec: spec, space: Self.space, seed: 1)
        #expect(decisions.map(\.id) == [1, 2, 3, 4] && decisions.map(\.source) == [nil, nil, 2, nil])
        #expect(decisions[0].configuration == members[0].configuration && decisions[3].configuration == members[3].configuration)
        #expect(decisions[2].configuration != members[2].configuration)
        // Maximising turns the order round; nil and non-finite values are the worst, ties by id.
        let up = PopulationBasedTraining.decide(members, generation: 0, goal: .maximize, spec: spec, space: Self.space, seed: 1)
        #expect(up.map(\.source) == [nil, 3, nil, nil])
        spec.quantile = 0.5
        let broken = PopulationBasedTraining.decide(Self.members([nil, 0.2, .nan, 0.1]), generation: 0, goal: .minimize, spec: spec,
                                                    space: Self.space, seed: 1)
        #expect(broken[0].source.map { [2, 4].contains($0) } == true && broken[2].source.map { [2, 4].contains($0) } == true)
        #expect(broken[1].source == nil && broken[3].source == nil)
    }

    @Test("a decision is a function of the reports, the seed and the generation")
    func seeded() {
        let spec = PopulationSpec(population: 8, interval: 1)
        let members = Self.members([0.8, 0.1, 0.7, 0.2, 0.6, 0.3, 0.5, 0.4])
        func decide(_ seed: UInt64, _ generation: Int) -> [PopulationDecision] {
            PopulationBasedTraining.decide(members, generation: generation, goal: .minimize, spec: spec, space: Self.space, seed: seed)
        }
        #expect(decide(3, 2) == decide(3, 2))
        #expect((0..<20).contains { decide(UInt64($0), 0) != decide(3, 0) })
        #expect((0..<20).contains { decide(3, $0) != decide(3, 0) })
        for seed in 0..<20 {   // sources are always among the best 2 of 8
            #expect(decide(UInt64(seed), 0).compactMap(\.source).allSatisfy { [2, 4].contains($0) })
        }
    }

    @Test("a perturbed value stays inside its distribution: clamped, rounded, on q's grid, a listed neighbour")
    func perturbWithinDistributions() {
        var rng = CounterRNG(seed: 1, stream: .test)
        for _ in 0..<50 {
            let factors = [0.8, 1.2]
            #expect(PopulationBasedTraining.perturbed(.double(0.95), .uniform(min: 0.1, max: 1), factors: factors, using: &rng)
                    .number.map { $0 == 1 || abs($0 - 0.76) < 1e-12 } == true)
            #expect([4, 6].map(ParameterValue.int).contains(PopulationBasedTraining.perturbed(.int(5), .intUniform(min: 1, max: 10), factors: factors, using: &rng)))
            let listed: [ParameterValue] = [.string("a"), .string("b"), .string("c")]
            #expect([.string("a"), .string("b")].contains(PopulationBasedTraining.perturbed(.string("a"), .categorical(listed), factors: factors, using: &rng)))
            let q = PopulationBasedTraining.perturbed(.double(0.5), .qUniform(min: 0, max: 1, q: 0.25), factors: factors, using: &rng).number!
            #expect((q / 0.25).rounded() * 0.25 == q && (0...1).contains(q))
            #expect(PopulationBasedTraining.perturbed(.int(7), .constant(.int(7)), factors: factors, using: &rng) == .int(7))
        }
        var spec = PopulationSpec(population: 4, interval: 1)
        spec.resampleProbability = 1
        for _ in 0..<50 {
            let drawn = PopulationBasedTraining.explore(["optimizer.lr": .double(0.5), "optimizer.momentum": .double(0.5)], space: Self.space,
                                                        spec: spec, using: &rng)
            #expect(drawn["optimizer.lr"]!.number.map { (0.0001...1).contains($0) } == true)
        }
    }

    // MARK: Store, schedule, replay

    @Test("the store records a generation once and starts it in one write; members may share a configuration")
    func lineageInTheStore() throws {
        let store = try SweepStore.create(path: try TestFolder.make() + "/sweep.sqlite", uniqueConfigurations: false)
        let same: Configuration = ["optimizer.lr": .double(0.1)]
        let ids = try store.addTrials([same, ["optimizer.lr": .double(0.2)]], asMembers: true)
        #expect(ids == [1, 2])
        for id in ids {
            #expect(try store.markRunning(id) != nil)
            #expect(try store.apply(.generationEnded(metric: Double(id), metrics: [:]), to: id, from: .running)?.to == .paused)
        }
        let decisions = [PopulationDecision(id: 1, source: nil, configuration: same), PopulationDecision(id: 2, source: 1, configuration: same)]
        #expect(try store.recordGeneration(1, decisions))
        #expect(try !store.recordGeneration(1, [PopulationDecision(id: 1, source: 2, configuration: same)]))   // once
        let applied = try store.applyAll(decisions.map { ($0.id, TrialEvent.nextGeneration(configuration: $0.configuration)) }, from: .paused)
        #expect(applied.count == 2)
        #expect(try store.trials().allSatisfy { $0.status == .pending && $0.configuration == same })
        #expect(try store.lineage().map { [$0.generation, $0.trial, $0.source ?? 0] } == [[0, 1, 0], [0, 2, 0], [1, 1, 0], [1, 2, 1]])
        // A store of another method keeps configurations unique and has no lineage rows.
        let unique = try SweepStore.create(path: try TestFolder.make() + "/sweep.sqlite")
        _ = try unique.addTrials([same])
        #expect(throws: SweepStoreError.self) { try unique.addTrials([same]) }
        #expect(try unique.lineage().isEmpty)
    }

    @Test("a population paused between generations is not finished, while trials paused by successive halving are")
    func pausedBetweenGenerationsIsNotFinished() throws {
        let folder = try TestFolder.make()
        let store = try SweepStore.create(path: folder + "/sweep.sqlite", uniqueConfigurations: false)
        for id in try store.addTrials([["optimizer.lr": .double(0.1)], ["optimizer.lr": .double(0.2)]], asMembers: true) {
            #expect(try store.markRunning(id) != nil)
            #expect(try store.apply(.generationEnded(metric: 1, metrics: [:]), to: id, from: .running) != nil)
        }
        let (_, population) = try loadSweep(Self.pbt(Self.lr, extra: "  population: 2\n  interval: 1\n"))
        #expect(try SweepStatus.make(path: folder, spec: population, store: store, holder: nil).state == "stopped")
        var halving = population
        halving.population = nil
        #expect(try SweepStatus.make(path: folder, spec: halving, store: store, holder: nil).state == "finished")
    }

    static func entry(_ generation: Int, _ trial: Int, _ source: Int?, _ lr: Double) -> LineageEntry {
        LineageEntry(generation: generation, trial: trial, source: source, configuration: ["optimizer.lr": .double(lr)])
    }

    @Test("a member's schedule follows each copy back; the replay commands set what changed")
    func scheduleAndReplay() {
        let lineage = PopulationLineage(entries: [Self.entry(0, 1, nil, 0.1), Self.entry(0, 2, nil, 0.2), Self.entry(1, 1, nil, 0.1),
                                                  Self.entry(1, 2, 1, 0.3), Self.entry(2, 1, 2, 0.4), Self.entry(2, 2, nil, 0.3)],
                                        interval: 2, reports: 6)
        let one = lineage.schedule(of: 1)
        #expect(one.map { [$0.from, $0.to, $0.trial] } == [[1, 2, 1], [3, 4, 2], [5, 6, 1]])
        #expect(one.map { $0.configuration["optimizer.lr"] } == [.double(0.1), .double(0.3), .double(0.4)])
        #expect(lineage.schedule(of: 2).map { [$0.from, $0.to, $0.trial] } == [[1, 2, 1], [3, 6, 2]])
        let parameters = [SweepParameter(name: "optimizer.lr", distribution: .uniform(min: 0, max: 1))]
        #expect(lineage.replayCommands(one, parameters: parameters) == [
            "ringtrain train best.yaml --run-dir runs/pbt-replay --stop-after 2",
            "ringtrain resume runs/pbt-replay --set job.optimizer.lr=0.3 --stop-after 4",
            "ringtrain resume runs/pbt-replay --set job.optimizer.lr=0.4",
        ])
        #expect(lineage.changes(Self.entry(2, 1, 2, 0.4), parameters: parameters) == ["optimizer.lr=0.4"])
        #expect(lineage.changes(Self.entry(2, 2, nil, 0.3), parameters: parameters).isEmpty)
        // A lineage that does not reach back to generation 0 has no schedule.
        #expect(PopulationLineage(entries: [Self.entry(1, 1, nil, 0.1)], interval: 2, reports: 6).schedule(of: 1).isEmpty)
    }

    @Test("every report shows the lineage; the page draws who copied whom; the replay needs the job's config")
    func reportsShowTheLineage() throws {
        let entries = [Self.entry(0, 1, nil, 0.1), Self.entry(0, 2, nil, 0.2), Self.entry(1, 1, nil, 0.1), Self.entry(1, 2, 1, 0.3)]
        let parameters = [SweepParameter(name: "optimizer.lr", distribution: .uniform(min: 0, max: 1))]
        let trials = [1, 2].map { id in
            TrialResult(id: id, status: .finished, configuration: ["optimizer.lr": .double(id == 1 ? 0.1 : 0.3)], metric: id == 1 ? 0.5 : 0.4,
                        finalMetrics: [:], attempts: 2, error: nil,
                        epochs: [1: ["val_loss": id == 1 ? 0.8 : 0.9], 2: ["val_loss": id == 1 ? 0.7 : 0.95], 3: ["val_loss": 0.6], 4: ["val_loss": id == 1 ? 0.5 : 0.4]])
        }
        var results = SweepResults(runDirectory: "/tmp/x", metric: SweepMetric(name: "val_loss"), parameters: parameters, trials: trials,
                                   bestYAML: "job: {}\n")
        results.lineage = PopulationLineage(entries: entries, interval: 2, reports: 4)
        results.bestSchedule = results.lineage!.schedule(of: 2)
        let html = ReportHTML.render(results, effects: [])
        let svg = SVGPlots.lineage(results)
        #expect(html.contains(svg) && svg.contains("lineage: who copied whom") && svg.components(separatedBy: "<circle").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 1)   // one copy
        #expect(html.contains("ringtrain resume runs/pbt-replay --set job.optimizer.lr=0.3"))
        let text = ReportTable.render(results, effects: [])
        #expect(text.contains("the schedule behind trial 2's final model") && text.contains("ringtrain train best.yaml --run-dir runs/pbt-replay --stop-after 2"))
        let json = ReportJSON.object(results, effects: [])
        #expect((json["lineage"] as? [[String: Any]])?.count == 4 && (json["best_schedule"] as? [[String: Any]])?.count == 2)
        #expect((json["replay"] as? [String])?.count == 2)
        results.bestYAML = nil   // a program's trials: the schedule, no commands
        #expect((ReportJSON.object(results, effects: [])["replay"] as? [String])?.isEmpty == true)
        #expect(!ReportTable.render(results, effects: []).contains("runs/pbt-replay"))
    }

    @Test("stop_after reaches the ranks but not the config hash, nor a run's resolved.yaml")
    func stopAfterIsNoConfigChange() throws {
        let (config, _) = try loadSweep(Self.pbt(Self.lr))
        var job = config.job
        let hash = ResolvedConfig.hash(job: job)
        job.stopAfter = 3
        #expect(ResolvedConfig.hash(job: job) == hash)
        #expect(ResolvedConfig.canonicalJSON(job: job).contains("\"stop_after\":3"))
        #expect(!ResolvedConfig.yaml(job: job, cluster: config.cluster).contains("stop_after"))
    }
}
