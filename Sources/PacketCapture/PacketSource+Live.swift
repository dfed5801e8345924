import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A network interface libpcap can capture on, as `pcap_findalldevs` lists it.
public struct CaptureInterface: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
}

/// What the kernel reported about a live capture (`pcap_stats`): how many packets matched the filter
/// and how many it had to drop because wstap did not read them fast enough.
public struct CaptureStatistics: Sendable, Equatable {
    /// Packets that passed the filter (on Linux: whether or not they were read yet).
    public var received: UInt64
    /// Packets dropped because the capture buffer was full.
    public var droppedByKernel: UInt64
    /// Packets the interface or its driver dropped, where the platform reports it (0 otherwise).
    public var droppedByInterface: UInt64
}

extension PacketSource {
    /// The largest snapshot length libpcap accepts (and tcpdump's default): whole packets on any link.
    public static let maxSnapshotLength = 262_144

    /// Default kernel capture buffer for live captures, in MiB (`--buffer-size`, like tcpdump's `-B`):
    /// 32 MiB (libpcap's default is 2 MiB) holds about a quarter of a second of a saturated 1 Gbit/s
    /// link, so a scheduling hiccup of the capture thread costs no packet.
    public static let defaultBufferMiB = 32
    /// The largest `--buffer-size`: 1 GiB (libpcap takes the size as a 32-bit byte count).
    public static let maxBufferMiB = 1024

    /// How long the kernel holds a partly filled ring block before handing it over: 50 ms. Packets are
    /// captured in blocks (libpcap's buffered TPACKET_V3 mode on Linux, not immediate mode, which wakes
    /// the capture once per packet), so on a quiet link an event waits at most this long in the kernel;
    /// with output flushed within `maxOutputDelay` of decoding, a live `| jq` sees it within 100 ms.
    public static let maxCaptureLatencyMilliseconds = 50

    /// Starts capturing on a live interface (`"any"` for all of them on Linux).
    ///
    /// Buffered mode: the kernel fills ring blocks and hands one over when it is full or
    /// `timeoutMilliseconds` after its first packet, so a busy link costs one wake-up per block, not
    /// per packet. `read()` also waits at most that long, which is how the capture loop notices a
    /// stop request while the network is quiet. Not promiscuous by default: inspecting the host's own
    /// WebSocket traffic needs no more, and it leaves the interface's mode alone.
    public static func openLive(
        interface: String,
        snapshotLength: Int = maxSnapshotLength,
        promiscuous: Bool = false,
        bufferMiB: Int = defaultBufferMiB,
        timeoutMilliseconds: Int = maxCaptureLatencyMilliseconds
    ) throws(CaptureError) -> PacketSource {
        // Check the name first: without permission, activating an unknown name fails with a
        // permission error, which would send the user the wrong way.
        if interface != "any", let known = try? interfaces().map(\.name), !known.isEmpty, !known.contains(interface) {
            throw .noSuchInterface(name: interface, available: known)
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let created: OpaquePointer? = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            pcap_create(interface, buffer.baseAddress)
        }
        guard let handle = created else {
            throw .cannotCapture(interface: interface, message: string(fromBuffer: errorBuffer))
        }
        pcap_set_snaplen(handle, Int32(clamping: min(max(snapshotLength, 1), maxSnapshotLength)))
        pcap_set_promisc(handle, promiscuous ? 1 : 0)
        pcap_set_timeout(handle, Int32(clamping: max(timeoutMilliseconds, 1)))
        pcap_set_immediate_mode(handle, 0)
        pcap_set_buffer_size(handle, Int32(clamping: min(max(bufferMiB, 1), maxBufferMiB) << 20))
        // Not every platform offers nanoseconds; the precision actually granted is read back below.
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        if status < 0 {
            var message = String(cString: pcap_geterr(handle))
            if message.isEmpty { message = String(cString: pcap_statustostr(status)) }
            pcap_close(handle)
            switch status {
            case PCAP_ERROR_PERM_DENIED:
                throw .permissionDenied(interface: interface, message: message)
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw .noSuchInterface(name: interface, available: (try? interfaces().map(\.name)) ?? [])
            default:
                throw .cannotCapture(interface: interface, message: message)
            }
        }
        let nanoseconds = pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO)
        let descriptor = pcap_get_selectable_fd(handle)
        guard descriptor >= 0, pcap_setnonblock(handle, 1, &errorBuffer) == 0 else {
            pcap_close(handle)
            throw .cannotCapture(interface: interface, message: "the capture cannot be polled on this platform")
        }
        return PacketSource(
            handle: handle,
            nanosecondsPerFractionUnit: nanoseconds ? 1 : 1000,
            liveWait: LiveWait(descriptor: descriptor, timeoutMilliseconds: Int32(clamping: max(timeoutMilliseconds, 1)))
        )
    }

    /// Every interface libpcap can capture on, in its order (up and running ones first).
    public static func interfaces() throws(CaptureError) -> [CaptureInterface] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        let status = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            pcap_findalldevs(&list, buffer.baseAddress)
        }
        guard status == 0 else {
            throw .cannotCapture(interface: "any", message: string(fromBuffer: errorBuffer))
        }
        defer { pcap_freealldevs(list) }
        var result: [CaptureInterface] = []
        var current = list
        while let entry = current?.pointee {
            let flags = entry.flags
            result.append(CaptureInterface(
                name: String(cString: entry.name),
                description: entry.description.map { String(cString: $0) },
                isUp: flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0
            ))
            current = entry.next
        }
        return result
    }

    /// The interface to use without `-i`: like tcpdump, the first interface that is up and not loopback
    /// (running ones preferred), never the `any` pseudo-interface.
    public static func defaultInterface() throws(CaptureError) -> CaptureInterface {
        let candidates = try interfaces().filter { $0.isUp && !$0.isLoopback && $0.name != "any" }
        guard let chosen = candidates.first(where: \.isRunning) ?? candidates.first else {
            throw .noDefaultInterface
        }
        return chosen
    }

    /// The kernel's counts for a live capture; nil for files, which have none.
    public func statistics() -> CaptureStatistics? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return CaptureStatistics(
            received: UInt64(stats.ps_recv),
            droppedByKernel: UInt64(stats.ps_drop),
            droppedByInterface: UInt64(stats.ps_ifdrop)
        )
    }
}

/// How a live `PacketSource` waits for packets: `poll` on libpcap's selectable descriptor with a
/// bounded timeout, so a quiet interface still returns control to the capture loop regularly.
struct LiveWait {
    var descriptor: Int32
    var timeoutMilliseconds: Int32

    func waitForPackets() {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&request, 1, timeoutMilliseconds)
    }
}
