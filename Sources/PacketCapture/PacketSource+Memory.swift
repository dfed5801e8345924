import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PacketSource {
    /// Opens a pcap or pcapng capture held in memory, read exactly as `openFile` reads one on disk.
    ///
    /// For the fuzz targets (a file created and deleted per input cost more than the decoding of a
    /// small capture) and for tests. The bytes are copied into a stream of libpcap's own
    /// (`fmemopen`), so the caller's buffer need not outlive the source. `name` only labels errors.
    public static func openCapture(bytes: UnsafeRawBufferPointer, name: String = "capture in memory") throws(CaptureError) -> PacketSource {
        // fmemopen refuses a zero size; an empty capture then reads as an empty file does.
        guard let file = fmemopen(nil, max(bytes.count, 1), "w+") else {
            throw .cannotOpen(path: name, message: "cannot allocate a memory stream")
        }
        if let base = bytes.baseAddress, bytes.count > 0 {
            guard fwrite(base, 1, bytes.count, file) == bytes.count else {
                fclose(file)
                throw .cannotOpen(path: name, message: "cannot fill a memory stream")
            }
        }
        rewind(file)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let opened: OpaquePointer? = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), base)
        }
        guard let handle = opened else {
            // On failure libpcap leaves the stream to its caller; on success pcap_close closes it.
            fclose(file)
            throw .cannotOpen(path: name, message: Self.string(fromBuffer: errorBuffer))
        }
        return PacketSource(handle: handle)
    }
}
