#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of connections that must wait for their turn in an export (entries are written in
/// the order connections opened, and an earlier connection is still open): kept in memory up to
/// `maxMemoryBytes`, then moved to an unlinked temporary file, so memory stays bounded however
/// much a long-lived connection holds the others back.
///
/// Each waiting connection's bytes are a list of file extents followed by the bytes still in
/// memory; spilling moves a connection's memory bytes to the end of the file as one more extent.
final class ExportSpool {
    /// Bytes held in memory over all waiting connections before some are moved to the file.
    let maxMemoryBytes: Int
    /// Where the temporary file is created (`$TMPDIR`, else `/tmp`).
    let temporaryDirectory: String
    private var memory: [Int: [UInt8]] = [:]
    private var extents: [Int: [(offset: Int64, length: Int)]] = [:]
    private(set) var memoryBytes = 0
    /// Bytes written to the temporary file so far (its size: drained extents are not reused).
    private(set) var fileBytes: Int64 = 0
    private var fileDescriptor: Int32 = -1
    /// Bytes read back per `pread` when a connection's turn comes.
    static let readChunkBytes = 1 << 20

    init(maxMemoryBytes: Int, temporaryDirectory: String? = nil) {
        self.maxMemoryBytes = max(0, maxMemoryBytes)
        let environment = getenv("TMPDIR").map { String(cString: $0) }
        self.temporaryDirectory = temporaryDirectory ?? (environment.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
    }

    deinit {
        if fileDescriptor >= 0 { close(fileDescriptor) }
    }

    /// Whether anything is held for `key`.
    func holds(_ key: Int) -> Bool { memory[key] != nil || extents[key] != nil }

    func append(_ bytes: [UInt8], to key: Int) throws(ExportError) {
        guard !bytes.isEmpty else { return }
        memory[key, default: []].append(contentsOf: bytes)
        memoryBytes += bytes.count
        if memoryBytes > maxMemoryBytes { try spill() }
    }

    /// Hands everything held for `key` to `sink`, in order, and forgets it.
    func drain(_ key: Int, into sink: (UnsafeRawBufferPointer) -> Void) throws(ExportError) {
        if let list = extents.removeValue(forKey: key) {
            var buffer = [UInt8](repeating: 0, count: Self.readChunkBytes)
            for extent in list {
                var done = 0
                while done < extent.length {
                    let wanted = min(buffer.count, extent.length - done)
                    let count = buffer.withUnsafeMutableBytes { pread(fileDescriptor, $0.baseAddress, wanted, off_t(extent.offset) + off_t(done)) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { throw failure("read", code: count < 0 ? errno : EIO) }
                    buffer.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                    done += count
                }
            }
        }
        if let bytes = memory.removeValue(forKey: key) {
            memoryBytes -= bytes.count
            bytes.withUnsafeBytes { sink($0) }
        }
    }

    /// Moves the largest in-memory buffers to the file until at most half the budget is in memory.
    private func spill() throws(ExportError) {
        try openFileIfNeeded()
        let largestFirst = memory.keys.sorted { (memory[$0]?.count ?? 0) > (memory[$1]?.count ?? 0) }
        for key in largestFirst where memoryBytes > maxMemoryBytes / 2 {
            guard let bytes = memory.removeValue(forKey: key) else { continue }
            var failure: ExportError?
            bytes.withUnsafeBytes { raw in
                do throws(ExportError) { try writeAll(raw) } catch { failure = error }
            }
            if let failure { throw failure }
            extents[key, default: []].append((offset: fileBytes, length: bytes.count))
            fileBytes += Int64(bytes.count)
            memoryBytes -= bytes.count
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(ExportError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let count = pwrite(fileDescriptor, base + done, bytes.count - done, off_t(fileBytes) + off_t(done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("write", code: count < 0 ? errno : EIO) }
            done += count
        }
    }

    /// Creates the file and unlinks it at once: it disappears with the process, however it ends.
    private func openFileIfNeeded() throws(ExportError) {
        guard fileDescriptor < 0 else { return }
        var template = Array("\(temporaryDirectory)/wstap-export-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw failure("create", code: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        fileDescriptor = descriptor
    }

    private func failure(_ action: String, code: Int32) -> ExportError {
        ExportError("cannot \(action) the temporary file in '\(temporaryDirectory)' that holds connections waiting for their turn: \(String(cString: strerror(code)))")
    }
}
