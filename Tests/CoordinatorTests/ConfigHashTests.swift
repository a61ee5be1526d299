// ConfigHashTests: the config hash checkpoints record comes from the canonical form of the
// resolved job, so how the YAML is laid out never changes it, while any changed value does.
import Foundation
import Testing
@testable import Coordinator

@Suite("config hash")
struct ConfigHashTests {
    static let block = """
    job:
      name: layout
      dataset:
        train: train.csv
        label: label
      model:
        type: mlp
        hidden: [16, 8]
      optimizer:
        name: adam
        lr: 0.001
      batch_size: 32
      epochs: 4

    """

    /// The same job: flow style, other key order, other number spellings, comments.
    static let flow = """
    # the same job, written differently
    job: {epochs: 4, batch_size: 32, optimizer: {lr: 1.0e-3, name: adam},
          model: {hidden: [16, 8], type: mlp}, dataset: {label: label, train: train.csv}, name: "layout"}

    """

    @Test("a job laid out differently in YAML has the same hash; its resolved.yaml read back has it too")
    func layoutDoesNotCount() throws {
        let a = try load(Self.block), b = try load(Self.flow)
        #expect(a.job == b.job)
        #expect(ResolvedConfig.hash(job: a.job) == ResolvedConfig.hash(job: b.job))
        let again = try RunConfig(file: ConfigFile.parse(text: ResolvedConfig.yaml(job: a.job, cluster: a.cluster),
                                                         path: csvDirectory + "/resolved.yaml"))
        #expect(ResolvedConfig.hash(job: again.job) == ResolvedConfig.hash(job: a.job))
    }

    @Test("a changed value changes the hash", arguments: ["job.optimizer.lr=0.002", "job.epochs=5", "job.model.hidden=[16, 9]",
                                                          "job.name=other", "job.checkpoint.keep_last=7",
                                                          "job.on_nonfinite=continue"])
    func changedValueCounts(override: String) throws {
        let base = try load(Self.block), changed = try load(Self.block, overrides: [override])
        #expect(ResolvedConfig.hash(job: base.job) != ResolvedConfig.hash(job: changed.job))
    }

    /// Jobs hash as they did before `on_nonfinite` existed unless it is set to something else.
    @Test func theDefaultOnNonfiniteIsLeftOutOfTheHash() throws {
        let job = try load(Self.block).job
        #expect(!ResolvedConfig.canonicalJSON(job: job).contains("on_nonfinite"))
        #expect(ResolvedConfig.yaml(job: job).contains("on_nonfinite: stop"))
        let explicit = try load(Self.block, overrides: ["job.on_nonfinite=stop"]).job
        #expect(ResolvedConfig.hash(job: explicit) == ResolvedConfig.hash(job: job))
    }

    @Test("the hash is v2- and FNV-1a of the canonical JSON, which is compact with sorted keys and typed values")
    func canonicalForm() throws {
        let job = try load(Self.block).job
        let canonical = ResolvedConfig.canonicalJSON(job: job)
        #expect(ResolvedConfig.hash(job: job) == ResolvedConfig.hashPrefix + FNV1a.hex(canonical))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(canonical.utf8)) as? [String: Any])
        let rewritten = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(String(decoding: rewritten, as: UTF8.self) == canonical, "not sorted and compact: \(canonical)")
        let optimizer = try #require(object["optimizer"] as? [String: Any])
        #expect(optimizer["lr"] as? Double == 0.001 && optimizer["name"] as? String == "adam")
        #expect((object["model"] as? [String: Any])?["hidden"] as? [Int] == [16, 8])
        #expect(object["name"] as? String == "layout" && object["epochs"] as? Int == 4)
    }

    @Test("text YAML would misread unquoted is written so it reads back unchanged",
          arguments: ["say \"hi\": no", "123", "true", "- dash", "  spaced  ", "tab\there", "ünïcode ✓", "#hash", "a'b", "back\\slash", ""])
    func awkwardTextRoundTrips(text: String) throws {
        let original = try load(Self.block)
        var cluster = original.cluster
        cluster.mpirunArgs = ["--mca", text]
        cluster.environment = ["NOTE": text]
        let yaml = ResolvedConfig.yaml(job: original.job, cluster: cluster)
        let again = try RunConfig(file: ConfigFile.parse(text: yaml, path: csvDirectory + "/resolved.yaml"))
        #expect(again.cluster == cluster, "\(yaml)")
        #expect(again.job == original.job)
    }

    @Test("FNV-1a matches the published 64-bit test vectors")
    func fnvVectors() {
        #expect(FNV1a.hex("") == "cbf29ce484222325")
        #expect(FNV1a.hex("a") == "af63dc4c8601ec8c")
        #expect(FNV1a.hex("foobar") == "85944171f73967e8")
    }
}
