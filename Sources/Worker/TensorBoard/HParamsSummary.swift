// HParamsSummary: the HParams plugin's three summaries — the experiment (the hyperparameters with
// their domains, and the metrics), and each session's start (its values) and end (its status) —
// as `HParamsPluginData` messages, encoded by hand (tensorboard/plugins/hparams/api.proto,
// plugin_data.proto; values are google.protobuf.Value).

/// The summaries TensorBoard's HParams tab reads: an experiment in the top folder, and in each
/// run folder a session start and end.
public enum HParamsSummary {
    /// The plugin's name in a summary's metadata.
    public static let plugin = "hparams"

    /// A hyperparameter's value as the plugin stores it.
    public enum Value: Equatable, Sendable {
        case number(Double)
        case string(String)
        case bool(Bool)
    }

    /// What kind of values a hyperparameter takes.
    public enum Kind: Equatable, Sendable { case number, string, bool }

    /// A hyperparameter's domain in the experiment.
    public enum Domain: Equatable, Sendable {
        /// Any number from `min` to `max`.
        case interval(min: Double, max: Double)
        /// One of these values.
        case discrete([Value])
    }

    /// One hyperparameter of the experiment: `name`, its kind (that of its values) and its domain.
    public struct Info: Equatable, Sendable {
        public var name: String
        public var kind: Kind
        public var domain: Domain?
        public init(name: String, kind: Kind, domain: Domain?) { (self.name, self.kind, self.domain) = (name, kind, domain) }
    }

    /// The experiment: `hparams` and the scalar tags of its `metrics`.
    public static func experiment(_ hparams: [Info], metrics: [String]) -> TensorBoardEvent.Content {
        var experiment = ProtobufWriter()   // Experiment: hparam_infos = 4, metric_infos = 5
        for info in hparams {
            var entry = ProtobufWriter()    // HParamInfo: name = 1, type = 4, domain_discrete = 5, domain_interval = 6
            entry.string(1, info.name)
            entry.int64(4, dataType(info.kind))
            switch info.domain {
            case .interval(let low, let high):
                var interval = ProtobufWriter()   // Interval: min_value = 1, max_value = 2
                interval.double(1, low)
                interval.double(2, high)
                entry.bytes(6, interval.bytes)
            case .discrete(let values):
                var list = ProtobufWriter()       // ListValue: values = 1
                for value in values { list.bytes(1, encoded(value)) }
                entry.bytes(5, list.bytes)
            case nil: break
            }
            experiment.bytes(4, entry.bytes)
        }
        for metric in metrics {
            var name = ProtobufWriter()     // MetricName: tag = 2
            name.string(2, metric)
            var info = ProtobufWriter()     // MetricInfo: name = 1
            info.bytes(1, name.bytes)
            experiment.bytes(5, info.bytes)
        }
        return pluginData(tag: "_hparams_/experiment", field: 2, experiment.bytes)
    }

    /// A session's start: its hyperparameter values, its group (the run's name) and when it began.
    public static func sessionStart(_ hparams: [(name: String, value: Value)], group: String, startTime: Double) -> TensorBoardEvent.Content {
        var start = ProtobufWriter()   // SessionStartInfo: hparams = 1 (map entries: key = 1, value = 2), group_name = 4, start_time_secs = 5
        for (name, value) in hparams {
            var entry = ProtobufWriter()
            entry.string(1, name)
            entry.bytes(2, encoded(value))
            start.bytes(1, entry.bytes)
        }
        start.string(4, group)
        start.double(5, startTime)
        return pluginData(tag: "_hparams_/session_start_info", field: 3, start.bytes)
    }

    /// A session's end: succeeded or failed, and when.
    public static func sessionEnd(succeeded: Bool, endTime: Double) -> TensorBoardEvent.Content {
        var end = ProtobufWriter()     // SessionEndInfo: status = 1 (SUCCESS = 1, FAILURE = 2), end_time_secs = 2
        end.int64(1, succeeded ? 1 : 2)
        end.double(2, endTime)
        return pluginData(tag: "_hparams_/session_end_info", field: 4, end.bytes)
    }

    /// `HParamsPluginData` (version = 1, left at 0; `field` is 2 experiment, 3 session start, 4 session end).
    private static func pluginData(tag: String, field: Int, _ message: [UInt8]) -> TensorBoardEvent.Content {
        var data = ProtobufWriter()
        data.bytes(field, message)
        return .pluginData(tag: tag, plugin: plugin, content: data.bytes)
    }

    /// A google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4.
    private static func encoded(_ value: Value) -> [UInt8] {
        var writer = ProtobufWriter()
        switch value {
        case .number(let number): writer.double(2, number)
        case .string(let text): writer.string(3, text)
        case .bool(let flag): writer.int64(4, flag ? 1 : 0)
        }
        return writer.bytes
    }

    /// The plugin's DataType: STRING = 1, BOOL = 2, FLOAT64 = 3.
    private static func dataType(_ kind: Kind) -> Int64 {
        switch kind {
        case .string: 1
        case .bool: 2
        case .number: 3
        }
    }
}
