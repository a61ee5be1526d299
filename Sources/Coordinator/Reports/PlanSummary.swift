// PlanSummary: the resolved plan of a checked config as text — job, ranks and hosts, and for a
// sweep its method, metric, parameters with their distributions, limits and first grid points.
import Foundation
import Worker

/// Renders what a config will run, for `ringtrain validate`.
public enum PlanSummary {
    /// The plan of `config` (and its checked `sweep`, if any); grids list their first
    /// `gridPreview` configurations (default 5).
    public static func text(config: RunConfig, sweep: SweepSpec?, gridPreview: Int = 5) -> String {
        let job = config.job
        var lines = ["config: \(config.file.path) is valid", "", "job \(job.name):"]
        switch job.dataset.source {
        case .idx(let images, _, _, _): lines.append("  dataset     IDX \(images)")
        case .csv(let train, _, let labels, let task):
            lines.append("  dataset     CSV \(train) (\(task.rawValue), label \(labels.joined(separator: ", ")))")
        case .arrays(let train, _, let task):
            let arrays = train.features.name.map { "NPZ \(train.features.path) (arrays \($0), \(train.labels.name ?? ""); " } ?? "NPY \(train.features.path) ("
            lines.append("  dataset     \(arrays)\(task.rawValue))")
        case .text(let train, _, let context):
            lines.append("  dataset     text \(train) (bytes, context \(context))")
        }
        let m = job.model
        var model = m.kind.rawValue
        if m.kind == .layers {
            model = "\(m.layers.count) declared layers (each listed below)"
        } else {
            if m.kind != .logistic { model += " hidden \(m.hidden), \(m.activation.rawValue)" }
            if m.dropout > 0 { model += ", dropout \(m.dropout)" }
            if m.kind == .cnn { model += ", channels \(m.channels), kernel \(m.kernel)" }
        }
        lines.append("  model       \(model)")
        lines.append("  optimizer   \(job.optimizer.kind.rawValue), lr \(job.optimizer.learningRate), schedule \(job.schedule.kind.rawValue)")
        let budget = job.steps.map { "\($0) steps (validated \(job.evalEvery.map { "every \($0) steps and " } ?? "")at the end)" } ?? "\(job.epochs) epochs"
        lines.append("  training    \(budget), batch \(job.batchSize) (\(job.localBatch) per rank per step), seed \(job.seed)")
        let hosts = config.cluster.hosts.isEmpty
            ? (config.cluster.hostfile.map { "hostfile \($0)" } ?? "this machine")
            : config.cluster.hosts.map { "\($0.host):\($0.slots)" }.joined(separator: ", ")
        lines.append("  ranks       \(job.ranks) on \(hosts) (launcher \(config.cluster.launcher.rawValue))")
        if job.ranks > 1 {
            var gradients = switch job.averaging {
            case .overlap: "averaged in buckets of at least \(job.bucketBytes / 1024) KiB during backward (overlap)"
            case .oneCall: "averaged after backward in one ring all-reduce"
            case .sharded: "reduce-scattered; each rank updates its 1/\(job.ranks) shard, then the parameters are all-gathered"
            }
            if job.accumulate > 1 { gradients += ", every \(job.accumulate) micro-steps" }
            if job.fp16Gradients { gradients += ", fp16 on the wire" }
            lines.append("  gradients   " + gradients)
        }
        let restarts = config.cluster.restarts
        if restarts.enabled {
            lines.append("  restarts    " + (job.ranks == 1 ? "none: a one-rank run trains in the ringtrain process itself"
                : "up to \(restarts.max) within \(durationText(restarts.window)) after a lost rank or host, first after \(durationText(restarts.backoff)) "
                  + "(doubling), on at least \(restarts.minRanks) rank\(restarts.minRanks == 1 ? "" : "s")"))
        }
        guard let sweep else { return lines.joined(separator: "\n") + "\n" }

        lines += ["", "sweep:"]
        lines.append("  method      \(sweep.method.rawValue)")
        lines.append("  metric      \(sweep.metric.name) (\(sweep.metric.goal.rawValue))")
        lines.append((sweep.population == nil ? "  run_cap     \(sweep.runCap)" : "  members     \(sweep.runCap)") + "   parallel \(sweep.parallel)   max_retries \(sweep.maxRetries)   seed \(sweep.seed)")
        if let p = sweep.population {
            let unit = job.steps == nil || sweep.program != nil ? "epochs" : "evaluations"
            lines.append("  pbt         population \(p.population), \(p.generations(reports: p.budget ?? job.progressReports)) generations of "
                         + "\(p.interval) \(unit); at each end the worst \(p.replaced(among: p.population)) copy one of the best "
                         + "(quantile \(p.quantile), resample_probability \(p.resampleProbability), perturb \(p.perturb.map(ReportTable.number).joined(separator: "/")))")
        }
        if let e = sweep.earlyTerminate {
            var text = "\(e.kind.rawValue), eta \(e.eta)"
            if let v = e.minIter { text += ", min_iter \(v)" }
            if let v = e.maxIter { text += ", max_iter \(v)" }
            if let v = e.s { text += ", s \(v)" }
            if e.pause { text += ", pausing (promoted later when among the best)" }
            text += ", compared at \(job.steps == nil ? "epochs" : "evaluations") \(e.milestones(epochs: job.progressReports))"
            lines.append("  early_terminate  \(text)")
        }
        if let program = sweep.program {
            lines.append("  command     " + program.command.joined(separator: " ")
                         + (program.program.map { "  (program \($0))" } ?? ""))
            if let ranks = sweep.programRanks {
                lines.append("  ranks       \(ranks) per trial (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT ... set on each)")
            }
        }
        var table = TextTable(headers: ["parameter", "distribution", "values"])
        for p in sweep.space.parameters { table.add([p.name, p.distribution.shortName, describe(p.distribution)]) }
        lines.append("  parameters:")
        lines += table.rendered.split(separator: "\n").map { "    " + String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        if sweep.method == .grid, let size = sweep.gridSize {
            let shown = min(gridPreview, sweep.runCap)
            lines.append("  grid        \(size) configurations" + (sweep.runCap < size ? ", capped at run_cap \(sweep.runCap)" : "")
                         + (shown > 0 ? "; the first \(shown):" : ""))
            let names = sweep.space.parameters.map(\.name)
            for i in 0..<shown {
                let c = sweep.space.gridConfiguration(at: i)
                lines.append("    \(i + 1). " + names.map { "\($0)=\(c[$0]!)" }.joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A distribution's values or range, e.g. `[0.0001, 0.1]` or `mu 0, sigma 1`.
    static func describe(_ d: ParameterDistribution) -> String {
        switch d {
        case .constant(let v): return v.description
        case .categorical(let values): return values.map(\.description).joined(separator: " | ")
        case .intUniform(let lo, let hi): return "\(lo) ... \(hi)"
        case .uniform(let lo, let hi), .logUniformValues(let lo, let hi): return "[\(lo), \(hi)]"
        case .qUniform(let lo, let hi, let q), .qLogUniformValues(let lo, let hi, let q): return "[\(lo), \(hi)] step \(q)"
        case .normal(let mu, let sigma), .logNormal(let mu, let sigma): return "mu \(mu), sigma \(sigma)"
        }
    }
}
