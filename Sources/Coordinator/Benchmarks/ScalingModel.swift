// ScalingModel: predicted all-reduce and step times at N ranks from measured inputs — compute per
// sample, the update's time, and the links between and within hosts — for the flat ring, the
// two-level all-reduce, the sharded update and overlap. The arithmetic behind `ringtrain bench scaling`.
import Collective

/// The measured inputs of a prediction.
public struct ScalingInputs: Sendable {
    /// Parameters of the model (fp32 elements all-reduced each step).
    public var parameters: Int
    /// Samples each rank computes per step (fixed as ranks grow: the global batch grows with them).
    public var batchPerRank: Int
    /// One rank's forward and backward time per sample, seconds.
    public var computeSecondsPerSample: Double
    /// One rank's optimizer update of the whole model, seconds.
    public var updateSeconds: Double
    /// Ranks on each host; ranks fill a host before the next (mpirun's by-slot placement).
    public var ranksPerHost: Int
    /// The link between two hosts, one stream; ranks of a host share it.
    public var network: LinkCost
    /// The link between two ranks of one host.
    public var local: LinkCost
    /// Gradients cross as fp16 (the sharded update's all-gather of parameters stays fp32).
    public var halfPrecision = false
    /// Share of the compute time in the backward pass, the part overlap can hide communication behind.
    public var backwardShare = 2.0 / 3.0
    /// Buckets overlap all-reduces one by one during backward (the last one after it).
    public var buckets = 1

    public init(parameters: Int, batchPerRank: Int, computeSecondsPerSample: Double, updateSeconds: Double,
                ranksPerHost: Int, network: LinkCost, local: LinkCost) {
        (self.parameters, self.batchPerRank, self.computeSecondsPerSample, self.updateSeconds) =
            (parameters, batchPerRank, computeSecondsPerSample, updateSeconds)
        (self.ranksPerHost, self.network, self.local) = (ranksPerHost, network, local)
    }
}

/// The prediction for one rank count and one all-reduce (the flat ring with ranks packed onto
/// hosts in order, as mpirun places them, or the two-level scheme).
public struct ScalingPrediction: Sendable, Equatable {
    public var ranks: Int
    /// Hosts the ranks fill, and ranks on each (the last host may hold fewer).
    public var hosts: Int, ranksPerHost: Int
    public var algorithm: AllReduceAlgorithm
    /// One all-reduce of the whole gradient, seconds, and its part that is latency (the rest is bytes).
    public var allReduce: Double, allReduceLatency: Double
    /// Step times, seconds: one all-reduce after backward; the sharded update (reduce-scatter,
    /// 1/N of the update, all-gather); overlap (buckets during backward, the whole update).
    public var oneCallStep: Double, shardedStep: Double, overlapStep: Double
    /// One rank's step (compute and update, nothing to send).
    public var singleRankStep: Double

    /// Hosts × ranks a host, with the last host's ranks after a + when it holds fewer ("1×2+1").
    public var placement: String {
        let last = ranks - (hosts - 1) * ranksPerHost
        return last == ranksPerHost ? "\(hosts)×\(ranksPerHost)" : "\(hosts - 1)×\(ranksPerHost)+\(last)"
    }

    /// Samples/s at N ranks ÷ (N × samples/s of one rank), each way.
    public var oneCallEfficiency: Double { singleRankStep / oneCallStep }
    public var shardedEfficiency: Double { singleRankStep / shardedStep }
    public var overlapEfficiency: Double { singleRankStep / overlapStep }
}

/// The model's arithmetic.
public enum ScalingModel {
    /// The predictions at each of `rankCounts`: the flat ring always, the two-level scheme where it
    /// applies (2+ hosts, each full with 2+ ranks: the rule `Collectives.chooseAllReduce` follows).
    public static func predict(_ inputs: ScalingInputs, rankCounts: [Int]) -> [ScalingPrediction] {
        rankCounts.flatMap { n in
            AllReduceAlgorithm.allCases.compactMap { predict(inputs, ranks: n, algorithm: $0) }
        }
    }

    /// One prediction, or nil when `algorithm` does not apply to `ranks` ranks placed on hosts of
    /// `inputs.ranksPerHost`.
    public static func predict(_ inputs: ScalingInputs, ranks: Int, algorithm: AllReduceAlgorithm) -> ScalingPrediction? {
        precondition(ranks >= 1 && inputs.ranksPerHost >= 1)
        let perHost = min(ranks, inputs.ranksPerHost)
        let hosts = (ranks + perHost - 1) / perHost
        if algorithm == .twoLevel && !(hosts >= 2 && perHost >= 2 && ranks % perHost == 0) { return nil }
        func allReduce(elements: Int, gathersParameters: Bool = false) -> (total: Double, latency: Double) {
            AllReduceCost.seconds(algorithm, AllReduceTransfer(elements: elements, halfWire: inputs.halfPrecision,
                                                               gathersParameters: gathersParameters),
                                  ranks: ranks, hosts: hosts, perHost: perHost, network: inputs.network, local: inputs.local)
        }
        let compute = inputs.computeSecondsPerSample * Double(inputs.batchPerRank)
        let single = compute + inputs.updateSeconds
        let whole = allReduce(elements: inputs.parameters)
        let sharded = allReduce(elements: inputs.parameters, gathersParameters: true)
        let buckets = Double(max(1, inputs.buckets))
        let bucket = allReduce(elements: inputs.parameters / max(1, inputs.buckets)).total
        let backward = compute * inputs.backwardShare
        let overlapped = compute - backward + max(backward + bucket, buckets * bucket) + inputs.updateSeconds
        let n = Double(ranks)
        return ScalingPrediction(
            ranks: ranks, hosts: hosts, ranksPerHost: perHost, algorithm: algorithm,
            allReduce: whole.total, allReduceLatency: whole.latency,
            oneCallStep: ranks == 1 ? single : compute + whole.total + inputs.updateSeconds,
            shardedStep: ranks == 1 ? single : compute + sharded.total + inputs.updateSeconds / n,
            overlapStep: ranks == 1 ? single : overlapped, singleRankStep: single)
    }
}
