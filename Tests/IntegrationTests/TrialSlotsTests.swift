// TrialSlotsTests: training trials whose ranks (swept) do not all fit the hosts at once — one waits
// for the slots another holds instead of going past them, and one that could never fit fails, saying why.
import Foundation
import Testing

@Suite(.serialized)
struct TrialSlotsTests {
    @Test func aTrialWaitsForSlotsAndOneThatNeverFitsFailsSayingWhy() throws {
        // This machine's cores are the slots (no hosts listed): trials of all of them, and of twice as many.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let tiny = try TinyRun(epochs: 2)
        let text = try String(contentsOfFile: tiny.config, encoding: .utf8)
            .replacingOccurrences(of: "oversubscribe: true", with: "oversubscribe: false")
            .replacingOccurrences(of: "batch_size: 16", with: "batch_size: \(8 * cores)")
        try text.write(toFile: tiny.config, atomically: false, encoding: .utf8)
        try tiny.append("""
            sweep:
              method: grid
              metric: {name: val_acc, goal: maximize}
              parameters:
                ranks: {values: [\(cores), \(2 * cores)]}
                optimizer.lr: {values: [0.05, 0.1]}
              parallel: 2
              max_retries: 0
            """)
        let mark = UUID().uuidString
        let result = try SweepHarness.run(["sweep", tiny.config, "--run-dir", tiny.dir + "/sweep"], mark: mark, timeout: 180)
        #expect(result.status == 0, "\(result.output)")
        let trials = try #require(try SweepHarness.report(tiny.dir + "/sweep", mark: mark)["trials"] as? [[String: Any]])
        #expect(trials.count == 4)
        for trial in trials {
            let ranks = (trial["params"] as? [String: Any])?["ranks"] as? Int
            if ranks == 2 * cores {
                #expect(trial["status"] as? String == "failed", "\(trial)")
                #expect((trial["error"] as? String ?? "").contains("its \(2 * cores) ranks need more slots than the cluster's \(cores)"), "\(trial)")
            } else {
                #expect(trial["status"] as? String == "finished", "\(trial)")
            }
        }
        // The two trials on all the cores ran one after the other: the second started after the first ended.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let allCores = trials.filter { ($0["params"] as? [String: Any])?["ranks"] as? Int == cores }.compactMap { $0["id"] as? Int }.sorted()
        #expect(allCores.count == 2)
        let firstEnded = lines.firstIndex { $0.hasPrefix("[trial \(allCores[0])] finished") }
        let secondStarted = lines.firstIndex { $0.hasPrefix("[trial \(allCores[1])] started") }
        #expect(firstEnded != nil && secondStarted != nil && firstEnded! < secondStarted!, "\(result.stdout)")
        #expect(SweepHarness.leftoversAfterSettling(mark).isEmpty)
    }
}
