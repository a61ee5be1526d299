// RankArguments: the options a command was given, written back as arguments for the ranks it
// starts under mpirun (the same command again, in its rank mode).

/// `[name, value]` for every option in `options` that has a value, in order.
func rankArguments(_ options: KeyValuePairs<String, (any CustomStringConvertible)?>) -> [String] {
    options.flatMap { name, value in value.map { [name, "\($0)"] } ?? [] }
}
