// ClassificationReport: renders ClassificationMetrics as a readable text table (per-class
// precision, recall, F1 and support, macro averages, accuracy) followed by the confusion matrix.

import Foundation

extension ClassificationMetrics {
    /// A plain-text report: one row per class with precision, recall, F1 and support, a macro
    /// average row and accuracy, then the confusion matrix (rows = true class, columns =
    /// predicted). `classNames` (default nil) labels the classes; when nil, or when its count
    /// differs from `classes`, classes are shown by index.
    public func report(classNames: [String]? = nil) -> String {
        let names = (classNames?.count == classes) ? classNames! : (0..<classes).map(String.init)
        let nameWidth = max(names.map(\.count).max() ?? 0, "macro avg".count)
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let gap = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + gap : gap + s
        }
        func score(_ x: Double) -> String { String(format: "%.4f", x) }

        var lines: [String] = []
        lines.append(pad("", nameWidth, left: true) + "  precision     recall   f1-score    support")
        for c in 0..<classes {
            lines.append(pad(names[c], nameWidth, left: true)
                         + pad(score(precision(c)), 11) + pad(score(recall(c)), 11)
                         + pad(score(f1(c)), 11) + pad(String(support(c)), 11))
        }
        lines.append("")
        lines.append(pad("accuracy", nameWidth, left: true) + pad("", 22)
                     + pad(score(accuracy), 11) + pad(String(count), 11))
        lines.append(pad("macro avg", nameWidth, left: true)
                     + pad(score(macroPrecision), 11) + pad(score(macroRecall), 11)
                     + pad(score(macroF1), 11) + pad(String(count), 11))
        let observed = observedClasses.count
        if observed < classes {
            lines.append("(macro avg over the \(observed) of \(classes) classes seen as label or prediction)")
        }
        lines.append("(a ratio whose denominator is 0 is reported as 0)")
        lines.append("")
        lines.append("confusion matrix (rows = true class, columns = predicted):")
        let matrix = confusion
        let cellWidth = max(names.map(\.count).max() ?? 1, String(matrix.flatMap { $0 }.max() ?? 0).count) + 2
        lines.append(pad("", nameWidth, left: true) + names.map { pad($0, cellWidth) }.joined())
        for c in 0..<classes {
            lines.append(pad(names[c], nameWidth, left: true) + matrix[c].map { pad(String($0), cellWidth) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
