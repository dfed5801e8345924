#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The bounded hand-over between the capture thread and the decoding thread.
///
/// The capture thread never waits on it: when the queue already holds `maxQueuedBytes`, a new batch
/// is dropped and counted (`droppedPackets`), so the kernel ring keeps being drained and decoding
/// falls behind visibly (gaps on the affected connections, a `stats` event) instead of silently in
/// the kernel. `@unchecked Sendable`: every field is guarded by one pthread mutex (portable to every
/// deployment target, unlike `Synchronization.Mutex` on macOS 13).
public final class PacketQueue: @unchecked Sendable {
    /// What the queue's counters say at one moment.
    public struct Counters: Sendable, Equatable {
        /// Packets handed to the queue (queued or dropped).
        public var offeredPackets: UInt64 = 0
        /// Packets dropped because the queue was full.
        public var droppedPackets: UInt64 = 0
        public var queuedPackets = 0
        public var queuedBytes = 0
        /// The most packets and bytes waiting at once since the start.
        public var highWaterPackets = 0
        public var highWaterBytes = 0
        /// The capture's latest kernel counts (`pcap_stats`), published by the capture thread.
        public var kernel: CaptureStatistics?
    }

    /// What `take` gave.
    public enum Take: Sendable {
        case batch(PacketBatch)
        /// Nothing arrived within the timeout.
        case idle
        /// The capture thread finished and everything it queued has been taken.
        case closed
    }

    public let maxQueuedBytes: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var batches: [PacketBatch] = []
    private var head = 0
    private var counters = Counters()
    private var closed = false
    private var stopRequested = false

    public init(maxQueuedBytes: Int) {
        self.maxQueuedBytes = max(maxQueuedBytes, 1)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    private func locked<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues a batch, or drops it (and counts its packets) when the queue is full. Never waits.
    /// Returns false when the batch was dropped.
    @discardableResult
    public func offer(_ batch: PacketBatch) -> Bool {
        guard !batch.isEmpty else { return true }
        return locked {
            counters.offeredPackets += UInt64(batch.packetCount)
            // An empty queue always takes a batch, so that one batch larger than the bound still passes.
            if counters.queuedBytes > 0, counters.queuedBytes + batch.byteCount > maxQueuedBytes {
                counters.droppedPackets += UInt64(batch.packetCount)
                return false
            }
            batches.append(batch)
            counters.queuedPackets += batch.packetCount
            counters.queuedBytes += batch.byteCount
            counters.highWaterPackets = max(counters.highWaterPackets, counters.queuedPackets)
            counters.highWaterBytes = max(counters.highWaterBytes, counters.queuedBytes)
            pthread_cond_signal(condition)
            return true
        }
    }

    /// The oldest batch, waiting up to `timeoutMilliseconds` for one.
    public func take(timeoutMilliseconds: Int) -> Take {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if head == batches.count, !closed {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let nanoseconds = Int(deadline.tv_nsec) + max(timeoutMilliseconds, 0) * 1_000_000
            deadline.tv_sec += .init(nanoseconds / 1_000_000_000)
            deadline.tv_nsec = .init(nanoseconds % 1_000_000_000)
            while head == batches.count, !closed {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
        guard head < batches.count else { return closed ? .closed : .idle }
        let batch = batches[head]
        head += 1
        if head == batches.count || head >= 64 {
            batches.removeFirst(head)
            head = 0
        }
        counters.queuedPackets -= batch.packetCount
        counters.queuedBytes -= batch.byteCount
        return .batch(batch)
    }

    /// True when nothing waits to be decoded: the moment to flush output.
    public var isEmpty: Bool { locked { head == batches.count } }

    public var snapshot: Counters { locked { counters } }

    /// The capture thread's latest `pcap_stats`.
    public func publish(_ kernel: CaptureStatistics?) {
        guard let kernel else { return }
        locked { counters.kernel = kernel }
    }

    /// The decoding side asks the capture thread to stop (it checks between batches).
    public func requestStop() { locked { stopRequested = true } }
    public var isStopRequested: Bool { locked { stopRequested } }

    /// The capture thread is done: `take` returns `.closed` once the queue is empty.
    public func close() {
        locked {
            closed = true
            pthread_cond_broadcast(condition)
        }
    }
}
