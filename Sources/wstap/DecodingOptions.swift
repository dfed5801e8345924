#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ApplicationProtocols
import ArgumentParser
import Inspector
import PacketCapture
import Sessions
import Output
import TLSDecryption
import WebSocketInspection
import WebSocketProtocol

/// `--format` of the commands that print events or summaries.
struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "Output format: text (for people) or jsonl (one JSON object per event).")
    var format: OutputFormat = .text
}

/// The decoding options every command that reads traffic shares (read, sniff, sessions, export):
/// one filter, one set of limits, one set of warnings.
struct DecodingOptions: ParsableArguments {
    @Option(name: .long, help: "A BPF filter in tcpdump syntax, applied before decoding.")
    var filter: String?

    @Option(name: .long, help: "Largest message payload kept, in bytes (after decompression); longer messages are reported truncated.")
    var maxMessageBytes: Int = InspectionConfiguration().maxMessageBytes

    @Option(name: .long, help: "Most TCP connections tracked at once; past it the least recently active one is dropped (connection_limit).")
    var maxConnections: Int = InspectorConfiguration().reassembly.maxConnections

    @Option(name: .long, help: "Most out-of-order bytes held across all connections; past it holes are skipped and reported as gaps.")
    var maxBufferedBytes: Int = InspectorConfiguration().reassembly.maxBufferedBytesTotal

    @Option(name: .long, help: "Largest HTTP handshake head, in bytes; a connection whose head is longer is no longer followed.")
    var maxHeadBytes: Int = InspectionConfiguration().maxHeadBytes

    @Option(name: .long, help: "Anomalies of one kind shown per connection; the rest are counted in one last line.")
    var maxAnomaliesPerKind: Int = InspectionConfiguration().maxAnomaliesPerKind

    @Option(name: .long, help: "Longest anomaly detail, in bytes; longer ones are cut and say how much was left out.")
    var maxAnomalyDetailBytes: Int = InspectionConfiguration().maxAnomalyDetailBytes

    @Option(name: .long, help: "Frame lengths kept per fragmented message (for replay); further frames are counted only.")
    var maxFragmentLengths: Int = InspectionConfiguration().maxFragmentLengths

