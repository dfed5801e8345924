import Foundation

/// How many worker threads decode a capture's connections (`--threads`).
public enum DecodingThreads {
    /// The most worker threads: past a dozen or so, the one thread that reads, reassembles and
    /// merges is the bound, and each worker costs its stack and a pipeline's tables.
    public static let maxThreads = 16

    /// One worker per core (at most `maxThreads`); 1 on a one-core machine, the single-threaded path.
    public static var defaultThreads: Int {
        min(max(ProcessInfo.processInfo.activeProcessorCount, 1), maxThreads)
    }
}
