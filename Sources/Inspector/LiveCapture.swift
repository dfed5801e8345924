import Foundation
import PacketCapture

/// A live capture split over two threads: a capture thread that only drains libpcap's ring (writing
/// `-w` packets first) into a bounded `PacketQueue`, and the caller's thread, which takes batches with
/// `next` and decodes them.
///
/// Why: decoding a burst (inflating, formatting, writing output) takes longer than the kernel's ring
/// can wait, and while one thread decodes nobody reads the ring, so the kernel drops packets. With the
/// drain on its own thread the ring only overflows when a whole core cannot copy packets out, and a
/// decoder that falls behind shows as counted queue drops and gaps, never as silence. Writing `-w` on
/// the capture side keeps every packet the kernel delivered in the file even when decoding lags.
///
/// `@unchecked Sendable`: after `start()` the source and the file belong to the capture thread alone;
/// `ending` and `fileFailure` are written by it before it closes the queue and read by the caller
/// only after `next` returned `.closed`, which the queue's mutex orders after those writes.
public final class LiveCapture: @unchecked Sendable {
    /// Limits of the hand-over, with their defaults (docs/limits.md).
    public struct Configuration: Sendable {
        /// Default bound of the queue between the capture and decoding threads, in MiB
        /// (`--queue-size`): about half a second of a saturated 1 Gbit/s link.
        public static let defaultQueueMiB = 64
        public static let maxQueueMiB = 4096
        /// A batch is handed over when it holds this many packets or bytes, or the ring is empty.
        public static let maxBatchPackets = 1024
        public static let maxBatchBytes = 1 << 20
        /// The `-w` file is flushed at least this often while packets arrive (and whenever the ring
        /// is empty), so it stays readable during a long capture without a write per packet.
        public static let maxFileFlushInterval: Duration = .milliseconds(250)
        /// How often the capture thread reads `pcap_stats` for the live statistics.
        public static let kernelStatisticsInterval: Duration = .milliseconds(500)

        public var maxQueuedBytes: Int

        public init(queueMiB: Int = defaultQueueMiB) {
            maxQueuedBytes = min(max(queueMiB, 1), Self.maxQueueMiB) << 20
        }
    }

    private let source: PacketSource
    private let file: PacketFileWriter?
    private let queue: PacketQueue
    private var ending: CaptureLoop.Ending = .stopped
    private var fileFailure: CaptureError?

    public init(source: PacketSource, file: PacketFileWriter?, configuration: Configuration = .init()) {
        self.source = source
        self.file = file
        self.queue = PacketQueue(maxQueuedBytes: configuration.maxQueuedBytes)
    }

    /// Starts the capture thread; call once.
    public func start() {
        let thread = Thread { [self] in drain() }
        thread.name = "wstap capture"
        thread.start()
    }

    /// Asks the capture thread to stop; it does within one read timeout, then `next` returns what
    /// was queued and finally `.closed`.
    public func stop() { queue.requestStop() }

    /// The next batch to decode, waiting up to `timeoutMilliseconds`.
    public func next(timeoutMilliseconds: Int) -> PacketQueue.Take {
        queue.take(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The queue's bound in bytes.
    public var maxQueuedBytes: Int { queue.maxQueuedBytes }

    /// True when nothing waits to be decoded.
    public var isCaughtUp: Bool { queue.isEmpty }

    /// Queue and kernel counters at this moment.
    public var counters: PacketQueue.Counters { queue.snapshot }

    /// Why the capture thread ended and the first `-w` write error: valid once `next` returned `.closed`.
    public var outcome: (ending: CaptureLoop.Ending, fileFailure: CaptureError?) { (ending, fileFailure) }

    /// The capture thread: ring → (`-w` file) → batches → queue, until stopped or failed.
    private func drain() {
        var batch = PacketBatch()
        var lastFileFlush = ContinuousClock.now
        var lastStatistics = lastFileFlush
        var result: CaptureLoop.Ending = .stopped
        capture: while true {
            let read: PacketSource.ReadResult
            do {
                read = try source.read(waiting: false)
            } catch {
                result = .failed(error)
                break capture
            }
            var ringEmpty = false
            switch read {
            case .packet(let packet):
                file?.write(packet)
                batch.append(packet)
                guard batch.packetCount >= Configuration.maxBatchPackets || batch.byteCount >= Configuration.maxBatchBytes else { continue }
            case .timedOut:
                ringEmpty = true
            case .endOfCapture:
                result = .endOfCapture
                break capture
            }
            handOver(&batch)
            let now = ContinuousClock.now
            if ringEmpty || now - lastFileFlush >= Configuration.maxFileFlushInterval {
                flushFile()
                lastFileFlush = now
            }
            if now - lastStatistics >= Configuration.kernelStatisticsInterval {
                queue.publish(source.statistics())
                lastStatistics = now
            }
            if queue.isStopRequested || fileFailure != nil || file?.failure != nil { break capture }
            if ringEmpty { source.waitForPackets() }
        }
        handOver(&batch)
        flushFile()
        if fileFailure == nil { fileFailure = file?.failure }
        queue.publish(source.statistics())
        ending = result
        queue.close()
    }

    private func handOver(_ batch: inout PacketBatch) {
        guard !batch.isEmpty else { return }
        queue.offer(batch)
        batch = PacketBatch()
    }

    private func flushFile() {
        guard let file, fileFailure == nil else { return }
        do {
            try file.flush()
        } catch {
            fileFailure = error
        }
    }
}
