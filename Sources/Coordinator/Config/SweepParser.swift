// SweepParser: reads the `sweep:` section into a SweepSpec, checking every key, type and range,
// and, when trials train the job, that each parameter is a real job setting (via JobParser).
import Foundation

/// Parses `sweep:` sections.
public enum SweepParser {
    static let keys = ["method", "metric", "parameters", "run_cap", "parallel", "early_terminate", "max_retries",
                       "seed", "program", "command", "program_ranks", "name", "description", "trial_timeout"] + PopulationSpec.keys

    /// The sweep of a checked config, its parameters checked against the job; nil when the
    /// config has no `sweep:` section. `filesChecked` false skips whether the data files and
    /// the program exist (a sweep folder read where they have moved).
    public static func parse(config: RunConfig, filesChecked: Bool = true) throws -> SweepSpec? {
        guard let section = config.sweep else { return nil }
        var located: [LocatedParameter] = []
        let spec = try parse(section, baseDirectory: config.file.directory, located: &located, programFiles: filesChecked)
        if spec.program == nil {
            try checkAgainstJob(spec, located: located, config: config, dataFiles: filesChecked ? .required : .skipped)
            try checkSlots(spec, ranks: config.job.ranks, key: "job.ranks", config: config, section: section)
        } else if let ranks = spec.programRanks {
            try checkSlots(spec, ranks: ranks, key: "program_ranks", config: config, section: section)
        }
        if let population = spec.population {
            let budget = population.budget ?? config.job.progressReports
            if population.interval >= budget {
                let at = (try? section.table(allowed: nil)["interval"]) ?? nil
                throw (at ?? section).error("interval \(population.interval) is not below a member's budget of \(budget): no decision would be made",
                                            hint: budget < 2 ? "pbt needs a budget of at least 2 epochs (or evaluations)"
                                                : "choose an interval below \(budget), e.g. \(max(1, budget / 3))")
            }
        }
        return spec
    }

    /// A sweep's trials train their whole budget: `job.stop_after` (which `train --stop-after`
    /// sets for one run) is refused where a sweep is run, at its key.
    public static func checkNoStopAfter(_ config: RunConfig) throws {
        guard config.hasJob, config.job.stopAfter != nil else { return }
        let at = (try? config.file.root.table(allowed: nil)["job"]?.table(allowed: nil)["stop_after"]) ?? nil
        throw (at ?? config.file.root).error("job.stop_after does not apply to a sweep's trials",
                                             hint: "remove it: each trial trains its whole budget (population-based training stops its members itself)")
    }

    /// `parallel` trials of `ranks` ranks each (`key` names where the ranks are set) must fit the
    /// cluster's slots (the listed hosts' slots, or this machine's cores), unless oversubscription
    /// is allowed, Slurm places them, or a hostfile leaves some host's slots to Open MPI.
    static func checkSlots(_ spec: SweepSpec, ranks: Int, key: String, config: RunConfig, section: ConfigValue) throws {
        guard !config.cluster.oversubscribe, config.cluster.launcher == .mpirun else { return }
        let shares: HostShares?
        do {
            shares = try HostShares.of(config.cluster)
        } catch let error as HostfileSlotsError {
            throw error.configError(in: config.file.path)
        } catch {
            return   // an unreadable hostfile is reported where the launch reads it
        }
        guard let slots = shares?.slots else { return }
        let needed = spec.parallel * ranks
        guard needed <= slots else {
            let table = try? section.table(allowed: nil)
            let at = (key == "program_ranks" && spec.parallel == 1 ? table?["program_ranks"] : table?["parallel"]) ?? section
            throw at.error("\(spec.parallel) trial\(spec.parallel == 1 ? "" : "s") at once × \(ranks) ranks each need \(needed) slots, but there are \(slots)",
                           hint: "lower sweep.parallel or \(key), add hosts, or set cluster.oversubscribe: true")
        }
    }