    @Option(name: .long, help: KeyLogOption.helpText)
    var keylog: String?

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "Application protocol decoding: auto (by subprotocol, EIO= path, JSON-RPC shape), none, or one of \(ApplicationProtocol.allCases.map(\.rawValue).joined(separator: ", ")) for every connection; CONN=PROTO for one connection (repeatable).",
            valueName: "PROTO|auto|none|CONN=PROTO"))
    var decode: [String] = []

    @Option(name: .long, help: "Largest key log file read, and most TLS secrets kept from a pcapng file's Decryption Secrets Blocks, in bytes.")
    var maxKeylogBytes: Int = TLSKeyLog.maxFileBytes

    @Option(name: .long, help: "Most TLS connections (client randoms) kept from a key log; further lines are counted in a warning.")
    var maxKeylogEntries: Int = TLSKeyLog.defaultMaxEntries

    @Option(name: .long, help: "TLS record sequence numbers tried on the first record after a capture gap (each try is one decryption).")
    var tlsResyncRecords: Int = TLSDecryptionConfiguration().maxResynchronizationWindow

    @Flag(name: .long, help: "Do not look for WebSocket frames in connections whose handshake was not captured.")
    var noMidstream = false

    @Flag(name: .long, help: "Print packet counts, events and peak memory to standard error at the end.")
    var stats = false

    @Option(name: .long, help: "Threads that decode connections (default: one per core, at most \(DecodingThreads.maxThreads)); 1 decodes on the reading thread. The output is the same for any number.")
    var threads: Int?

    /// `--threads`, or one per core.
    var threadCount: Int { threads ?? DecodingThreads.defaultThreads }

    func validate() throws {
        if let threads, !(1...DecodingThreads.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(DecodingThreads.maxThreads)")
        }
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard maxBufferedBytes > 0 else { throw ValidationError("--max-buffered-bytes must be positive") }
        guard maxHeadBytes > 0 else { throw ValidationError("--max-head-bytes must be positive") }
        guard maxAnomaliesPerKind > 0 else { throw ValidationError("--max-anomalies-per-kind must be positive") }
        guard maxAnomalyDetailBytes >= 64 else { throw ValidationError("--max-anomaly-detail-bytes must be at least 64") }
        guard maxFragmentLengths >= 0 else { throw ValidationError("--max-fragment-lengths must be zero or more") }
        guard maxKeylogBytes > 0 else { throw ValidationError("--max-keylog-bytes must be positive") }
        guard maxKeylogEntries > 0 else { throw ValidationError("--max-keylog-entries must be positive") }
        guard (0...1024).contains(tlsResyncRecords) else { throw ValidationError("--tls-resync-records must be between 0 and 1024") }
        try KeyLogOption.validate(flag: keylog, limits: .init(maxBytes: maxKeylogBytes, maxEntries: maxKeylogEntries, resynchronizationWindow: tlsResyncRecords))
        _ = try Self.decodeChoice(decode)
    }

    /// `--decode` values: the mode for all connections (the last plain value wins; auto when none)
    /// and the per-connection choices.
    static func decodeChoice(_ values: [String]) throws -> (mode: ApplicationProtocol.DecodeMode, perConnection: [Int: ApplicationProtocol]) {
        var mode = ApplicationProtocol.DecodeMode.auto
        var perConnection: [Int: ApplicationProtocol] = [:]
        let known = ApplicationProtocol.allCases.map(\.rawValue).joined(separator: ", ")
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                guard let number = Int(parts[0]), number >= 0 else { throw ValidationError("--decode \(value): CONN must be a connection number") }
                guard let chosen = ApplicationProtocol(name: parts[1]) else { throw ValidationError("--decode \(value): unknown protocol (known: \(known))") }
                perConnection[number] = chosen
            } else if value.lowercased() == "auto" {
                mode = .auto
            } else if value.lowercased() == "none" {
                mode = .none
            } else if let chosen = ApplicationProtocol(name: value) {
                mode = .only(chosen)
            } else {
                throw ValidationError("--decode \(value): unknown protocol (known: auto, none, \(known))")
            }
        }
        return (mode, perConnection)
    }

    var configuration: InspectorConfiguration {
        var configuration = InspectorConfiguration()
        configuration.inspection.maxMessageBytes = maxMessageBytes
        configuration.inspection.detectMidstream = !noMidstream
        configuration.inspection.maxHeadBytes = maxHeadBytes
        configuration.inspection.maxAnomaliesPerKind = maxAnomaliesPerKind
        configuration.inspection.maxAnomalyDetailBytes = maxAnomalyDetailBytes
        configuration.inspection.maxFragmentLengths = maxFragmentLengths
        configuration.reassembly.maxConnections = maxConnections
        configuration.reassembly.maxBufferedBytesTotal = maxBufferedBytes
        // One connection may not hold more than the whole budget.
        configuration.reassembly.maxBufferedBytesPerConnection = min(configuration.reassembly.maxBufferedBytesPerConnection, maxBufferedBytes)
        configuration.streamLayers = KeyLogOption.streamLayers(flag: keylog)
        if let choice = try? Self.decodeChoice(decode) {
            configuration.messageDecoders = ApplicationProtocol.factory(mode: choice.mode, perConnection: choice.perConnection)
        }
        return configuration
    }

    /// `configuration` for a live capture: the key log file is read again as connections appear.
    var liveConfiguration: InspectorConfiguration {
        var configuration = configuration
        configuration.streamLayers = KeyLogOption.streamLayers(flag: keylog, live: true)
        return configuration
    }

    /// The `--stats` line: what was read and the process's peak resident memory.
    func printStatistics(_ statistics: InspectorStatistics, events: Int) {
        guard stats else { return }
        var line = "wstap: stats: \(statistics.packets) packets, \(statistics.tcpSegments) TCP segments, "
        line += "\(events) events, peak memory \(Self.peakResidentKiB().map(String.init) ?? "?") KiB\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Peak resident memory of this program. On Linux from `VmHWM` in /proc/self/status, because
    /// getrusage's ru_maxrss carries over the peak of the process that exec'd us.
    static func peakResidentKiB() -> Int? {
        #if os(Linux)
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if line.hasPrefix("VmHWM:") {
                return Int(line.dropFirst(6).filter(\.isNumber))
            }
        }
        return nil
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss) / 1024
        #endif
    }
}
