// SaveTimer: rank 0's clock for `checkpoint.every_seconds` — whether a time-based save is due,
// measured on the monotonic clock from the end of the last save, or from the start of training.

/// Rank 0's time since the last save, against `checkpoint.every_seconds`. Only a session whose
/// policy sets `everySeconds` makes one, so no clock is read otherwise.
final class SaveTimer {
    /// The interval between saves.
    let interval: Duration
    private let clock = ContinuousClock()
    private var since: ContinuousClock.Instant

    /// A timer for saves every `seconds` (> 0), counting from now.
    init(seconds: Double) {
        precondition(seconds > 0, "a save interval is positive")
        interval = .seconds(seconds)
        since = clock.now
    }

    /// Counts from now: when training starts or resumes, and after every save (of any kind).
    func restart() { since = clock.now }

    /// True once `interval` has passed since the last `restart`.
    var due: Bool { since.duration(to: clock.now) >= interval }
}
