#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a key log file cannot be used at all.
public struct TLSKeyLogError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The file is readable text but holds no secret (yet): fatal for a capture file read
    /// after the fact, not for `sniff`, whose key log a browser may be about to write.
    public var holdsNoSecret = false
}

extension TLSKeyLog {
    /// Largest key log file read. A key log line is under 200 bytes; 64 MiB holds hundreds of
    /// thousands of connections, and a larger file is almost surely not a key log (or a browser
    /// log kept for months): it is refused rather than read into memory.
    public static let maxFileBytes = 64 << 20

    /// Reads and parses a key log file. Fails with one sentence for a file that is missing,
    /// unreadable, too large, binary, or holds no usable secret.
    public static func load(path: String, maxEntries: Int = defaultMaxEntries, maxBytes: Int = maxFileBytes) throws(TLSKeyLogError) -> TLSKeyLog {
        let maxFileBytes = maxBytes
        guard let file = fopen(path, "rb") else {
            throw TLSKeyLogError(description: "cannot read key log '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var status = stat()
        if fstat(fileno(file), &status) == 0, Int(status.st_size) > maxFileBytes {
            throw TLSKeyLogError(description: "key log '\(path)' is larger than \(maxFileBytes) bytes (--max-keylog-bytes): not read")
        }
        var keyLog = TLSKeyLog(maxEntries: maxEntries)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            if total == 0 {
                // Text has no NUL and few control characters; a pcap or a gzip file has plenty.
                let binary = chunk[0..<min(count, 4096)].contains { $0 == 0 || ($0 < 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09) }
                guard !binary else {
                    throw TLSKeyLogError(description: "key log '\(path)' is binary, not an NSS key log (lines like 'CLIENT_RANDOM <hex> <hex>')")
                }
            }
            total += count
            // A pipe or a file that grows while read: the same cap, counted as it streams.
            guard total <= maxFileBytes else {
                throw TLSKeyLogError(description: "key log '\(path)' is larger than \(maxFileBytes) bytes (--max-keylog-bytes): not read")
            }
            keyLog.append(chunk[0..<count])
        }
        if ferror(file) != 0 {
            throw TLSKeyLogError(description: "cannot read key log '\(path)': read error")
        }
        guard total > 0 else { throw TLSKeyLogError(description: "key log '\(path)' is empty", holdsNoSecret: true) }
        keyLog.finishParsing()
        guard !keyLog.isEmpty else {
            var message = "key log '\(path)' holds no TLS secret"
            if let first = keyLog.malformedLines.first { message += " (\(keyLog.malformedLineCount) malformed lines, first \(first))" }
            throw TLSKeyLogError(description: message, holdsNoSecret: true)
        }
        return keyLog
    }

    /// Warnings about what was skipped, one line each, for standard error.
    public var warnings: [String] {
        var lines: [String] = []
        if malformedLineCount > 0 {
            var line = "key log: \(malformedLineCount) malformed line\(malformedLineCount == 1 ? "" : "s") skipped: "
            line += malformedLines.map(\.description).joined(separator: "; ")
            if malformedLineCount > malformedLines.count { line += "; …" }
            lines.append(line)
        }
        if droppedEntryCount > 0 {
            lines.append("key log: more than \(secrets.count) connections; \(droppedEntryCount) lines past that were not kept")
        }
        return lines
    }
}
