// TrainBenchmarkSettings: the options of `ringtrain bench train` (validated by the command),
// the models it can measure, and which config a model's measurement trains.

/// What `ringtrain bench train` measures (its options, already validated).
public struct TrainBenchmarkSettings: Sendable {
    /// A built-in model (`builtIn`) or one named after a repository config (`configOf`); nil: mlp.
    public var model: String?
    /// Samples per rank per step (default 128 for built-in models, else the config's batch_size).
    public var batch: Int?
    /// Training steps per timed repetition (default: `stepsPerRepetition`).
    public var steps: Int?
    /// Measure this config's model on its data instead (with `model` gpt or resnet: used in place of theirs).
    public var config: String?
    /// Timed repetitions; medians are reported. Default 5.
    public var repeats = 5
    /// Folder with the Fashion-MNIST IDX files (built-in models).
    public var data = "/usr/share/datasets/fashion-mnist"
    /// Print one JSON object per row instead of a table. Default false.
    public var json = false
    /// 1 measures one process; N > 1 measures 1 rank, then N ranks under mpirun. Default 1.
    public var ranks = 1
    /// Send gradients as fp16 in the all-reduce. Default false.
    public var fp16 = false
    /// Whether the ranks of a host average through memory they share (`Collectives.mapHostMemory`). Default true.
    public var sharedMemory = true
    /// Where the N-rank job runs (`BenchmarkCluster.make`); nil: this machine. Default nil.
    public var cluster: ClusterSpec?

    public init() {}

    /// The built-in models, measured on Fashion-MNIST from `data`.
    public static let builtIn: Set = ["mlp", "cnn"]
    /// The models named after a config of the repository, measured on that config's data.
    public static let configOf = ["gpt": "configs/shakespeare-gpt.yaml", "resnet": "configs/fashion-resnet.yaml"]

    /// The config whose model is measured, or nil for a built-in model.
    var configPath: String? { config ?? model.flatMap { Self.configOf[$0] } }
}
