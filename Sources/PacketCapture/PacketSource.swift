import CPcap
import PacketDecoding

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of captured packets read through libpcap: a pcap or pcapng file, standard input, or a live
/// interface (`openLive`, in PacketSource+Live.swift).
///
/// A class because it owns the `pcap_t` handle, which must be closed exactly once (in `deinit`) and
/// must not be copied. It is not `Sendable`: libpcap handles are not thread-safe, so the capture loop
/// owns its source. Construction goes through static factories (`openFile`, `openLive`) that share
/// one initialiser.
public final class PacketSource {
    let handle: OpaquePointer
    /// Nanoseconds per unit of `tv_usec`: 1 when libpcap delivers nanoseconds, 1000 for a live
    /// interface that only offers microseconds.
    let nanosecondsPerFractionUnit: Int64
    /// Live captures only: the non-blocking handle's descriptor and how long `read()` waits on it.
    let liveWait: LiveWait?

    /// The stdio buffer of a regular file opened by `openFile`: freed after the handle is closed.
    private var fileBuffer: UnsafeMutablePointer<CChar>?

    init(handle: OpaquePointer, nanosecondsPerFractionUnit: Int64 = 1, liveWait: LiveWait? = nil) {
        self.handle = handle
        self.nanosecondsPerFractionUnit = nanosecondsPerFractionUnit
        self.liveWait = liveWait
    }

    deinit {
        pcap_close(handle)
        fileBuffer?.deallocate()
    }

    /// The stdio buffer a capture file is read through. libpcap reads each record with `fread`,
    /// and with stdio's default 4 KiB buffer that was one `read(2)` per few packets: 14 % of the
    /// reading thread of `sessions --threads 2` on the bench capture went to system calls.
    public static let fileReadBufferBytes = 1 << 20

