// JobDataCheckTests: the checks of a job against its loaded data — every loss on every task in
// every data format, binary cross-entropy's target range, and the memory estimate's growth and refusal.
import Collective
import Foundation
import Model
import Testing
@testable import Worker

@Suite("job checked against its data")
struct JobDataCheckTests {
    struct LossCase: CustomTestStringConvertible, Sendable {
        let data: SmallData
        let loss: LossKind?
        var testDescription: String { "\(loss?.rawValue ?? "default loss") on \(data.rawValue)" }
    }

    /// Every loss (and the default) × every task in every format the loader reads: 4 × 8 = 32 cases.
    static let lossCases = SmallData.allCases.flatMap { data in ([nil] + LossKind.allCases).map { LossCase(data: data, loss: $0) } }

    /// The losses whose targets each kind of data holds (written out, not taken from the code under test).
    static func accepts(_ data: SmallData, _ loss: LossKind) -> Bool {
        switch data {
        case .npyRegression, .npzRegression, .csvRegression: return loss == .meanSquaredError || loss == .binaryCrossEntropy
        default: return loss == .crossEntropy
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "ringtrain-check-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("each loss is accepted exactly on the data whose targets it reads, and refused naming job.loss and the valid ones",
          arguments: lossCases)
    func lossMatrix(_ testCase: LossCase) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var job = TrainingJob(dataset: try testCase.data.write(in: dir))
        job.loss = testCase.loss
        job.batchSize = 8
        let data = try DatasetLoader.load(job.dataset, seed: 0)
        let loss = job.lossKind(for: data.train.task)
        if testCase.loss == nil || Self.accepts(testCase.data, loss) {
            #expect(testCase.loss != nil || Self.accepts(testCase.data, loss), "the default loss must fit: \(loss)")
            #expect(throws: Never.self) { try JobDataCheck.checkLoss(loss, on: data.train) }
        } else {
            // The whole check refuses it before the model is built (an MLP would not even fit text).
            let valid = LossKind.allCases.filter { Self.accepts(testCase.data, $0) }.map(\.rawValue)
            #expect {
                try JobDataCheck.check(job, data: data, ranks: 1, ranksOnHost: 1, available: nil)
            } throws: { error in
                let text = "\(error)"
                return error is TrainingError && text.contains("job.loss: \(loss.rawValue)") && valid.allSatisfy(text.contains)
            }
        }
    }

    @Test("binary cross-entropy is refused on regression targets outside 0...1")
    func binaryTargetsOutOfRange() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try DatasetLoader.load(try SmallData.csvRegression.write(in: dir, targetScale: 3), seed: 0)
        #expect {
            try JobDataCheck.checkLoss(.binaryCrossEntropy, on: data.train)
        } throws: { error in
            "\(error)".contains("job.loss: binary_cross_entropy needs targets from 0 to 1") && "\(error)".contains("mse")
        }
        #expect(throws: Never.self) { try JobDataCheck.checkLoss(.meanSquaredError, on: data.train) }
    }

    /// A language-model dataset of `context` with no samples (the estimate needs only the task)
    /// and the layers of a one-block attention model.
    static func attentionEstimate(context: Int, batch: Int = 8) -> MemoryEstimate {
        var job = TrainingJob(dataset: DatasetSpec(source: .text(train: "unused", test: nil, context: context)))
        job.batchSize = batch
        job.evaluationBatch = 64
        let task = LearningTask.languageModel(vocab: 256, context: context)
        let data = DataSplits(train: Dataset(features: [], targets: [], sampleShape: [context], task: task))
        let layers: [Layer] = [Embedding(name: "wte", vocab: 256, dim: 16, positions: context),
                               CausalSelfAttention(name: "attn", positions: context, dim: 16, heads: 2),
                               Dense(name: "head", inputShape: [context, 16], outputs: 256)]
        return MemoryEstimate(job: job, layers: layers, data: data, ranks: 1)
    }

    /// A classification dataset of 4 features and `classes` classes (no samples) under a 4-8-classes MLP.
    static func classesEstimate(classes: Int) throws -> MemoryEstimate {
        var job = TrainingJob(dataset: DatasetSpec(source: .csv(train: "unused", test: nil, labelColumns: ["y"], task: .classification)))
        job.model = ModelSpec(kind: .mlp, hidden: [8])
        let task = LearningTask.classification(classes: classes)
        let data = DataSplits(train: Dataset(features: [], targets: [], sampleShape: [4], task: task))
        return MemoryEstimate(job: job, layers: try job.model.layers(sampleShape: [4], task: task), data: data, ranks: 1)
    }

    @Test("the attention layer's estimate grows with the square of the context", arguments: [256, 512, 2048])
    func attentionGrowsWithContext(_ context: Int) {
        func attention(_ estimate: MemoryEstimate) -> Double { estimate.parts.first { $0.name == "layer attn" }!.bytes }
        let small = Self.attentionEstimate(context: context), large = Self.attentionEstimate(context: 2 * context)
        let ratio = attention(large) / attention(small)
        #expect(ratio > 3.5 && ratio <= 4, "ratio \(ratio)")
        // The scores alone: batch 8 × 2 heads × context² floats.
        #expect(attention(small) >= 4 * 8 * 2 * Double(context * context))
        #expect(large.total > small.total)
    }

    @Test("the confusion matrices grow with the square of the classes and dominate at 100000 classes")
    func estimateGrowsWithClasses() throws {
        let ten = try Self.classesEstimate(classes: 10), hundred = try Self.classesEstimate(classes: 100)
        let many = try Self.classesEstimate(classes: 100_000)
        func matrices(_ estimate: MemoryEstimate) -> Double { estimate.parts.first { $0.name.hasPrefix("confusion matrices") }!.bytes }
        #expect(matrices(hundred) == 100 * matrices(ten))
        #expect(matrices(many) >= 8 * 1e10)   // at least one 100000² matrix of 8-byte counts
        #expect(many.largest.name == "confusion matrices (100000 classes)")
        #expect(hundred.total > ten.total && many.total > hundred.total)
    }

    @Test("a job beyond its share of the host's memory is refused naming the largest part and both figures")
    func refusesBeyondShare() throws {
        let estimate = Self.attentionEstimate(context: 1_000_000)
        let gib = 1 << 30
        #expect {
            try estimate.check(available: 24 * gib, ranksOnHost: 2)
        } throws: { error in
            let text = "\(error)"
            return text.contains("layer attn") && text.contains("24.0 GiB available for 2 ranks (12.0 GiB each)") && text.contains("TiB")
        }
        let small = Self.attentionEstimate(context: 128)
        #expect(throws: Never.self) { try small.check(available: 24 * gib, ranksOnHost: 2) }
        // Split among the ranks: what fits one rank may not fit two.
        #expect(throws: (any Error).self) { try small.check(available: Int(small.total * 1.5), ranksOnHost: 2) }
        #expect(throws: Never.self) { try small.check(available: Int(small.total * 1.5), ranksOnHost: 1) }
    }

    @Test("host memory: MemAvailable, the cgroup limit, the test variable and the ranks on this host")
    func hostMemory() {
        #expect(HostMemory.memAvailable(meminfo: "MemTotal: 100 kB\nMemAvailable:    2048 kB\n") == 2 * 1_048_576)
        #expect(HostMemory.cgroupLimit("max\n") == nil && HostMemory.cgroupLimit("1073741824\n") == 1 << 30)
        #expect(HostMemory.parseBytes("24G") == 24 << 30 && HostMemory.parseBytes("512") == 512 && HostMemory.parseBytes("x") == nil)
        #expect(HostMemory.available(environment: [HostMemory.testVariable: "3G"]) == 3 << 30)
        #expect(HostMemory.ranksOnHost(ranks: 4, environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]) == 2)
        #expect(HostMemory.ranksOnHost(ranks: 4, environment: [:]) == 4)
    }
}

