// ModelTable: the model of a job as `validate` shows it — every layer (nested blocks indented)
// by the name its tensors carry, with its output shape and parameter count, shapes from the data.
import Foundation
import Model

/// Renders a job's layers for the data it trains on.
public enum ModelTable {
    /// One line per layer, with the totals; throws `ModelError` when the layers do not fit the
    /// data, and the loader's errors when the data does not load.
    public static func text(model: ModelSpec, dataset: DatasetSpec, seed: UInt64) throws -> String {
        let splits = try DatasetLoader.load(dataset, seed: seed)
        return try text(model: model, sampleShape: splits.train.sampleShape, task: splits.train.task)
    }

    /// The table for samples of `sampleShape` and `outputs` outputs.
    public static func text(model: ModelSpec, sampleShape: [Int], outputs: Int) throws -> String {
        try text(model: model, sampleShape: sampleShape, task: .regression(outputs: outputs))
    }

    /// The table for samples of `sampleShape` and the outputs `task` needs.
    public static func text(model: ModelSpec, sampleShape: [Int], task: LearningTask) throws -> String {
        let layers = try model.layers(sampleShape: sampleShape, task: task)
        var rows: [[String]] = [["layer", "type", "output", "parameters"]]
        rows.append(["input", "", shape(layers[0].inputShape), ""])
        func add(_ layer: Layer, depth: Int) {
            let count = layer.parameterRequests.reduce(0) { $0 + $1.shape.reduce(1, *) }
            rows.append([String(repeating: "  ", count: depth) + layer.name, LayerType.label(of: layer), shape(layer.outputShape),
                         count == 0 ? "" : grouped(count)])
            if let block = layer as? Residual { for inner in block.layers { add(inner, depth: depth + 1) } }
        }
        for layer in layers { add(layer, depth: 0) }
        let total = layers.reduce(0) { $0 + $1.parameterRequests.reduce(0) { $0 + $1.shape.reduce(1, *) } }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max()! }
        var lines = rows.map { row in
            String(("  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")).reversed().drop { $0 == " " }.reversed())
        }
        let bytes = Double(total) * 4
        let size = bytes < 1_048_576 ? String(format: "%.1f KiB", bytes / 1024) : String(format: "%.1f MiB", bytes / 1_048_576)
        lines.append("  \(grouped(total)) parameters (\(size) as float32)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    private static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
    }
}