    /// The sweep section alone. Parameter names are not checked against the job here; use
    /// `parse(config:)` for that.
    public static func parse(_ value: ConfigValue, baseDirectory: String = "", programFiles: Bool = true) throws -> SweepSpec {
        var located: [LocatedParameter] = []
        return try parse(value, baseDirectory: baseDirectory, located: &located, programFiles: programFiles)
    }

    /// A parameter with the config value of its key, for errors about the parameter as a whole.
    struct LocatedParameter {
        let parameter: SweepParameter
        let key: ConfigValue
    }

    private static func parse(_ value: ConfigValue, baseDirectory: String, located: inout [LocatedParameter],
                              programFiles: Bool) throws -> SweepSpec {
        let t = try value.table(allowed: keys)
        let methodValue = try t.required("method", hint: "method: grid, random, bayes or pbt")
        let method = SweepMethod(rawValue: try methodValue.choice(SweepMethod.allCases.map(\.rawValue)))!
        if let v = t["name"] { _ = try v.string() }
        if let v = t["description"] { _ = try v.string() }

        var program: SweepProgram?
        if t["program"] != nil || t["command"] != nil {
            program = try SweepProgram.parse(program: t["program"], command: t["command"], baseDirectory: baseDirectory, files: programFiles)
        }

        let metricValue = try t.required("metric", hint: "e.g. metric: {name: val_loss, goal: minimize}")
        let metric = try parseMetric(metricValue, freeNames: program != nil)

        let parametersValue = try t.required("parameters", hint: "e.g. parameters: {optimizer.lr: {min: 0.0001, max: 0.1}}")
        located = try parseParameters(parametersValue, prefix: "", freeNames: program != nil)
        guard !located.isEmpty else {
            throw parametersValue.error("no parameters to sweep", hint: "add at least one, e.g. optimizer.lr: {values: [0.01, 0.1]}")
        }
        let space = SearchSpace(parameters: located.map(\.parameter))

        let runCapValue = t["run_cap"]
        let runCap = try runCapValue?.int(in: 1...Int.max, hint: "the most trials to run, 1 or more")
        var effectiveCap: Int
        var population: PopulationSpec?
        if method == .pbt {
            population = try PopulationSpec.parse(t)
            try checkPopulation(t, located: located, program: program)
            effectiveCap = population!.population
            if let count = space.configurationCount, count < effectiveCap {
                throw parametersValue.error("the parameters give \(count) distinct configuration(s), fewer than the population of \(effectiveCap): members would start alike",
                                            hint: "widen the parameters, or lower population")
            }
        } else if let key = PopulationSpec.keys.first(where: { t[$0] != nil }) {
            throw t[key]!.error("'\(key)' applies to method: pbt, not \(method.rawValue)", hint: "remove it, or choose method: pbt")
        } else if method == .grid {
            for p in located where !p.parameter.distribution.isDiscrete {
                throw p.key.error("grid search cannot enumerate a continuous \(p.parameter.distribution.shortName) range",
                                  hint: "list the values to try (values: [...]), use value: or int_uniform, or choose method: random")
            }
            guard let size = space.configurationCount else {
                throw parametersValue.error("the grid has more configurations than can be counted", hint: "narrow the int_uniform ranges")
            }
            effectiveCap = min(runCap ?? size, size)
        } else {
            guard let runCap else {
                throw value.error("missing required key 'run_cap'", hint: "\(method.rawValue) search needs run_cap: the most trials to run, e.g. run_cap: 20")
            }
            effectiveCap = runCap
        }

        var spec = SweepSpec(method: method, metric: metric, space: space, runCap: effectiveCap)
        spec.program = program
        spec.population = population
        if let v = t["parallel"] { spec.parallel = try v.int(in: 1...4096, hint: "trials at once") }
        if let v = t["max_retries"] { spec.maxRetries = try v.int(in: 0...100, hint: "restarts of a failed trial, 0 to 100") }
        if let v = t["seed"] { spec.seed = UInt64(try v.int(in: 0...Int.max, hint: "a whole number 0 or more")) }
        if let v = t["early_terminate"] {
            spec.earlyTerminate = try EarlyTerminationSpec.parse(v)
            if program != nil, spec.earlyTerminate?.pause == true {
                throw try v.table(allowed: nil)["pause"]!.error(
                    "pause: true needs training trials: a program's trial cannot be resumed where it paused",
                    hint: "remove pause (its trials below a rung's cut are then stopped), or sweep a training job")
            }
        }
        if let v = t["trial_timeout"] { spec.trialTimeout = try v.duration() }
        if let v = t["program_ranks"] {
            guard program != nil else {
                throw v.error("program_ranks is for a program's trials (program: or command:)",
                              hint: "a training trial's ranks are job.ranks")
            }
            spec.programRanks = try v.int(in: 1...4096, hint: "ranks per trial")
        }
        return spec
    }

