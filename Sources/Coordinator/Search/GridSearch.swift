// GridSearch: every combination of the parameters' values (the Cartesian product) in a stable
// order — first parameter slowest, values as listed — skipping configurations already in history.

/// Grid search over a fully discrete space (constant, categorical and int_uniform parameters).
///
/// Configuration `i` is the same for every sweep over the same space, so a resumed sweep picks
/// up where it stopped: suggestions are the lowest-numbered configurations not yet in history.
public struct GridSearch: SearchStrategy, Sendable {
    /// The space being enumerated.
    public let space: SearchSpace
    /// Number of configurations in the grid.
    public let size: Int

    /// A grid over `space`; every parameter must be discrete and the grid countable
    /// (`SweepParser` reports a config that is not, with its line).
    public init(space: SearchSpace) {
        guard let size = space.configurationCount else {
            preconditionFailure("GridSearch needs a discrete space with a countable number of configurations")
        }
        self.space = space
        self.size = size
    }

    /// The configuration at grid position `index` (0-based).
    public func configuration(at index: Int) -> Configuration { space.gridConfiguration(at: index) }

    public mutating func suggest(count: Int, history: [TrialObservation]) throws -> [Configuration] {
        let tried = Set(history.compactMap { space.canonicalKey($0.configuration) })
        var result: [Configuration] = []
        var index = 0
        while result.count < count && index < size {
            let candidate = configuration(at: index)
            if !tried.contains(space.canonicalKey(candidate)!) { result.append(candidate) }
            index += 1
        }
        if result.isEmpty && count > 0 { throw SearchExhausted(tried: tried.count) }
        return result
    }
}
