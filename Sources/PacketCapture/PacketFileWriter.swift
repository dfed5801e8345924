#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPcap
import PacketDecoding

/// Writes captured packets to a pcap file that `wstap read`, tcpdump and Wireshark open.
///
/// It owns its own "dead" `pcap_t` (link type, snapshot length, nanosecond precision) rather than
/// borrowing the capture's handle, so the live handle stays owned in one place and the file records
/// timestamps at the precision `CapturedPacket` carries. A class: the dumper must be closed once.
///
/// libpcap writes through C stdio and reports no error from `pcap_dump`, so the stream's error flag
/// is checked after every packet and `errno` kept: a full disk, a quota or an I/O error stops the
/// capture with its cause (`cannot write 'x.pcap': No space left on device`) instead of leaving a
/// file cut at the last buffer that fitted. The path is opened as `fopen` does: a symbolic link is
/// followed and its target written in place, a FIFO or device is written directly.
public final class PacketFileWriter {
    private let deadHandle: OpaquePointer
    private let dumper: OpaquePointer
    private let file: UnsafeMutablePointer<FILE>
    public let path: String
    /// The first write error; once set, packets are no longer written.
    public private(set) var failure: CaptureError?

    /// Creates (or truncates) `path`. Fails with `cannotWrite` when the file cannot be created.
    public init(path: String, linkType: LinkType, snapshotLength: Int) throws(CaptureError) {
        guard let dead = pcap_open_dead_with_tstamp_precision(
            linkType.rawValue, Int32(clamping: snapshotLength), UInt32(PCAP_TSTAMP_PRECISION_NANO)
        ) else {
            throw .cannotWrite(path: path, message: "libpcap could not prepare a pcap writer")
        }
        errno = 0
        guard let opened = pcap_dump_open(dead, path) else {
            // fopen's reason ("Permission denied", "Is a directory"): libpcap's own message repeats the path.
            let message = errno != 0 ? String(cString: strerror(errno)) : String(cString: pcap_geterr(dead))
            pcap_close(dead)
            throw .cannotWrite(path: path, message: message)
        }
        guard let file = pcap_dump_file(opened) else {
            pcap_dump_close(opened)
            pcap_close(dead)
            throw .cannotWrite(path: path, message: "libpcap gave no file to write")
        }
        self.deadHandle = dead
        self.dumper = opened
        self.file = file
        self.path = path
        checkStream()
    }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(deadHandle)
    }

    /// Appends one packet as captured (the record keeps both captured and original lengths).
    /// After a write error nothing more is written; `failure` says why.
    public func write(_ packet: CapturedPacket) {
        guard failure == nil else { return }
        var header = pcap_pkthdr()
        header.ts.tv_sec = .init(truncatingIfNeeded: packet.timestamp.seconds)
        header.ts.tv_usec = .init(truncatingIfNeeded: Int64(packet.timestamp.nanoseconds))
        header.caplen = UInt32(truncatingIfNeeded: packet.bytes.count)
        header.len = UInt32(truncatingIfNeeded: packet.originalLength)
        let bytes = packet.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        errno = 0
        pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, bytes)
        checkStream()
    }

    /// Hands buffered records to the kernel, so the file is readable while the capture goes on and
    /// complete when it stops. Throws the first write error, from this flush or an earlier packet.
    public func flush() throws(CaptureError) {
        if let failure { throw failure }
        errno = 0
        if pcap_dump_flush(dumper) != 0 { record(errno) }
        checkStream()
        if let failure { throw failure }
    }

    /// Records the stream's error, if its flag is set, with the `errno` of the failed write.
    private func checkStream() {
        guard failure == nil, ferror(file) != 0 else { return }
        record(errno)
    }

    private func record(_ code: Int32) {
        guard failure == nil else { return }
        failure = .cannotWrite(path: path, message: String(cString: strerror(code != 0 ? code : EIO)))
    }
}
