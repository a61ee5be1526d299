// UsageError: the mark of a mistake in what a person gave ringtrain (a config, data, arguments),
// as opposed to a run that failed: every command reports it as one message and exit code 2.

/// An error caused by the user's input; its `description` says what is wrong and what would be
/// valid. Commands print it and exit with code 2; every other error means the run failed (1).
public protocol UsageError: Error, CustomStringConvertible {}

extension ModelError: UsageError {}
extension DatasetError: UsageError {}
