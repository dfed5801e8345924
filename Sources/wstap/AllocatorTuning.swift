#if canImport(Glibc)
import Glibc
#endif

/// Keeps glibc's allocator from mapping and unmapping (or trimming and faulting in again) the
/// memory of every large message.
///
/// Payload buffers of 128 KiB and more (one per large message, inflated or rendered) are above
/// glibc's default `M_MMAP_THRESHOLD`, so each one is a fresh `mmap` whose pages are faulted in and
/// zeroed, then unmapped when the message is printed: on the 600 MiB bench capture that was 0.35 s
/// of system time in a 2.0 s `read` (0.52 s → 0.18 s with a 32 MiB threshold). Buffers up to
/// `maxMappedAllocationBytes` now come from the heap and are reused. Memory stays bounded by the
/// same limits as before (`--max-message-bytes`, the queues): only where it comes from changes.
enum AllocatorTuning {
    /// glibc's upper bound for the threshold on 64-bit systems (`DEFAULT_MMAP_THRESHOLD_MAX`).
    static let maxMappedAllocationBytes: Int32 = 32 << 20
    /// Free memory at the top of the heap kept rather than given back to the kernel: without it,
    /// the heap is trimmed after each large message and the next one faults its pages in again
    /// (`sessions` on the bench capture: 0.72 s → 0.16 s of system time).
    static let maxRetainedFreeBytes: Int32 = 64 << 20
    /// One heap for every thread. With `--threads`, buffers are made on a worker and freed on the
    /// writing thread; glibc's per-thread arenas then each keep their own free memory (exporting a
    /// capture that inflates 1,000-fold peaked at 199 MB with two workers, 64 MB with one arena,
    /// 36 MB single-threaded), while one arena reuses memory freed anywhere. Small allocations
    /// still go through each thread's cache without a lock; times did not change measurably.
    static let maxArenas: Int32 = 1
    /// `M_MMAP_THRESHOLD`, `M_TRIM_THRESHOLD` and `M_ARENA_MAX` of glibc's malloc.h (not exported by
    /// Swift's Glibc module).
    static let mmapThresholdParameter: Int32 = -3
    static let trimThresholdParameter: Int32 = -1
    static let arenaMaxParameter: Int32 = -8

    /// Called before any worker thread starts (arenas are chosen when a thread first allocates).
    /// Sets the thresholds where the C library is glibc (found by name: Swift's Glibc module does not
    /// export `mallopt`); elsewhere (musl, Darwin) it does nothing.
    static func apply() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThresholdParameter, maxMappedAllocationBytes)
        _ = mallopt(trimThresholdParameter, maxRetainedFreeBytes)
        _ = mallopt(arenaMaxParameter, maxArenas)
        #endif
    }
}
