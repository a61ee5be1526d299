// BLASCheckCommand: `ringtrain blas-check` (hidden) — checks the running BLAS kernels' sgemm
// against a reference loop at every shape the MLP and CNN layers use; exit 1 on a mismatch.
import ArgumentParser
import Coordinator
import Foundation
import Model
import Worker

struct BLASCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas-check", abstract: "Check sgemm against a reference loop at the layers' shapes.",
        shouldDisplay: false)

    @Option(parsing: .unconditional, help: "Samples per batch for the shapes (the layers' M dimension scales with it).")
    var batch: Int = 4

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        var products: [MatrixProduct] = []
        for kind in [ModelSpec.Kind.mlp, .cnn] {
            let network = try ModelSpec(kind: kind).build(sampleShape: [1, 28, 28], outputs: 10, seed: 1)
            for p in network.matrixProducts(batch: batch) where !products.contains(p) { products.append(p) }
        }
        let results = SGEMMCheck.run(products)
        let worst = results.map(\.error).max() ?? 0
        let ok = worst <= SGEMMCheck.tolerance
        let machine = Machine.current
        if json {
            var o: [String: Any] = ["blas_core": BLASLibrary.core, "shapes": results.count, "max_error": worst, "ok": ok,
                                    "machine": machine.json]
            if let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"] { o["rank"] = Int(rank) ?? -1 }
            if let note = BLASKernelSelection.currentNote { o["note"] = note }
            // What processes started from this one inherit (nil unless the user set it).
            if let inherited = ProcessInfo.processInfo.environment[BLASKernelSelection.coreTypeVariable] {
                o["inherited_coretype"] = inherited
            }
            print(jsonLine(o))
        } else {
            print(machine.line)
            for r in results {
                let p = r.product
                print("m=\(p.m) n=\(p.n) k=\(p.k) \(p.transposeA ? "T" : "N")\(p.transposeB ? "T" : "N")  error \(String(format: "%.2e", r.error))")
            }
            print(ok ? "ok: sgemm on \(BLASLibrary.core) kernels matches the reference at \(results.count) shapes"
                     : "MISMATCH: sgemm on \(BLASLibrary.core) kernels is off by \(worst) (tolerance \(SGEMMCheck.tolerance))")
        }
        if !ok { throw ExitCode(1) }
    }
}
