// ReportJSON: the sweep report as one JSON object (`report --format json`, results.json) in the
// shape the command-line contract fixes: metric, best, trials; plus counts and effects.
import Foundation

/// JSON rendering of sweep results.
///
/// ```
/// {"metric": {"name": "val_loss", "goal": "minimize"},
///  "best": {"id": 3, "params": {...}, "metric": 0.12, "metrics": {...}} or null,
///  "trials": [{"id", "status", "params", "metrics", "epochs", "metric", "curve", "attempts", "error", "reason",
///              "paused_at", "promotions"}],
///  "counts": {"pending": 0, "running": 0, "finished": 3, "failed": 1, "stopped": 0, "interrupted": 0, "paused": 0},
///  "effects": [{"name", "kind", "importance", "log_scale", "spearman", "pearson", "groups", "trials"}],
///  "best_config_yaml": "..." or null, "notes": [...]}
/// ```
/// With `method: pbt` it also has `"lineage": [{"generation", "trial", "source", "params",
/// "metric"}]` (generation 0-based; `source` the member copied at its start or null; `metric` at
/// its end or null), `"best_schedule": [{"from", "to", "trial", "params"}]` (the stretches of
/// epochs, or evaluations, behind the best trial's final model; `best_config_yaml` is its start)
/// and `"replay": [...]` (commands that train that model again; empty for a program's trials).
/// Trials are in ranking order. `status` is pending, running, finished, failed, stopped,
/// interrupted (stopped with the sweep, waiting to resume) or paused (by successive halving with
/// `pause: true`; `paused_at` is its rung, null otherwise; `promotions` counts its promotions);
/// `reason` names a failure (`timeout`) or is null;
/// `metrics` holds the final values (the sweep metric included when known); `epochs` is the
/// number of reported epochs and `curve` the sweep metric per epoch (`[{"epoch", "value"}]`);
/// `error` is the first line of the last failure or null. Missing numbers are null.
///
/// For a job budgeted in steps (`job.steps`), whose trials report every `eval_every` steps, each
/// trial also has `evaluations` (the number of reported evaluations; `epochs` holds the same
/// number, for readers of the epochs form), and each `curve` point also has `evaluation` (its
/// 1-based index, which `epoch` repeats) and `step` (the optimizer step it was taken at, or
/// null when not recorded): `[{"epoch", "evaluation", "step", "value"}]`.
public enum ReportJSON {
    /// The report object as pretty-printed JSON text with sorted keys, ending in a newline.
    public static func render(_ results: SweepResults, effects: [ParameterEffect]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object(results, effects: effects),
                                                options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The report as JSONSerialization objects.
    public static func object(_ results: SweepResults, effects: [ParameterEffect]) -> [String: Any] {
        let name = results.metric.name
        var object: [String: Any] = [
            "metric": ["name": name, "goal": results.metric.goal.rawValue],
            "trials": results.trials.map { trial($0, metric: name, unit: results.progressUnit) },
            "counts": Dictionary(uniqueKeysWithValues: results.statusCounts.map { ($0.key.rawValue, $0.value) }),
            "effects": effects.map(effect),
            "best_config_yaml": results.bestYAML ?? NSNull(),
            "notes": results.notes,
        ]
        if let best = results.best {
            object["best"] = ["id": best.id, "params": params(best.configuration), "metric": best.metric.map(json) ?? NSNull(),
                              "metrics": metrics(best, name: name), "status": best.status.rawValue] as [String: Any]
        } else {
            object["best"] = NSNull()
        }
        if let lineage = results.lineage {
            object["lineage"] = lineage.entries.map { e -> [String: Any] in
                ["generation": e.generation, "trial": e.trial, "source": e.source ?? NSNull(), "params": params(e.configuration),
                 "metric": results.reported(e.trial, at: lineage.span(e.generation).upperBound).map(json) ?? NSNull()]
            }
            object["best_schedule"] = results.bestSchedule.map { s -> [String: Any] in
                ["from": s.from, "to": s.to, "trial": s.trial, "params": params(s.configuration)]
            }
            object["replay"] = results.bestYAML == nil ? [] : lineage.replayCommands(results.bestSchedule, parameters: results.parameters)
        }
        return object
    }

    static func trial(_ t: TrialResult, metric name: String, unit: ProgressUnit) -> [String: Any] {
        var object: [String: Any] = [
            "id": t.id, "status": t.status.rawValue, "params": params(t.configuration), "metrics": metrics(t, name: name),
            "epochs": t.epochs.count, "metric": t.metric.map(json) ?? NSNull(), "attempts": t.attempts,
            "curve": t.curve(name).map { ["epoch": $0.epoch, "value": json($0.value)] },
            "error": t.errorLine ?? NSNull(), "reason": t.reason ?? NSNull(),
            "paused_at": t.pausedAt ?? NSNull(), "promotions": t.promotions,
        ]
        if unit == .evaluation {
            object["evaluations"] = t.epochs.count
            object["curve"] = t.evaluationCurve(name).map { point -> [String: Any] in
                ["epoch": point.evaluation, "evaluation": point.evaluation, "step": point.step ?? NSNull(), "value": json(point.value)]
            }
        }
        return object
    }

    static func params(_ configuration: Configuration) -> [String: Any] {
        configuration.mapValues(\.jsonObject)
    }

    /// Final metrics with the sweep metric filled in from the trial's metric when missing.
    static func metrics(_ t: TrialResult, name: String) -> [String: Any] {
        var values = t.finalMetrics
        if values[name] == nil, let m = t.metric { values[name] = m }
        return values.mapValues(json)
    }

    static func effect(_ e: ParameterEffect) -> [String: Any] {
        [
            "name": e.name, "kind": e.kind.rawValue, "importance": json(e.importance), "log_scale": e.logScale,
            "spearman": e.spearman.map(json) ?? NSNull(), "pearson": e.pearson.map(json) ?? NSNull(), "trials": e.trials,
            "groups": e.groups.map { ["value": $0.value, "count": $0.count, "mean": json($0.mean)] as [String: Any] },
        ]
    }

    /// A number for JSONSerialization; non-finite values become null.
    static func json(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
}