    /// Opens a pcap or pcapng file; `"-"` reads standard input.
    ///
    /// Timestamps are requested with nanosecond precision so that pcapng captures keep their full
    /// resolution (libpcap scales microsecond files up).
    public static func openFile(_ path: String) throws(CaptureError) -> PacketSource {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        var fileBuffer: UnsafeMutablePointer<CChar>?
        let opened: OpaquePointer? = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            if path == "-" {
                guard let standardInput = fdopen(STDIN_FILENO, "rb") else { return nil }
                return pcap_fopen_offline_with_tstamp_precision(standardInput, precision, base)
            }
            if let file = openRegularFile(path, buffer: &fileBuffer) {
                return pcap_fopen_offline_with_tstamp_precision(file, precision, base)
            }
            return pcap_open_offline_with_tstamp_precision(path, precision, base)
        }
        guard let handle = opened else {
            fileBuffer?.deallocate()
            var message = Self.string(fromBuffer: errorBuffer)
            if message.isEmpty { message = "cannot read standard input" }
            throw .cannotOpen(path: path == "-" ? "standard input" : path, message: message)
        }
        let source = PacketSource(handle: handle)
        source.fileBuffer = fileBuffer
        return source
    }

    /// `path` opened with a `fileReadBufferBytes` stdio buffer when it is a regular file; nil for
    /// anything else (libpcap then opens it and words any error as it always has).
    private static func openRegularFile(_ path: String, buffer: inout UnsafeMutablePointer<CChar>?) -> UnsafeMutablePointer<FILE>? {
        var information = stat()
        guard stat(path, &information) == 0, (information.st_mode & S_IFMT) == S_IFREG, let file = fopen(path, "rb") else { return nil }
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: fileReadBufferBytes)
        guard setvbuf(file, storage, _IOFBF, fileReadBufferBytes) == 0 else {
            storage.deallocate()
            return file
        }
        buffer = storage
        return file
    }

    /// The link-layer header type of every packet in this source: picks the `PacketDecoder`.
    public var linkType: LinkType {
        LinkType(rawValue: pcap_datalink(handle))
    }

    /// The largest number of bytes kept per packet; longer packets arrive cut to this length.
    public var snapshotLength: Int {
        Int(pcap_snapshot(handle))
    }

    /// How far into the file libpcap has read, in bytes: with the file's size, the progress of an
    /// offline read. Nil when it cannot be told (e.g. a pipe).
    public var fileOffset: Int64? {
        guard let file = pcap_file(handle) else { return nil }
        let offset = ftello(file)
        return offset >= 0 ? Int64(offset) : nil
    }

    /// Keeps only the packets matching a BPF expression in tcpdump syntax, e.g. `tcp port 8080`.
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        // The netmask only matters for `ip broadcast`, which wstap users have no reason to write.
        let compiled = pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN)
        guard compiled == 0 else {
            throw .badFilter(expression: expression, message: lastErrorMessage())
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw .badFilter(expression: expression, message: lastErrorMessage())
        }
    }

    /// What one read from the source gave.
    public enum ReadResult {
        case packet(CapturedPacket)
        /// A live capture's read timeout passed without a packet: a chance to check for a stop
        /// request or flush output. Files never time out.
        case timedOut
        case endOfCapture
    }

    /// The next packet, or nil at the end of the capture; waits through live read timeouts.
    ///
    /// The returned bytes stay valid only until the next call: libpcap reuses one buffer.
    public func nextPacket() throws(CaptureError) -> CapturedPacket? {
        while true {
            switch try read() {
            case .packet(let packet): return packet
            case .timedOut: continue
            case .endOfCapture: return nil
            }
        }
    }

    /// One read: a packet, a live timeout, or the end. The packet's bytes stay valid only until the
    /// next call.
    ///
    /// - Parameter waiting: for a live capture with nothing ready, whether to wait up to the read
    ///   timeout for packets first. The capture thread passes false so that it learns the ring is
    ///   empty (`.timedOut` at once) and can hand its batch over before it waits.
    public func read(waiting: Bool = true) throws(CaptureError) -> ReadResult {
        var headerPointer: UnsafeMutablePointer<pcap_pkthdr>?
        var dataPointer: UnsafePointer<UInt8>?
        var result = pcap_next_ex(handle, &headerPointer, &dataPointer)
        if result == 0, waiting, let liveWait {
            // Nothing buffered: wait for the descriptor ourselves, with a bound, so that a quiet
            // link still returns control to the loop (the handle is non-blocking).
            liveWait.waitForPackets()
            result = pcap_next_ex(handle, &headerPointer, &dataPointer)
        }
        switch result {
        case 1:
            guard let header = headerPointer?.pointee else { return .endOfCapture }
            let capturedLength = Int(header.caplen)
            let bytes = UnsafeRawBufferPointer(start: dataPointer, count: dataPointer == nil ? 0 : capturedLength)
            let fraction = Int64(header.ts.tv_usec) &* nanosecondsPerFractionUnit
            return .packet(CapturedPacket(
                timestamp: Self.timestamp(seconds: Int64(header.ts.tv_sec), nanoseconds: fraction),
                capturedLength: bytes.count,
                originalLength: max(Int(header.len), bytes.count),
                bytes: bytes
            ))
        case 0:
            return .timedOut
        case -2:
            return .endOfCapture
        default:
            let message = lastErrorMessage()
            if message.contains("truncated") { throw .truncatedFile(message: message) }
            throw .readFailed(message: message)
        }
    }

    /// Live captures: waits until the kernel has packets ready or the read timeout passes.
    public func waitForPackets() {
        liveWait?.waitForPackets()
    }

    /// Builds a timestamp from libpcap's `tv_sec`/`tv_usec` pair (nanoseconds in `tv_usec` here),
    /// normalising an out-of-range fraction from a hostile file instead of trusting it.
    static func timestamp(seconds: Int64, nanoseconds: Int64) -> Timestamp {
        let perSecond: Int64 = 1_000_000_000
        let carried = nanoseconds / perSecond
        var fraction = nanoseconds % perSecond
        var wholeSeconds = seconds &+ carried
        if fraction < 0 {
            fraction += perSecond
            wholeSeconds = wholeSeconds &- 1
        }
        return Timestamp(seconds: wholeSeconds, nanoseconds: UInt32(truncatingIfNeeded: fraction))
    }

    func lastErrorMessage() -> String {
        guard let message = pcap_geterr(handle) else { return "unknown libpcap error" }
        return String(cString: message)
    }

    static func string(fromBuffer buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { pointer in
            guard let base = pointer.baseAddress else { return "" }
            return String(cString: base)
        }
    }
}