    /// What population-based training refuses: run_cap (it trains `population` members),
    /// early termination (its own decisions replace the worst), a budget beside a job (it has its
    /// own) or none for a program, and job parameters a member cannot change while it trains on
    /// from a checkpoint.
    private static func checkPopulation(_ t: ConfigTable, located: [LocatedParameter], program: SweepProgram?) throws {
        if let v = t["run_cap"] {
            throw v.error("run_cap does not apply to method: pbt", hint: "pbt trains `population` members for the job's whole budget each; remove run_cap")
        }
        if let v = t["early_terminate"] {
            throw v.error("early_terminate does not apply to method: pbt", hint: "pbt's own decisions replace its worst members; remove early_terminate")
        }
        if program != nil {
            guard t["budget"] != nil else {
                throw t.value.error("method: pbt with a program needs budget: the epochs each member trains in all",
                                    hint: "e.g. budget: 12 (with interval: 3, four generations)")
            }
            return   // a program's parameters are its own; the program keeps its checkpoints (docs/pbt-program.md)
        }
        if let v = t["budget"] {
            throw v.error("budget applies to program trials; a training job's members train its own budget",
                          hint: "remove budget and set job.epochs (or job.steps)")
        }
        for p in located {
            if let why = PopulationSpec.refusal(of: p.parameter.name, p.parameter.distribution) {
                throw p.key.error("'\(p.parameter.name)' cannot be a pbt parameter: \(why)",
                                  hint: "pbt changes settings a member can take on from a checkpoint, e.g. optimizer.lr, optimizer.weight_decay, optimizer.momentum")
            }
        }
    }

    private static func parseMetric(_ value: ConfigValue, freeNames: Bool) throws -> SweepMetric {
        let t = try value.table(allowed: ["name", "goal"])
        let nameValue = try t.required("name", hint: "the metric to optimise, e.g. name: val_loss")
        let name = freeNames ? try nameValue.string() : try nameValue.choice(SweepSpec.jobMetrics)
        guard !name.isEmpty else { throw nameValue.error("the metric name is empty") }
        let goal = try t["goal"].map { MetricGoal(rawValue: try $0.choice(MetricGoal.allCases.map(\.rawValue)))! } ?? .minimize
        return SweepMetric(name: name, goal: goal)
    }

    /// The entries of `parameters:`, nested W&B `parameters:` mappings flattened to dotted names.
    private static func parseParameters(_ value: ConfigValue, prefix: String, freeNames: Bool) throws -> [LocatedParameter] {
        guard case .mapping(let mapping) = value.node else { throw value.error("expected a mapping of parameter names, got \(value.shown)") }
        var result: [LocatedParameter] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { throw value.child(keyNode, path: value.path).error("parameter names must be strings") }
            let path = "\(value.path).\(key)"
            let keyValue = value.child(keyNode, path: path), body = value.child(valueNode, path: path)
            let name = prefix + key
            if case .mapping = valueNode, let nested = try body.table(allowed: nil)["parameters"] {
                // A nested name may repeat a dotted one given beside it (`a.b` and `a: {parameters: {b}}`).
                for inner in try parseParameters(nested, prefix: name + ".", freeNames: freeNames) {
                    if result.contains(where: { $0.parameter.name == inner.parameter.name }) {
                        throw inner.key.error("parameter '\(inner.parameter.name)' is given twice", hint: "each parameter once")
                    }
                    result.append(inner)
                }
                continue
            }
            if case .scalar = valueNode {
                throw body.error("expected a mapping describing the parameter, got \(body.shown)",
                                 hint: "e.g. {value: \(body.shown.trimmingCharacters(in: ["'"]))} or {values: [...]}")
            }
            try checkName(name, at: keyValue, freeNames: freeNames)
            if result.contains(where: { $0.parameter.name == name }) {
                throw keyValue.error("parameter '\(name)' is given twice", hint: "each parameter once")
            }
            result.append(LocatedParameter(parameter: SweepParameter(name: name, distribution: try ParameterParser.parse(body)),
                                           key: keyValue))
        }
        return result
    }

