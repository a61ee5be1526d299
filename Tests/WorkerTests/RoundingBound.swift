// RoundingBound: how far a float average over ranks may lie from the exact mean, from the
// standard error analysis of recursive summation, so tests hold on every CPU and summation order.
import Foundation

enum RoundingBound {
    /// Unit round-off of Float (2^-24).
    static let unitRoundoff = Double(Float.ulpOfOne) / 2

    /// γ_k = k·u / (1 − k·u): the relative error bound of k successive roundings.
    static func gamma(_ k: Int) -> Double { Double(k) * unitRoundoff / (1 - Double(k) * unitRoundoff) }

    /// The elements of `averaged` farther from the exact mean of `values` (one array per rank) than
    /// float arithmetic allows: N−1 additions in any order, then one product by a rounded 1/N,
    /// are N+1 roundings, so |average − mean| ≤ γ_{N+1}·Σ|x|/N. Returns (index, distance, bound)
    /// of each violation; empty when the average is right.
    static func violations(averaged: ArraySlice<Float>, of values: [[Float]]) -> [(index: Int, distance: Double, bound: Double)] {
        let n = values.count, gammaN = gamma(n + 1)
        var found: [(Int, Double, Double)] = []
        for i in averaged.indices {
            var sum = 0.0, magnitude = 0.0
            for rank in 0..<n {
                sum += Double(values[rank][i])
                magnitude += abs(Double(values[rank][i]))
            }
            let distance = abs(Double(averaged[i]) - sum / Double(n))
            let bound = gammaN * magnitude / Double(n)
            if !(distance <= bound) { found.append((i, distance, bound)) }
        }
        return found
    }
}
