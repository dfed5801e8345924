#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One buffered writer for standard output (or another file descriptor): formatters append bytes,
/// and the writer hands them to the kernel in large blocks, or after every event when the output is
/// watched live (`sniff | jq`).
///
/// Every `write(2)` is checked: interrupted writes (`EINTR`) are retried, partial writes continue
/// where they stopped, and any other error is a failure handed to `onFailure`. The default for
/// standard output ends the program (see `OutputWriteFailure.endProcess`), so that no command can
/// finish with status 0 after losing output: a full disk, `/dev/full`, an I/O error.
public final class OutputStreamWriter {
    private var buffer: [UInt8] = []
    private let fileDescriptor: Int32
    /// How errors name the destination: `standard output`, or `'out.har'`.
    public let destinationName: String
    /// Flush after every `endRecord()` instead of when the buffer is full.
    public var flushEachRecord: Bool
    /// Bytes kept before a write (default 256 KiB): large blocks keep the number of system calls
    /// low when output goes to a file or a pipe.
    public let maxBufferedBytes: Int
    /// Called once, on the first failed write. After it (when it returns) further output is dropped.
    private let onFailure: (OutputWriteError) -> Void
    /// The first write error (nil while every write succeeded).
    public private(set) var failure: OutputWriteError?
    /// Set when a write failed; further output is dropped.
    public var failed: Bool { failure != nil }
    /// Bytes handed to the kernel so far.
    public private(set) var bytesWritten: UInt64 = 0

    /// - Parameter onFailure: what a failed write does; by default `OutputWriteFailure.endProcess`
    ///   (report and exit 1, or end quietly as SIGPIPE does when the reader of a pipe went away).
    public init(
        fileDescriptor: Int32 = 1, destinationName: String = "standard output", flushEachRecord: Bool = false,
        maxBufferedBytes: Int = 256 << 10, onFailure: @escaping (OutputWriteError) -> Void = OutputWriteFailure.endProcess
    ) {
        self.fileDescriptor = fileDescriptor
        self.destinationName = destinationName
        self.flushEachRecord = flushEachRecord
        self.maxBufferedBytes = maxBufferedBytes
        self.onFailure = onFailure
        buffer.reserveCapacity(maxBufferedBytes + 4096)
    }

    deinit { flush() }

    public func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= maxBufferedBytes * 4 { flush() }
    }

    public func append(_ string: String) {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// Appends raw bytes; a block larger than the buffer goes to the kernel without being copied.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        if buffer.count + bytes.count <= maxBufferedBytes {
            buffer.append(contentsOf: bytes)
            return
        }
        flush()
        writeAll(bytes)
    }

    /// Direct access for formatters that write byte by byte.
    public func withBuffer<Result>(_ body: (inout [UInt8]) -> Result) -> Result { body(&buffer) }

    /// Marks the end of one event's output.
    public func endRecord() {
        if flushEachRecord || buffer.count >= maxBufferedBytes { flush() }
    }

    /// Hands everything buffered to the kernel (or drops it after a failure).
    public func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        buffer.withUnsafeBytes { writeAll($0) }
    }

    /// Writes every byte, retrying `EINTR` and continuing after partial writes.
    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(fileDescriptor, base + offset, bytes.count - offset)
            if written < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN { continue }
                fail(OutputWriteError(destination: destinationName, code: code))
                return
            }
            if written == 0 {
                // write(2) returns 0 only for a zero-length request; treat it as an I/O error
                // rather than spinning.
                fail(OutputWriteError(destination: destinationName, code: EIO))
                return
            }
            offset += written
            bytesWritten += UInt64(written)
        }
    }

    private func fail(_ error: OutputWriteError) {
        failure = error
        onFailure(error)
    }
}

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
        if error.isBrokenPipe { endByBrokenPipe() }
        let line = "wstap: error: \(error.description)\n"
        line.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
        exit(1)
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
