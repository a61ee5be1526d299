// LineRelay: passes a child's output on line by line from a pipe to one of this process's own
// streams on a background thread, through a filter that may drop, hold or change lines.
import Foundation

/// A background copy of a pipe's lines to a file descriptor.
enum LineRelay {
    /// Reads `fd` to its end, hands each line (without its newline) to `feed` and writes the lines
    /// it returns to `output`, then writes `finish()`'s lines and closes `fd`. The returned
    /// semaphore is signalled once everything has been written. Write errors are ignored (a closed
    /// terminal, a reader gone): the pipe keeps draining, so the child never blocks on it, and this
    /// process never dies of its output (SIGPIPE is ignored).
    static func start(from fd: Int32, to output: Int32, feed: @escaping (String) -> [String],
                      finish: @escaping () -> [String] = { [] }) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        signal(SIGPIPE, SIG_IGN)
        let work = Work(fd: fd, output: output, feed: feed, finish: finish, done: done)
        Thread.detachNewThread { work.run() }
        return done
    }

    /// The relay's state, owned by its one thread.
    private final class Work: @unchecked Sendable {
        // @unchecked: used by the relay thread alone once started.
        let fd: Int32, output: Int32
        let feed: (String) -> [String], finish: () -> [String]
        let done: DispatchSemaphore

        init(fd: Int32, output: Int32, feed: @escaping (String) -> [String], finish: @escaping () -> [String], done: DispatchSemaphore) {
            (self.fd, self.output, self.feed, self.finish, self.done) = (fd, output, feed, finish, done)
        }

        func write(_ lines: [String]) {
            guard !lines.isEmpty else { return }
            var bytes = Array(lines.map { $0 + "\n" }.joined().utf8)[...]
            while !bytes.isEmpty {
                let n = bytes.withUnsafeBytes { Glibc.write(output, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN {   // a non-blocking output that is full: wait for room
                    var ready = pollfd(fd: output, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, 1000)
                    continue
                }
                guard n > 0 else { return }
                bytes = bytes.dropFirst(n)
            }
        }

        func run() {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                pending += buffer[..<n]
                while let newline = pending.firstIndex(of: 10) {
                    write(feed(String(decoding: pending[..<newline], as: UTF8.self)))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { write(feed(String(decoding: pending, as: UTF8.self))) }
            write(finish())
            close(fd)
            done.signal()
        }
    }
}
