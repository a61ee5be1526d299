// SweepTensorBoard: a sweep's summaries for TensorBoard's HParams tab — the experiment (the search
// space's parameters and the sweep metric) in the sweep folder, and in each trial's folder (a run
// of its own) the session's start with its values and its end with its status. Event files are a
// copy for viewing: one that cannot be written is warned about, never the sweep's failure.
import Foundation
import Worker

/// Writes the HParams plugin's summaries of a sweep.
enum SweepTensorBoard {
    /// The label of the event file holding a trial's session start (and so whether it was written).
    static let startLabel = "hparams"
    /// The label of the event file holding a trial's session end.
    static let endLabel = "hparams-end"

    /// The experiment, written into `folder` (the sweep's) once.
    static func writeExperiment(_ spec: SweepSpec, folder: String) {
        guard !hasFile(labelled: startLabel, in: folder) else { return }
        let infos = spec.space.parameters.map(info)
        EventFileWriter(folder: folder, firstStep: nil, label: startLabel)?
            .write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: 0,
                                    content: HParamsSummary.experiment(infos, metrics: [spec.metric.name])))
    }

    /// Trial `id`'s session start in its `folder`, once: with its values, named by the folder.
    static func trialStarted(_ id: Int, configuration: Configuration, spec: SweepSpec, folder: String) {
        guard !hasFile(labelled: startLabel, in: folder) else { return }
        let kinds = Dictionary(uniqueKeysWithValues: spec.space.parameters.map { ($0.name, info($0).kind) })
        let values = configuration.keys.sorted().map { name in (name: name, value: value(configuration[name]!, as: kinds[name])) }
        let now = Date().timeIntervalSince1970
        EventFileWriter(folder: folder, firstStep: nil, label: startLabel)?
            .write(TensorBoardEvent(wallTime: now, step: 0,
                                    content: HParamsSummary.sessionStart(values, group: URL(fileURLWithPath: folder).lastPathComponent, startTime: now)))
    }

    /// Trial `trial`'s session end in `folder`, once it is finished, stopped or failed; for a
    /// program trial (whose program writes no TensorBoard files) also its metric, as the scalar
    /// the experiment names, at its last reported epoch `step`.
    static func trialEnded(_ trial: TrialRecord, spec: SweepSpec, folder: String, step: Int) {
        guard trial.status.isFinal, FileManager.default.fileExists(atPath: folder), !hasFile(labelled: endLabel, in: folder) else { return }
        let now = Date().timeIntervalSince1970
        guard let writer = EventFileWriter(folder: folder, firstStep: nil, label: endLabel) else { return }
        if spec.program != nil, let metric = trial.metric {
            writer.scalars([(spec.metric.name, Float(metric))], step: step)
        }
        writer.write(TensorBoardEvent(wallTime: now, step: 0, content: HParamsSummary.sessionEnd(succeeded: trial.status != .failed, endTime: now)))
    }

    /// Whether `folder` holds an event file written with `label`.
    static func hasFile(labelled label: String, in folder: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains {
            $0.hasPrefix("events.out.tfevents.") && $0.hasSuffix("." + label)
        }
    }

    /// A parameter as the experiment lists it: numbers keep their range; a list of values is
    /// discrete, as text unless all are numbers or all are booleans (lists become text too).
    static func info(_ parameter: SweepParameter) -> HParamsSummary.Info {
        switch parameter.distribution {
        case .constant(let v): return discrete(parameter.name, [v])
        case .categorical(let values): return discrete(parameter.name, values)
        case .uniform(let low, let high), .logUniformValues(let low, let high),
             .qUniform(let low, let high, _), .qLogUniformValues(let low, let high, _):
            return HParamsSummary.Info(name: parameter.name, kind: .number, domain: .interval(min: low, max: high))
        case .intUniform(let low, let high):
            return HParamsSummary.Info(name: parameter.name, kind: .number, domain: .interval(min: Double(low), max: Double(high)))
        case .normal, .logNormal:
            return HParamsSummary.Info(name: parameter.name, kind: .number, domain: nil)
        }
    }

    private static func discrete(_ name: String, _ values: [ParameterValue]) -> HParamsSummary.Info {
        let kind: HParamsSummary.Kind = values.allSatisfy { $0.number != nil } ? .number
            : values.allSatisfy { if case .bool = $0 { true } else { false } } ? .bool : .string
        return HParamsSummary.Info(name: name, kind: kind, domain: .discrete(values.map { value($0, as: kind) }))
    }

    /// `v` as a value of `kind` (text when the kinds differ or the kind is unknown).
    static func value(_ v: ParameterValue, as kind: HParamsSummary.Kind?) -> HParamsSummary.Value {
        switch (v, kind) {
        case (.bool(let flag), .bool): return .bool(flag)
        case (.int, .number), (.double, .number): return .number(v.number!)
        default: return .string(v.description)
        }
    }
}
