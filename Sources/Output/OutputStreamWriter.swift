#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import WebSocketInspection
#endif

/// One buffered writer for standard output (or another file descriptor): formatters append bytes,
/// and the writer hands them to the kernel in large blocks, or after every event when the output is
/// watched live (`sniff | jq`).
public final class OutputStreamWriter {
    private var buffer: [UInt8] = []
    private let fileDescriptor: Int32
    /// Flush after every `endRecord()` instead of when the buffer is full.
    public var flushEachRecord: Bool
    /// Bytes kept before a write (default 256 KiB).
    public let maxBufferedBytes: Int
    /// Set when a write failed (e.g. the reader of a pipe went away); further output is dropped.
    public private(set) var failed = false

    public init(fileDescriptor: Int32 = 1, flushEachRecord: Bool = false, maxBufferedBytes: Int = 256 << 10) {
        self.fileDescriptor = fileDescriptor
        self.flushEachRecord = flushEachRecord
        self.maxBufferedBytes = maxBufferedBytes
        buffer.reserveCapacity(maxBufferedBytes + 4096)
    }

    deinit { flush() }

    public func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    public func append(_ string: String) {
        var string = string
        string.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// Direct access for formatters that write byte by byte.
    public func withBuffer<Result>(_ body: (inout [UInt8]) -> Result) -> Result { body(&buffer) }

    /// Marks the end of one event's output.
    public func endRecord() {
        if flushEachRecord || buffer.count >= maxBufferedBytes { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !failed else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                offset += written
            }
        }
    }
}
