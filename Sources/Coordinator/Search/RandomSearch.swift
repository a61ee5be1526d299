// RandomSearch: seeded independent draws from each parameter's distribution; the k-th suggestion
// depends only on (seed, k), so a resumed sweep continues the same sequence.
import Model

/// Random search, reproducible from its seed.
///
/// Suggestion number k (k = trials in history + position in the batch) is drawn from
/// `CounterRNG(seed: seed, stream: .search, k, attempt)`, attempt 0 first. A draw equal to a
/// configuration already tried, pending or suggested earlier in the batch is redrawn with the
/// next attempt; in a fully discrete space that is used up, `suggest` throws `SearchExhausted`.
public struct RandomSearch: SearchStrategy, Sendable {
    /// The space drawn from.
    public let space: SearchSpace
    /// Seed of every draw. Default 0.
    public let seed: UInt64
    /// Redraws tried before a nearly used-up discrete space is searched exhaustively for its
    /// remaining configurations. Default 256.
    public var maxAttempts = 256
    /// Redraws in a space of continuous parameters before it counts as used up.
    static let continuousAttempts = 10_000

    public init(space: SearchSpace, seed: UInt64 = 0) {
        self.space = space
        self.seed = seed
    }

    /// The configuration drawn for suggestion `k` at `attempt` (pure function of seed, k, attempt).
    public func draw(k: Int, attempt: Int = 0) -> Configuration {
        var rng = CounterRNG(seed: seed, stream: .search, UInt64(k), UInt64(attempt))
        var configuration: Configuration = [:]
        for p in space.parameters { configuration[p.name] = p.distribution.draw(using: &rng) }
        return configuration
    }

    public mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration] {
        var seen = Set(history.compactMap { space.canonicalKey($0.configuration) })
        let size = space.configurationCount
        var result: [Configuration] = []
        for position in 0..<max(0, count) {
            if let size, seen.count >= size { break }
            let k = history.count + position
            guard let next = fresh(k: k, seen: seen, size: size) else { break }
            seen.insert(space.canonicalKey(next)!)
            result.append(next)
        }
        if result.isEmpty && count > 0 { throw SearchExhausted(tried: seen.count) }
        return result
    }

    /// The first draw for suggestion k not in `seen`; in a finite space, after `maxAttempts`
    /// redraws, a seeded pick among the configurations not yet seen.
    private func fresh(k: Int, seen: Set<[ParameterValue]>, size: Int?) -> Configuration? {
        var attempt = 0
        // A continuous space whose draws keep repeating is a point in effect (say, a range its
        // rounding collapses): used up, as a discrete one would be.
        while attempt < (size == nil ? Self.continuousAttempts : maxAttempts) {
            let candidate = draw(k: k, attempt: attempt)
            if !seen.contains(space.canonicalKey(candidate)!) { return candidate }
            attempt += 1
        }
        guard size != nil else { return nil }
        let remaining = (0..<size!).lazy.map { space.gridConfiguration(at: $0) }
            .filter { !seen.contains(space.canonicalKey($0)!) }
        let unseen = Array(remaining)
        guard !unseen.isEmpty else { return nil }
        var rng = CounterRNG(seed: seed, stream: .search, UInt64(k), UInt64(maxAttempts))
        return unseen[ParameterDistribution.index(below: unseen.count, using: &rng)]
    }
}
