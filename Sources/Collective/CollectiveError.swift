// CollectiveError: the one error type of the Collective module.
// Carries the failing call, the rank that saw it and MPI_Error_string (or our own explanation).

/// A failure in a communicator or a collective.
///
/// `description` reads like `rank 2: MPI_Wait failed: MPI_ERR_TRUNCATE: message truncated`.
public struct CollectiveError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, beyond the text.
    public enum Kind: Sendable, Equatable {
        /// An MPI call returned an error code (the code is `mpiCode`).
        case mpi
        /// Ranks called a collective with different buffer lengths.
        case lengthMismatch(local: Int, remote: Int, remoteRank: Int)
        /// A received message was larger than the buffer posted for it.
        case truncated
        /// The communicator was aborted or shut down while this call waited.
        case aborted
        /// The caller passed something the call cannot accept (peer out of range, ...).
        case invalidArgument
        /// Another rank failed the work this call waited for (`Collectives.whileRootWorks`).
        case peerFailed
    }

    /// The kind of failure.
    public let kind: Kind
    /// The call that failed, e.g. `MPI_Isend` or `allReduce`.
    public let call: String
    /// The rank that observed the failure.
    public let rank: Int
    /// MPI_Error_string for MPI failures, otherwise a human explanation.
    public let message: String
    /// The MPI error code, when the failure came from MPI.
    public let mpiCode: Int32?
    /// For failed receives: the tag of the message that arrived, when known. The ring uses it to
    /// tell a length mismatch (the tag encodes the sender's length) from other truncations.
    public let receivedTag: Int?

    public init(kind: Kind, call: String, rank: Int, message: String,
                mpiCode: Int32? = nil, receivedTag: Int? = nil) {
        self.kind = kind
        self.call = call
        self.rank = rank
        self.message = message
        self.mpiCode = mpiCode
        self.receivedTag = receivedTag
    }

    /// The error for ranks disagreeing on a collective's length.
    static func lengthMismatch(call: String, rank: Int, local: Int, remote: Int,
                               remoteRank: Int, unit: String) -> CollectiveError {
        CollectiveError(
            kind: .lengthMismatch(local: local, remote: remote, remoteRank: remoteRank),
            call: call, rank: rank,
            message: "length mismatch: rank \(rank) has \(local) \(unit) but rank \(remoteRank) "
                + "has \(remote) \(unit); every rank must pass the same length")
    }

    public var description: String { "rank \(rank): \(call) failed: \(message)" }
}
