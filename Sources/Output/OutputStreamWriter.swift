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

    /// Appends bytes; a caller that never calls `endRecord()` (one large document) is flushed at
    /// four times the buffer size, so the buffer stays bounded.
    public func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= maxBufferedBytes * 4 { flush() }
    }

    public func append(_ string: String) {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// Blocks at least this large go to the kernel from where they are, after what is buffered,
    /// instead of being copied into the buffer first: lines rendered by worker threads
    /// (`--threads`) are written straight from their buffers, which took the one writing thread's
    /// copy of about 1 GB of output off the critical path of `read` on the bench capture.
    public static let minDirectWriteBytes = 32 << 10

    /// Appends raw bytes; a block of `minDirectWriteBytes` or more, or one that does not fit, goes
    /// to the kernel without being copied.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count < Self.minDirectWriteBytes, buffer.count + bytes.count <= maxBufferedBytes {
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
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    // A non-blocking descriptor inherited from the caller: wait until it drains.
                    var ready = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
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