    private static func checkName(_ name: String, at key: ConfigValue, freeNames: Bool) throws {
        if freeNames {
            guard name.range(of: #"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"#, options: .regularExpression) != nil else {
                throw key.error("'\(name)' is not usable as a --name=value argument", hint: "use letters, digits, '_', '.' or '-'")
            }
            return
        }
        if name.hasPrefix("job.") {
            throw key.error("parameter names are paths inside job", hint: "write '\(name.dropFirst(4))'")
        }
        guard name.range(of: #"^[a-z_][a-z0-9_]*(\[[0-9]+\])*(\.[a-z_][a-z0-9_]*(\[[0-9]+\])*)*$"#, options: .regularExpression) != nil else {
            throw key.error("'\(name)' is not a dotted job key path", hint: "e.g. optimizer.lr, model.hidden or model.layers[2].units")
        }
    }

    /// Applies every value a parameter may take (each listed value; both ends of a range) to
    /// the job, the other parameters at their first value, and parses the result with the real
    /// job parser, so a wrong name or value is reported at the sweep parameter before any trial runs.
    private static func checkAgainstJob(_ spec: SweepSpec, located: [LocatedParameter], config: RunConfig,
                                        dataFiles: DatasetParser.FileCheck) throws {
        let first = Dictionary(uniqueKeysWithValues: spec.space.parameters.map { ($0.name, $0.distribution.firstValue) })
        try check(first, changed: nil, spec: spec, located: located, config: config, dataFiles: dataFiles)
        for (index, parameter) in spec.space.parameters.enumerated() {
            for value in parameter.distribution.probeValues.dropFirst() {
                var configuration = first
                configuration[parameter.name] = value
                try check(configuration, changed: index, spec: spec, located: located, config: config, dataFiles: dataFiles)
            }
        }
    }

    private static func check(_ configuration: Configuration, changed: Int?, spec: SweepSpec,
                              located: [LocatedParameter], config: RunConfig, dataFiles: DatasetParser.FileCheck) throws {
        let trialOverrides = spec.overrides(for: configuration)
        do {
            _ = try spec.trialConfig(base: config, configuration: configuration, dataFiles: dataFiles)
        } catch let error as ConfigError {
            if let index = trialOverrides.firstIndex(where: { error.file == "--set \($0)" }) ?? changed {
                let detail = (error.keyPath.isEmpty ? "" : "\(error.keyPath): ") + error.message
                let name = located[index].parameter.name
                throw located[index].key.error("'\(name)' does not fit the job with the value \(configuration[name]!): \(detail)",
                                               hint: error.hint)
            }
            var relocated = error
            let shown = trialOverrides.joined(separator: ", ")
            relocated.hint = (error.hint.map { $0 + "; " } ?? "") + "with the sweep's values: \(shown)"
            throw relocated
        }
    }
}

extension ParameterDistribution {
    /// The W&B name of the distribution (`log_uniform_values`, `int_uniform` ...).
    public var shortName: String {
        switch self {
        case .constant: return "constant"
        case .categorical: return "categorical"
        case .uniform: return "uniform"
        case .intUniform: return "int_uniform"
        case .logUniformValues: return "log_uniform_values"
        case .qUniform: return "q_uniform"
        case .qLogUniformValues: return "q_log_uniform_values"
        case .normal: return "normal"
        case .logNormal: return "log_normal"
        }
    }
}
