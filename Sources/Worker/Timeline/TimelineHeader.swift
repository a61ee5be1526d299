// TimelineHeader: the first line of each session in a rank's timeline file — who recorded it and
// the clock its spans count from — written by TimelineRecorder, read by `ringtrain timeline`.
import Foundation

/// One recording session of one rank (a run, or one resume of it).
public struct TimelineHeader: Codable, Sendable, Equatable {
    /// The format's version (1).
    public var timeline = 1
    /// The rank that recorded it, and the run's rank count in this session.
    public var rank: Int
    public var ranks: Int
    /// Where it ran.
    public var host: String
    public var pid: Int
    /// Rank 0's wall clock (microseconds since 1970) at the barrier where every rank's `begin_ns`
    /// is zero.
    public var wallZeroMicroseconds: Int
    /// Steps done when the session started.
    public var firstStep: Int
    /// How gradients were averaged (`GradientAveraging`) and whether they travelled as fp16.
    public var averaging: String
    public var fp16Gradients: Bool
    /// The network's layer names, by index (`backward_layer` spans' `layer`).
    public var layers: [String]

    enum CodingKeys: String, CodingKey {
        case timeline, rank, ranks, host, pid, averaging, layers
        case wallZeroMicroseconds = "wall_zero_us"
        case firstStep = "first_step"
        case fp16Gradients = "fp16_gradients"
    }

    public init(rank: Int, ranks: Int, host: String, pid: Int, wallZeroMicroseconds: Int, firstStep: Int,
                averaging: String, fp16Gradients: Bool, layers: [String]) {
        (self.rank, self.ranks, self.host, self.pid, self.wallZeroMicroseconds, self.firstStep) =
            (rank, ranks, host, pid, wallZeroMicroseconds, firstStep)
        (self.averaging, self.fp16Gradients, self.layers) = (averaging, fp16Gradients, layers)
    }

    /// The header as one JSON line, `{"timeline":1,...}` and a newline.
    public func line() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
