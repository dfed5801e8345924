#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write that the kernel refused: where, and `errno`.
public struct OutputWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `standard output` or a quoted path.
    public var destination: String
    public var code: Int32

    public init(destination: String, code: Int32) {
        self.destination = destination
        self.code = code
    }

    /// The reader of a pipe (or socket) went away: `| head` has read enough.
    public var isBrokenPipe: Bool { code == EPIPE }

    /// `cannot write standard output: No space left on device`.
    public var description: String { "cannot write \(destination): \(String(cString: strerror(code)))" }
}

/// What a command does when its output cannot be written.
public enum OutputWriteFailure {
    /// Ends the program so no command finishes with status 0 after losing output.
    ///
    /// A closed pipe (`EPIPE`: `wstap read big.pcap | head`) is not an error the user needs to read:
    /// the program ends quietly the way tcpdump and jq do, by SIGPIPE (a shell shows status 141),
    /// after flushing C stdio streams (the `-w` pcap file of `sniff`). Any other error prints
    /// `wstap: error: cannot write standard output: <reason>` and exits with status 1.
    public static func endProcess(_ error: OutputWriteError) {
        endProcess(error, status: 1)
    }

    /// `endProcess` for commands whose status 1 already means something else: `replay` and `serve`
    /// exit 1 when answers differed, so a lost report ends them with `status` (2: could not run).
    public static func endProcess(status: Int32) -> @Sendable (OutputWriteError) -> Void {
        { error in endProcess(error, status: status) }
    }

    private static func endProcess(_ error: OutputWriteError, status: Int32) {
        if error.isBrokenPipe { endByBrokenPipe() }
        let line = "wstap: error: \(error.description)\n"
        line.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
        exit(status)
    }

    /// Dies by SIGPIPE even when the parent ignored it (the write then returned EPIPE instead of
    /// killing us), so callers see the same status either way.
    public static func endByBrokenPipe() -> Never {
        fflush(nil)
        signal(SIGPIPE, SIG_DFL)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        sigprocmask(SIG_UNBLOCK, &signals, nil)
        raise(SIGPIPE)
        _exit(128 + SIGPIPE)
    }

    /// Keeps the error in `OutputStreamWriter.failure` for the caller to check.
    public static func record(_ error: OutputWriteError) {}
}