@Suite struct ShardedStateEstimateTests {
    /// The estimate of a 4-16-3 MLP under AdamW at `ranks`, sharded update on or off.
    static func estimate(ranks: Int, sharded: Bool) throws -> MemoryEstimate {
        var job = TrainingJob(dataset: DatasetSpec(source: .csv(train: "unused", test: nil, labelColumns: ["y"], task: .classification)))
        job.model = ModelSpec(kind: .mlp, hidden: [16])
        job.optimizer = OptimizerSpec(kind: .adamw, learningRate: 0.001)
        job.shardedUpdate = sharded
        let task = LearningTask.classification(classes: 3)
        let data = DataSplits(train: Dataset(features: [], targets: [], sampleShape: [4], task: task))
        return MemoryEstimate(job: job, layers: try job.model.layers(sampleShape: [4], task: task), data: data, ranks: ranks)
    }

    static func state(_ estimate: MemoryEstimate) -> Double {
        estimate.parts.filter { $0.name.hasPrefix("optimizer state") }.reduce(0) { $0 + $1.bytes }
    }

    @Test("with the sharded update each rank's estimate counts 1/N of the optimizer state; rank 0 holds the whole of it again while saving, either way")
    func shardedStateIsCountedPerRank() throws {
        let parameters = Double(4 * 16 + 16 + 16 * 3 + 3), adamBytes = 8 * parameters
        let whole = try Self.estimate(ranks: 4, sharded: false), sharded = try Self.estimate(ranks: 4, sharded: true)
        let alone = try Self.estimate(ranks: 1, sharded: true)
        #expect(Self.state(whole) == adamBytes && whole.checkpointSaveBytes == adamBytes)
        #expect(Self.state(sharded) == adamBytes / 4 && sharded.checkpointSaveBytes == adamBytes)
        #expect(Self.state(alone) == adamBytes && alone.checkpointSaveBytes == adamBytes)
        #expect(sharded.total < whole.total)
        #expect(sharded.summary(available: nil, ranksOnHost: 4).contains("more on rank 0 while it saves"))
    }
}

