// ConfigWarnings: settings a config accepts that do nothing, or likely not what was meant — an
// optimizer or schedule key its kind ignores, a cosine schedule that rises, a sweep metric named
// like an accuracy but minimised. Warnings, not errors: runs and sweeps made before re-read their
// configs on resume and report, and these configs ran.
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

    /// The warnings for `config`, located as errors are (`file:line:column: key: message (hint)`).
    /// A key a sweep varies is judged by no base value: an optimizer key when the sweep varies
    /// `optimizer.name`, and so on.
    public static func of(_ config: RunConfig) -> [ConfigError] {
        var warnings: [ConfigError] = []
        let sweep = try? config.sweepSpec()
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
                    guard let value = schedule[key] else { continue }
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
            let name = sweep.metric.name.lowercased()
            let givesGoal = (try? metric.table(allowed: nil))?.contains("goal") ?? false
            if !givesGoal && (name.hasSuffix("acc") || name.contains("accuracy")) {
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
