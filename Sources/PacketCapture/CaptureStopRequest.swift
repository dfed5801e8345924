import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A flag another thread raises to end a live capture loop, plus the signal handling that raises it.
///
/// The capture loop polls `isRequested` after every packet and every read timeout, so a stop takes
/// effect within one timeout (100 ms by default) even on a quiet network. Polling a flag instead of
/// calling `pcap_breakloop` from the signal thread keeps the `pcap_t` touched by one thread only.
/// `@unchecked Sendable` because the flag is guarded by a mutex (portable to every deployment
/// target, unlike `Synchronization.Atomic` on macOS 13).
public final class CaptureStopRequest: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var requested = false
    private var signalName: String?
    private var sources: [DispatchSourceSignal] = []

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for source in sources { source.cancel() }
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// True once `request` was called or one of the watched signals arrived.
    public var isRequested: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return requested
    }

    /// The signal that stopped the capture (`SIGINT`, `SIGTERM`), if one did.
    public var receivedSignal: String? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return signalName
    }

    public func request() {
        pthread_mutex_lock(mutex)
        requested = true
        pthread_mutex_unlock(mutex)
    }

    /// Turns SIGINT (Ctrl-C) and SIGTERM into a stop request instead of killing the process, so that
    /// pending messages and the pcap file are flushed and statistics printed before a clean exit.
    /// The default handlers are ignored first; Dispatch then delivers the signals on its own thread.
    public func stopOnInterruptAndTerminate() {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                pthread_mutex_lock(self.mutex)
                self.requested = true
                if self.signalName == nil { self.signalName = name }
                pthread_mutex_unlock(self.mutex)
            }
            source.resume()
            sources.append(source)
        }
    }
}