@Test("a /proc status text gives VmRSS and VmHWM in bytes, tab or space separated; a text without them gives nil")
func processMemoryParsesStatus() {
    let status = "Name:\tringtrain\nVmPeak:\t  900000 kB\nVmHWM:\t  123456 kB\nVmRSS:    100000 kB\nThreads:\t4\n"
    #expect(ProcessMemory.parse(status: status) == ProcessMemory(resident: 100_000 * 1024, peak: 123_456 * 1024))
    #expect(ProcessMemory.parse(status: "Name:\tx\nVmRSS:\t12 kB\n") == nil)
    #expect(ProcessMemory.parse(status: "VmHWM:\t12 MB\nVmRSS:\t12 kB\n") == nil)
    #expect(ProcessMemory.current().map { $0.peak >= $0.resident && $0.resident > 0 } == true)
}

@Test("the all-reduce note says what runs: two-level with its hosts, or the ring and why; nothing for the ring asked for")
func allReduceNoteSaysWhatRuns() {
    let even = RankLayout(hostOfRank: [1, 1, 2, 2]), uneven = RankLayout(hostOfRank: [1, 1, 2])
    #expect(AllReduceNote.text(choice: .twoLevel, layout: even, chosen: .twoLevel) == "all-reduce: two-level (2 hosts × 2 ranks)")
    let fallback = AllReduceNote.text(choice: .auto, layout: uneven, chosen: .ring) ?? ""
    #expect(fallback.contains("flat ring") && fallback.contains("2 hosts with 2, 1 ranks"), "\(fallback)")
    #expect(AllReduceNote.text(choice: .ring, layout: nil, chosen: .ring) == nil)
}
