// MPIHostOptions: the command-line options that say how a benchmark's mpirun reaches other hosts
// (--network, --mpirun-args), shared by `bench allreduce`, `bench train` and `bench scaling`.
import ArgumentParser

struct MPIHostOptions: ParsableArguments {
    @Option(help: "Interface or CIDR for MPI's TCP traffic to the other hosts (as cluster.network).")
    var network: String?

    @Option(parsing: .unconditional, help: "Extra mpirun arguments for the other hosts, split on spaces; single quotes group words (as cluster.mpirun_args).")
    var mpirunArgs: String?

    /// Whether either was given.
    var given: Bool { network != nil || mpirunArgs != nil }
}
