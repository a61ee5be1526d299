// OutputGone: the commands that own a run (train, resume, sweep) keep going when their output is
// gone — `| head`, a closed terminal — instead of dying of SIGPIPE at their next line.
import Foundation

/// Makes a write to a closed pipe fail (EPIPE) in this process instead of killing it: between
/// checkpoints a run would lose its work, and a sweep would leave its trials without a
/// coordinator. A handler, not SIG_IGN, so a program this process execs has the default again
/// (programs started through `ChildProcess` get it set explicitly too).
func keepGoingWithoutOutput() {
    signal(SIGPIPE) { _ in }
}
