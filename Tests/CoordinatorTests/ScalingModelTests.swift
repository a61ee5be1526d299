// ScalingModelTests: the scaling model's arithmetic against hand-computed all-reduce and step
// times — the ring on one host and across hosts, the two-level scheme and where it stops paying,
// fp16 on the wire, the sharded update and overlap.
import Collective
import Testing
@testable import Coordinator

struct ScalingModelTests {
    /// 1 M parameters (4 MB), 100 samples per rank at 10 µs each (1 ms), a 0.5 ms update.
    static func inputs(perHost: Int, network: LinkCost, local: LinkCost) -> ScalingInputs {
        ScalingInputs(parameters: 1_000_000, batchPerRank: 100, computeSecondsPerSample: 1e-5, updateSeconds: 5e-4,
                      ranksPerHost: perHost, network: network, local: local)
    }
    static let gigabit = LinkCost(latency: 50e-6, bandwidth: 125e6)
    static let memory = LinkCost(latency: 1e-6, bandwidth: 5e9)

    static func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-12 + 1e-9 * abs(y) }

    /// `steps` messages of `bytes` over `link`, seconds.
    static func sends(_ steps: Double, _ bytes: Double, over link: LinkCost) -> Double { steps * link.seconds(bytes) }

    @Test("one host: 2(N−1) steps of S/N over the local link")
    func ringWithinOneHost() throws {
        let p = try #require(ScalingModel.predict(Self.inputs(perHost: 8, network: Self.gigabit, local: Self.memory),
                                                  ranks: 4, algorithm: .ring))
        #expect(p.hosts == 1 && p.ranksPerHost == 4)
        #expect(Self.close(p.allReduce, Self.sends(6, 1e6, over: Self.memory)))
        #expect(Self.close(p.allReduceLatency, Self.sends(6, 0, over: Self.memory)))
        #expect(ScalingModel.predict(Self.inputs(perHost: 8, network: Self.gigabit, local: Self.memory), ranks: 4,
                                     algorithm: .twoLevel) == nil, "one host: no two-level scheme")
    }

    @Test("the placement label counts a last host that holds fewer ranks apart")
    func placementLabel() throws {
        let inputs = Self.inputs(perHost: 2, network: Self.gigabit, local: Self.memory)
        let labels = try [1, 2, 3, 4, 5].map { try #require(ScalingModel.predict(inputs, ranks: $0, algorithm: .ring)).placement }
        #expect(labels == ["1×1", "1×2", "1×2+1", "2×2", "2×2+1"])
    }

    @Test("across hosts every ring step lasts as long as its slowest edge, the network's here")
    func ringAcrossHosts() throws {
        let p = try #require(ScalingModel.predict(Self.inputs(perHost: 2, network: Self.gigabit, local: Self.memory),
                                                  ranks: 8, algorithm: .ring))
        #expect(p.hosts == 4 && p.ranksPerHost == 2)
        #expect(Self.close(p.allReduce, Self.sends(14, 5e5, over: Self.gigabit)))
        #expect(Self.close(p.allReduceLatency, Self.sends(14, 0, over: Self.gigabit)))
        // A local link slower than the network makes the local edges the slow ones.
        let slowLocal = LinkCost(latency: 2e-4, bandwidth: 1e7)
        let q = try #require(ScalingModel.predict(Self.inputs(perHost: 2, network: Self.gigabit, local: slowLocal),
                                                  ranks: 8, algorithm: .ring))
        #expect(Self.close(q.allReduce, Self.sends(14, 5e5, over: slowLocal)))
        // One rank per host: only the network.
        let r = try #require(ScalingModel.predict(Self.inputs(perHost: 1, network: Self.gigabit, local: slowLocal),
                                                  ranks: 2, algorithm: .ring))
        #expect(Self.close(r.allReduce, Self.sends(2, 2e6, over: Self.gigabit)))
    }

    @Test("two-level, 2 hosts × 2 ranks: within the host, then across with both shards sharing the link")
    func twoLevelTwoByTwo() throws {
        let inputs = Self.inputs(perHost: 2, network: Self.gigabit, local: Self.memory)
        let p = try #require(ScalingModel.predict(inputs, ranks: 4, algorithm: .twoLevel))
        let within = Self.sends(2, 2e6, over: Self.memory), across = Self.sends(2, 2e6, over: Self.gigabit)
        #expect(Self.close(p.allReduce, within + across))
        #expect(Self.close(p.allReduceLatency, Self.sends(2, 0, over: Self.memory) + Self.sends(2, 0, over: Self.gigabit)))
        // The flat ring sends 1.5 S through each host's link, the two-level scheme S.
        let ring = try #require(ScalingModel.predict(inputs, ranks: 4, algorithm: .ring))
        #expect(Self.close(ring.allReduce, Self.sends(6, 1e6, over: Self.gigabit)))
        #expect(p.allReduce < ring.allReduce)
    }

    /// Without latency the two-level scheme wins exactly when the local link is more than H
    /// times faster than the network (its bytes within hosts against the (k−1)/N·2S the ring saves).
    @Test("without latency, two-level beats the ring exactly when the local link is more than H times the network", arguments: [2, 4, 8])
    func twoLevelCrossover(hosts: Int) throws {
        let network = LinkCost(latency: 0, bandwidth: 1e8)
        for (factor, twoLevelWins) in [(Double(hosts) * 0.95, false), (Double(hosts) * 1.05, true)] {
            let inputs = Self.inputs(perHost: 4, network: network, local: LinkCost(latency: 0, bandwidth: 1e8 * factor))
            let ring = try #require(ScalingModel.predict(inputs, ranks: 4 * hosts, algorithm: .ring))
            let two = try #require(ScalingModel.predict(inputs, ranks: 4 * hosts, algorithm: .twoLevel))
            #expect((two.allReduce < ring.allReduce) == twoLevelWins, "local link \(factor)× the network on \(hosts) hosts")
        }
    }

    @Test("the two-level scheme only where the layout allows it: 2+ full hosts of 2+ ranks")
    func twoLevelOnlyWhereItApplies() {
        let predictions = ScalingModel.predict(Self.inputs(perHost: 4, network: Self.gigabit, local: Self.memory),
                                               rankCounts: [1, 2, 4, 6, 8, 16])
        #expect(predictions.filter { $0.algorithm == .twoLevel }.map(\.ranks) == [8, 16])
        #expect(predictions.filter { $0.algorithm == .ring }.map(\.ranks) == [1, 2, 4, 6, 8, 16])
        #expect(ScalingModel.predict(Self.inputs(perHost: 1, network: Self.gigabit, local: Self.memory), ranks: 8,
                                     algorithm: .twoLevel) == nil, "one rank a host")
    }

    @Test("steps: one call, sharded (1/N of the update, parameters back in fp32) and overlap; one rank sends nothing")
    func steps() throws {
        var inputs = Self.inputs(perHost: 1, network: Self.gigabit, local: Self.memory)
        let single = try #require(ScalingModel.predict(inputs, ranks: 1, algorithm: .ring))
        #expect(Self.close(single.oneCallStep, 1.5e-3))
        #expect(single.allReduce == 0)
        #expect(single.shardedStep == single.oneCallStep && single.overlapStep == single.oneCallStep && single.oneCallEfficiency == 1)
        let p = try #require(ScalingModel.predict(inputs, ranks: 4, algorithm: .ring))
        let ring = Self.sends(6, 1e6, over: Self.gigabit)
        let oneCall: Double = 1e-3 + ring + 5e-4, sharded: Double = 1e-3 + ring + 5e-4 / 4
        #expect(Self.close(p.oneCallStep, oneCall))
        #expect(Self.close(p.shardedStep, sharded))
        #expect(Self.close(p.oneCallEfficiency, single.oneCallStep / oneCall))
        // fp16: the all-reduce sends half; the sharded update's all-gather of parameters does not.
        inputs.halfPrecision = true
        let half = try #require(ScalingModel.predict(inputs, ranks: 4, algorithm: .ring))
        #expect(Self.close(half.allReduce, Self.sends(6, 5e5, over: Self.gigabit)))
        let halfSharded: Double = 1e-3 + Self.sends(3, 5e5, over: Self.gigabit) + Self.sends(3, 1e6, over: Self.gigabit) + 5e-4 / 4
        #expect(Self.close(half.shardedStep, halfSharded))
        // Overlap, 4 buckets: the backward pass (2/3 of compute) hides the buckets' all-reduces up
        // to its length; the last bucket goes after it.
        inputs.halfPrecision = false
        inputs.buckets = 4
        let o = try #require(ScalingModel.predict(inputs, ranks: 4, algorithm: .ring))
        let bucket = Self.sends(6, 2.5e5, over: Self.gigabit), backward: Double = 1e-3 * 2 / 3
        let overlap: Double = 1e-3 / 3 + max(backward + bucket, 4 * bucket) + 5e-4
        #expect(Self.close(o.overlapStep, overlap))
    }
}
