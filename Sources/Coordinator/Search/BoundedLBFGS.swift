// BoundedLBFGS: a projected limited-memory BFGS minimiser within box bounds — used to fit the
// Gaussian process's hyperparameters and to refine the acquisition function's maxima.
import Foundation

/// Minimises a smooth function within `lower ≤ x ≤ upper`: L-BFGS directions (memory 6),
/// steps projected onto the box, backtracking until the Armijo condition holds.
/// Not a full L-BFGS-B (no Cauchy point), which is ample for the small, cheap problems here.
struct BoundedLBFGS {
    var lower: [Double]
    var upper: [Double]
    /// Largest number of iterations (default 60).
    var maxIterations = 60
    /// Stop when the projected gradient's largest component is below this (default 1e-6).
    var gradientTolerance = 1e-6
    /// Stop when f improves by less than this, relatively, in one iteration (default 1e-9).
    var relativeTolerance = 1e-9
    var memory = 6

    /// Returns the best point found and its value. `f` returns (value, gradient); a non-finite
    /// value counts as +∞ and makes the line search step back.
    func minimize(from start: [Double], _ f: ([Double]) -> (Double, [Double])) -> (x: [Double], value: Double) {
        let n = start.count
        var x = project(start)
        var (fx, g) = f(x)
        if !fx.isFinite { return (x, .infinity) }
        var ss: [[Double]] = [], ys: [[Double]] = [], rhos: [Double] = []
        for _ in 0..<maxIterations {
            if projectedGradientNorm(x, g) < gradientTolerance { break }
            // Two-loop recursion: d = −H g.
            var q = g
            var alphas = [Double](repeating: 0, count: ss.count)
            for k in stride(from: ss.count - 1, through: 0, by: -1) {
                alphas[k] = rhos[k] * dot(ss[k], q)
                for i in 0..<n { q[i] -= alphas[k] * ys[k][i] }
            }
            if let last = ss.indices.last {
                let gamma = dot(ss[last], ys[last]) / dot(ys[last], ys[last])
                for i in 0..<n { q[i] *= gamma }
            } else {
                let gmax = g.map(abs).max() ?? 1
                for i in 0..<n { q[i] *= gmax > 0 ? min(1, 0.1 / gmax) : 1 }
            }
            for k in 0..<ss.count {
                let beta = rhos[k] * dot(ys[k], q)
                for i in 0..<n { q[i] += ss[k][i] * (alphas[k] - beta) }
            }
            var d = q.map { -$0 }
            // Variables pinned at a bound with the gradient pushing outward do not move.
            for i in 0..<n where (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0) { d[i] = 0 }
            if dot(d, g) >= 0 {
                ss.removeAll(); ys.removeAll(); rhos.removeAll()
                d = g.map { -$0 }
                for i in 0..<n where (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0) { d[i] = 0 }
            }
            // Backtracking line search along the projected path.
            var t = 1.0
            var accepted: ([Double], Double, [Double])?
            for _ in 0..<30 {
                let trial = project(zip(x, d).map { $0 + t * $1 })
                let (ft, gt) = f(trial)
                let decrease = dot(g, zip(trial, x).map { $0 - $1 })
                if ft.isFinite && ft <= fx + 1e-4 * decrease { accepted = (trial, ft, gt); break }
                t *= 0.5
            }
            guard let (xNew, fNew, gNew) = accepted else { break }
            let s = zip(xNew, x).map { $0 - $1 }, y = zip(gNew, g).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 {
                ss.append(s); ys.append(y); rhos.append(1 / sy)
                if ss.count > memory { ss.removeFirst(); ys.removeFirst(); rhos.removeFirst() }
            }
            let improvement = fx - fNew
            (x, fx, g) = (xNew, fNew, gNew)
            if improvement <= relativeTolerance * max(1, abs(fx)) { break }
        }
        return (x, fx)
    }

    private func project(_ x: [Double]) -> [Double] {
        var p = x
        for i in 0..<p.count { p[i] = min(upper[i], max(lower[i], p[i])) }
        return p
    }

    private func projectedGradientNorm(_ x: [Double], _ g: [Double]) -> Double {
        var m = 0.0
        for i in 0..<x.count { m = max(m, abs(min(upper[i], max(lower[i], x[i] - g[i])) - x[i])) }
        return m
    }

    @inline(__always)
    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }
}
