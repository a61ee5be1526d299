// SearchProblem: the search benchmark's test functions — Branin (2-D), Hartmann 3, Levy 4 and
// Hartmann 6 — with their boxes and global minima, as scripts/bench-bayes-vs-skopt defines them.
import Foundation

/// A test function to minimise over a box, parameters named x1 … xd.
public struct SearchProblem: Sendable {
    public let name: String
    /// (lower, upper) of each coordinate.
    public let bounds: [(Double, Double)]
    /// The global minimum's value.
    public let minimum: Double
    /// The function of (x1, …, xd).
    public let function: @Sendable ([Double]) -> Double

    public var dimension: Int { bounds.count }

    /// Uniform parameters x1 … xd over the box.
    public var space: SearchSpace {
        SearchSpace(parameters: bounds.enumerated().map { i, b in
            SweepParameter(name: "x\(i + 1)", distribution: .uniform(min: b.0, max: b.1))
        })
    }

    /// The function at a configuration of `space`.
    public func value(_ configuration: Configuration) -> Double {
        function((1...dimension).map { configuration["x\($0)"]!.number! })
    }

    /// Every problem, in order of dimension.
    public static let all = [branin, hartmann3, levy4, hartmann6]

    /// The problem called `name`, if any.
    public static func named(_ name: String) -> SearchProblem? { all.first { $0.name == name } }

    /// Branin–Hoo on [−5, 10] × [0, 15].
    public static let branin = SearchProblem(name: "branin", bounds: [(-5, 10), (0, 15)], minimum: 0.397887) { x in
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        let u = x[1] - b * x[0] * x[0] + c * x[0] - 6
        return u * u + 10 * (1 - t) * cos(x[0]) + 10
    }

    /// Hartmann 3 on [0, 1]³.
    public static let hartmann3 = SearchProblem(name: "hartmann3", bounds: Array(repeating: (0, 1), count: 3),
                                                minimum: -3.86278) { hartmann($0, a: h3A, p: h3P) }

    /// Levy in 4 dimensions on [−10, 10]⁴.
    public static let levy4 = SearchProblem(name: "levy4", bounds: Array(repeating: (-10, 10), count: 4), minimum: 0) { x in
        let w = x.map { 1 + ($0 - 1) / 4 }
        var body = 0.0
        for i in 0..<(w.count - 1) {
            let s = sin(Double.pi * w[i] + 1)
            body += (w[i] - 1) * (w[i] - 1) * (1 + 10 * s * s)
        }
        let first = sin(Double.pi * w[0]), last = w[w.count - 1], tail = sin(2 * Double.pi * last)
        return first * first + body + (last - 1) * (last - 1) * (1 + tail * tail)
    }

    /// Hartmann 6 on [0, 1]⁶.
    public static let hartmann6 = SearchProblem(name: "hartmann6", bounds: Array(repeating: (0, 1), count: 6),
                                                minimum: -3.32237) { hartmann($0, a: h6A, p: h6P) }

    static let hartmannAlpha = [1.0, 1.2, 3.0, 3.2]
    static let h3A: [[Double]] = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
    static let h3P: [[Double]] = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470], [0.1091, 0.8732, 0.5547],
                                  [0.0381, 0.5743, 0.8828]]
    static let h6A: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
                                  [17, 8, 0.05, 10, 0.1, 14]]
    static let h6P: [[Double]] = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
                                  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
                                  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
                                  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]

    /// −Σ_i α_i exp(−Σ_j A_ij (x_j − P_ij)²).
    static func hartmann(_ x: [Double], a: [[Double]], p: [[Double]]) -> Double {
        var total = 0.0
        for i in 0..<4 {
            var s = 0.0
            for j in 0..<x.count { s += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]) }
            total -= hartmannAlpha[i] * exp(-s)
        }
        return total
    }
}
