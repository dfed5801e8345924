import CPcap
import PacketDecoding

/// Writes captured packets to a pcap file that `wstap read`, tcpdump and Wireshark open.
///
/// It owns its own "dead" `pcap_t` (link type, snapshot length, nanosecond precision) rather than
/// borrowing the capture's handle, so the live handle stays owned in one place and the file records
/// timestamps at the precision `CapturedPacket` carries. A class: the dumper must be closed once.
public final class PacketFileWriter {
    private let deadHandle: OpaquePointer
    private let dumper: OpaquePointer
    public let path: String

    /// Creates (or truncates) `path`. Fails with `cannotWrite` when the file cannot be created.
    public init(path: String, linkType: LinkType, snapshotLength: Int) throws(CaptureError) {
        guard let dead = pcap_open_dead_with_tstamp_precision(
            linkType.rawValue, Int32(clamping: snapshotLength), UInt32(PCAP_TSTAMP_PRECISION_NANO)
        ) else {
            throw .cannotWrite(path: path, message: "libpcap could not prepare a pcap writer")
        }
        guard let opened = pcap_dump_open(dead, path) else {
            let message = String(cString: pcap_geterr(dead))
            pcap_close(dead)
            throw .cannotWrite(path: path, message: message)
        }
        self.deadHandle = dead
        self.dumper = opened
        self.path = path
    }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(deadHandle)
    }

    /// Appends one packet as captured (the record keeps both captured and original lengths).
    public func write(_ packet: CapturedPacket) {
        var header = pcap_pkthdr()
        header.ts.tv_sec = .init(truncatingIfNeeded: packet.timestamp.seconds)
        header.ts.tv_usec = .init(truncatingIfNeeded: Int64(packet.timestamp.nanoseconds))
        header.caplen = UInt32(truncatingIfNeeded: packet.bytes.count)
        header.len = UInt32(truncatingIfNeeded: packet.originalLength)
        let bytes = packet.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, bytes)
    }

    /// Hands buffered records to the kernel, so the file is readable while the capture goes on and
    /// complete when it stops.
    public func flush() throws(CaptureError) {
        guard pcap_dump_flush(dumper) == 0 else {
            throw .cannotWrite(path: path, message: "write failed (disk full?)")
        }
    }
}
