import PacketCapture

/// The one loop `read` and `sniff` share: packets from a source into a `CaptureInspector` until the
/// source ends, a read fails, or the caller asks to stop.
///
/// It runs on the calling thread and blocks in libpcap, so callers run it on a thread of their own
/// (the main thread of a synchronous command), never on Swift's small cooperative pool. It does not
/// call `inspector.finish()`: the caller decides when the last events are flushed (after stopping).
public struct CaptureLoop {
    /// Why the loop returned.
    public enum Ending: Equatable {
        /// The file ended (live captures never end by themselves).
        case endOfCapture
        /// `shouldStop` returned true.
        case stopped
        /// libpcap reported an error; what was read before it has been processed.
        case failed(CaptureError)
    }

    /// Sees every packet before the inspector does (e.g. to write it to a pcap file).
    public var onPacket: ((CapturedPacket) -> Void)?
    /// Called when a live read times out with no packet: a quiet moment to flush files.
    public var onIdle: (() -> Void)?
    /// Checked before every read; true ends the loop with `.stopped`.
    public var shouldStop: () -> Bool

    public init(
        onPacket: ((CapturedPacket) -> Void)? = nil,
        onIdle: (() -> Void)? = nil,
        shouldStop: @escaping () -> Bool = { false }
    ) {
        self.onPacket = onPacket
        self.onIdle = onIdle
        self.shouldStop = shouldStop
    }

    public func run(_ source: PacketSource, into inspector: some PacketInspecting) -> Ending {
        while !shouldStop() {
            do {
                switch try source.read() {
                case .packet(let packet):
                    onPacket?(packet)
                    inspector.process(packet)
                case .timedOut:
                    onIdle?()
                case .endOfCapture:
                    return .endOfCapture
                }
            } catch {
                return .failed(error)
            }
        }
        return .stopped
    }
}
