#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A key log file that another program is still appending to, as a browser started with
/// `SSLKEYLOGFILE` does while `wstap sniff` runs: connections opened after the capture started
/// have their secrets written later, so a client random the log does not know yet makes it read
/// what was appended since the last look.
///
/// Reads are incremental (from where the last one stopped; a file that shrank was replaced and is
/// read again from its start), happen only when the file grew, and at most once per
/// `minimumRereadInterval` of wall-clock time, so a flood of connections without key costs a
/// `stat` each, not a read. The same caps as a key log read once hold (`maxBytes`,
/// the entry cap). A class shared by every connection's layer; its lock makes it safe to share.
public final class TLSKeyLogFile: @unchecked Sendable {
    /// Least wall-clock time between two reads: short enough that a connection's secrets, written
    /// during its handshake, are found while its first records are held (`maxBytesHeldAwaitingKey`),
    /// long enough that unknown client randoms cannot turn into a read loop.
    public static let defaultMinimumRereadInterval: Duration = .milliseconds(100)

    public let path: String
    public let minimumRereadInterval: Duration
    /// Largest file read, as for a key log read once (`--max-keylog-bytes`).
    public let maxBytes: Int
    private let lock = NSLock()
    private var keyLog: TLSKeyLog
    private var offset: Int64 = 0
    private var lastRead: ContinuousClock.Instant?
    /// Reads made after the first, for `--stats` and tests.
    public private(set) var rereadCount = 0
    /// The reason the file could not be read last time (it went away, became too large), said once.
    public private(set) var lastProblem: String?

    /// Opens and reads what the file holds now; an empty file is fine (a browser just started).
    public init(path: String, maxEntries: Int = TLSKeyLog.defaultMaxEntries, maxBytes: Int = TLSKeyLog.maxFileBytes,
                minimumRereadInterval: Duration = defaultMinimumRereadInterval) {
        self.path = path
        self.maxBytes = maxBytes
        self.minimumRereadInterval = minimumRereadInterval
        keyLog = TLSKeyLog(maxEntries: maxEntries)
        readNewBytes()
    }

    /// The secrets for a client random; when unknown or not `isComplete` yet (a TLS 1.3 client
    /// writes its handshake secrets before its traffic secrets), the file is read again first if
    /// it grew and the last read is at least `minimumRereadInterval` old (`force` skips the
    /// interval).
    public func secrets(for clientRandom: [UInt8], force: Bool = false, isComplete: (TLSKeyLog.Secrets) -> Bool = { _ in true }) -> TLSKeyLog.Secrets? {
        lock.withLock {
            if let found = keyLog[clientRandom: clientRandom], isComplete(found) { return found }
            let now = ContinuousClock.now
            if !force, let lastRead, now - lastRead < minimumRereadInterval { return nil }
            rereadCount += 1
            readNewBytes()
            return keyLog[clientRandom: clientRandom]
        }
    }

    /// Connections the file has given secrets for so far.
    public var count: Int { lock.withLock { keyLog.secrets.count } }

    /// Appends what was written since the last read. Called with the lock held (or from init).
    private func readNewBytes() {
        lastRead = ContinuousClock.now
        var status = stat()
        guard stat(path, &status) == 0 else {
            lastProblem = "cannot read key log '\(path)': \(String(cString: strerror(errno)))"
            return
        }
        let size = Int64(status.st_size)
        if size < offset {
            // Truncated or replaced: what it holds now is new. Secrets already known are kept.
            offset = 0
        }
        guard size > offset else { return }
        guard size <= Int64(maxBytes) else {
            lastProblem = "key log '\(path)' grew past \(maxBytes) bytes (--max-keylog-bytes): no longer read"
            return
        }
        guard let file = fopen(path, "rb") else { return }
        defer { fclose(file) }
        guard fseeko(file, off_t(offset), SEEK_SET) == 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while offset < size {
            let want = Int(min(Int64(chunk.count), size - offset))
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, want, file) }
            if count == 0 { break }
            keyLog.append(chunk[0..<count])
            offset += Int64(count)
        }
    }
}
