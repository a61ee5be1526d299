// ConfigWarnings: settings a config accepts that do nothing, or likely not what was meant — an
// optimizer key its kind ignores, a schedule key its kind ignores at other than its default, a cosine
// schedule that rises, a sweep metric named like an accuracy or F1 score but minimised. Warnings,
// not errors: runs and sweeps made before re-read their configs on resume and report.
import Model

public enum ConfigWarnings {
    /// Keys of `job.optimizer` each kind leaves unused.
    static let unusedOptimizerKeys: [OptimizerKind: [String]] = [
        .sgd: ["beta1", "beta2", "eps"], .adam: ["momentum", "nesterov"], .adamw: ["momentum", "nesterov"],
    ]
    /// Keys of `job.schedule` each kind leaves unused.
    static let unusedScheduleKeys: [ScheduleKind: [String]] = [
        .constant: ["step_size", "gamma", "min_lr"], .step: ["min_lr"], .cosine: ["step_size", "gamma"],
    ]
    /// The defaults of the schedule's keys. A schedule key at its default is not warned about:
    /// resolved configs (a run's resolved.yaml, a trial's config.yaml) write every one of them.
    static let scheduleDefaults: [String: Double] = {
        let s = ScheduleSpec()
        return ["step_size": Double(s.stepSize), "gamma": s.gamma, "min_lr": s.minLearningRate]
    }()

    /// Whether `value` is the default of the schedule key `key`.
    static func isScheduleDefault(_ value: ConfigValue, of key: String) -> Bool {
        (try? value.double()).map { $0 == scheduleDefaults[key] } ?? false
    }

    /// The warnings for `config`, located as errors are (`file:line:column: key: message (hint)`).
    /// A key a sweep varies is judged by no base value: an optimizer key when the sweep varies
    /// `optimizer.name`, and so on.
    public static func of(_ config: RunConfig) -> [ConfigError] {
        var warnings: [ConfigError] = []
        // The section alone: its parameter names and metric are all a warning reads, and checking
        // every value against the job again would double a large sweep's check.
        let sweep = try? config.sweep.map { try SweepParser.parse($0, baseDirectory: config.file.directory) }
        let swept = Set(sweep?.space.parameters.map(\.name) ?? [])
        let top = try? config.file.root.table(allowed: nil)
        if config.hasJob, let job = try? top?["job"]?.table(allowed: nil) {
            let optimizer = try? job["optimizer"]?.table(allowed: nil)
            let schedule = try? job["schedule"]?.table(allowed: nil)
            if let optimizer, !swept.contains("optimizer.name") {
                let kind = config.job.optimizer.kind
                for key in unusedOptimizerKeys[kind] ?? [] where !swept.contains("optimizer.\(key)") {
                    guard let value = optimizer[key] else { continue }
                    warnings.append(value.error("\(kind.rawValue) does not use it", hint: "it is for \(users(of: key, in: unusedOptimizerKeys)); remove it"))
                }
            }
            if let schedule, !swept.contains("schedule.name") {
                let kind = config.job.schedule.kind
                for key in unusedScheduleKeys[kind] ?? [] where !swept.contains("schedule.\(key)") {
                    guard let value = schedule[key], !isScheduleDefault(value, of: key) else { continue }
                    warnings.append(value.error("the \(kind.rawValue) schedule does not use it",
                                                hint: "it is for the \(users(of: key, in: unusedScheduleKeys)) schedule; remove it"))
                }
                let (lr, minLR) = (config.job.optimizer.learningRate, config.job.schedule.minLearningRate)
                if kind == .cosine, minLR > lr, let value = schedule["min_lr"],
                   !swept.contains("optimizer.lr"), !swept.contains("schedule.min_lr") {
                    warnings.append(value.error("\(minLR) is above optimizer.lr \(lr): the cosine schedule rises to it instead of decaying",
                                                hint: "give a min_lr below lr, e.g. \(lr / 100)"))
                }
            }
        }
        if let sweep, let section = try? top?["sweep"]?.table(allowed: nil), let metric = section["metric"] {
            let givesGoal = (try? metric.table(allowed: nil))?.contains("goal") ?? false
            if !givesGoal && MetricGoal.readsAsHigherIsBetter(sweep.metric.name) {
                warnings.append(metric.error("\(sweep.metric.name) is minimised: no goal is given, and minimize is the default",
                                             hint: "add goal: maximize if higher is better"))
            }
        }
        return warnings
    }

    /// The kinds that use `key`, in the order of their names.
    private static func users<Kind: RawRepresentable & Hashable>(of key: String, in unused: [Kind: [String]]) -> String
    where Kind.RawValue == String {
        unused.filter { !$0.value.contains(key) }.map(\.key.rawValue).sorted().joined(separator: " and ")
    }
}
