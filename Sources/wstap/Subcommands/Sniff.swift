#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Inspector
import PacketCapture
import PacketDecoding
import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

/// `wstap sniff`: decode WebSocket traffic on a live interface and print each event as it happens.
struct Sniff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode WebSocket traffic on a network interface as it happens.",
        discussion: """
            Examples:
              sudo wstap sniff -i lo --filter 'tcp port 8080'
              sudo wstap sniff -i any --filter 'tcp port 443 or tcp port 8080' --format jsonl | jq .
              sudo wstap sniff -i eth0 -w session.pcap --duration 60

            -c N stops after N WebSocket messages (data messages and ping/pong/close frames) have been \
            printed. Ctrl-C, SIGTERM, -c and --duration all stop cleanly: pending messages and the -w \
            file are flushed and the packet counts printed to standard error.

            Capturing needs root or the capture capabilities:
              sudo setcap cap_net_raw,cap_net_admin=eip $(command -v wstap)

            Exit status: 0 when the capture ran and was stopped (signal, -c, --duration), 1 when it \
            could not start (no permission, unknown interface, bad filter) or failed, including a -w \
            file or standard output that could not be written (the capture stops and the cause is \
            printed, e.g. No space left on device), 64 for a usage error. A closed pipe (| head) \
            ends wstap quietly by SIGPIPE (status 141 in a shell), as it does tcpdump.
            """
    )

    @Option(name: [.customShort("i"), .customLong("interface")],
            help: "Interface to capture on; 'any' for all. Default: the first interface that is up and not loopback.")
    var interface: String?

    @OptionGroup var options: DecodingOptions
    @OptionGroup var output: FormatOption
    @OptionGroup(title: "Filters") var filtering: MessageFilterOptions
    @OptionGroup var terminal: TerminalOptions

    @Option(name: [.customShort("w"), .customLong("write")], help: "Also write the raw packets to this pcap file.")
    var write: String?

    @Option(name: [.customShort("c"), .customLong("count")], help: "Stop after this many WebSocket messages have been printed.")
    var count: Int?

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: .long, help: "Bytes kept per packet (default and maximum \(PacketSource.maxSnapshotLength)); shorter loses payload, reported as gaps.")
    var snaplen: Int = PacketSource.maxSnapshotLength

    @Option(name: [.customShort("B"), .customLong("buffer-size")],
            help: "Kernel capture buffer in MiB, like tcpdump's -B (default \(PacketSource.defaultBufferMiB), at most \(PacketSource.maxBufferMiB)).")
    var bufferSize: Int = PacketSource.defaultBufferMiB

    @Option(name: .long, help: "Bound of the queue between the capture and decoding threads, in MiB (default \(LiveCapture.Configuration.defaultQueueMiB), at most \(LiveCapture.Configuration.maxQueueMiB)); beyond it packets are dropped and counted.")
    var queueSize: Int = LiveCapture.Configuration.defaultQueueMiB

    @Option(name: .long, help: "Seconds between the live statistics lines on standard error (and jsonl 'stats' events); 0 for only the final one. Default \(Int(Self.defaultStatisticsSeconds)).")
    var statsInterval: Double = Self.defaultStatisticsSeconds

    /// Live statistics every 10 s: often enough to see drops while they happen, rare enough not to
    /// clutter a terminal.
    static let defaultStatisticsSeconds: Double = 10

    /// Output is flushed when the decoder has caught up with the capture, and at least this often
    /// while it has not: with the kernel's `maxCaptureLatencyMilliseconds` (50 ms), a live `| jq`
    /// sees an event within 100 ms, and a burst costs one write per buffer instead of one per event.
    static let maxOutputDelayMilliseconds = 50

    /// The longest `--duration`: 30 days, far beyond any capture session, and small enough that the
    /// deadline's millisecond count cannot overflow (1e300 used to trap).
    static let maxDurationSeconds: Double = 30 * 86_400

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("-c must be a positive number of messages") }
        if let duration, !(duration > 0 && duration <= Self.maxDurationSeconds) {
            throw ValidationError("--duration must be a number of seconds above 0 and at most \(Int(Self.maxDurationSeconds)) (30 days)")
        }
        guard (1...PacketSource.maxSnapshotLength).contains(snaplen) else {
            throw ValidationError("--snaplen must be between 1 and \(PacketSource.maxSnapshotLength)")
        }
        guard (1...PacketSource.maxBufferMiB).contains(bufferSize) else {
            throw ValidationError("--buffer-size must be between 1 and \(PacketSource.maxBufferMiB) MiB")
        }
        guard (1...LiveCapture.Configuration.maxQueueMiB).contains(queueSize) else {
            throw ValidationError("--queue-size must be between 1 and \(LiveCapture.Configuration.maxQueueMiB) MiB")
        }
        guard statsInterval == 0 || (statsInterval >= 0.1 && statsInterval <= Self.maxDurationSeconds) else {
            throw ValidationError("--stats-interval must be 0 or a number of seconds from 0.1 to \(Int(Self.maxDurationSeconds))")
        }
        if write == "-" { throw ValidationError("-w - would mix packets with the decoded output on standard output; give a file name") }
    }

    func run() throws {
        let interfaceName = try chooseInterface()
        AllocatorTuning.apply()
        let source: PacketSource
        do {
            source = try PacketSource.openLive(interface: interfaceName, snapshotLength: snaplen, bufferMiB: bufferSize)
        } catch {
            throw Diagnostics.fail(error.description)
        }
        if let filter = options.filter {
            do {
                try source.setFilter(filter)
            } catch {
                throw Diagnostics.fail(error.description)
            }
        }
        var packetFile: PacketFileWriter?
        if let write {
            // A closed standard output (| head) then returns EPIPE instead of killing the process, so
            // the -w file is flushed before the program ends by SIGPIPE (OutputWriteFailure).
            signal(SIGPIPE, SIG_IGN)
            do {
                packetFile = try PacketFileWriter(path: write, linkType: source.linkType, snapshotLength: source.snapshotLength)
            } catch {
                throw Diagnostics.fail(error.description)
            }
        }
        var text = TextFormatter(style: terminal.style, prettyJSON: filtering.pretty)
        if output.format == .jsonl { text.style = .plain }
        let printer = EventPrinter(format: output.format, writer: OutputStreamWriter(), text: text)
        let limit = MessageLimit(maxMessages: count, printer: printer, filter: filtering.filter)
        KeyLogOption.noteIfEmpty(flag: options.keylog)
        let made: (any PacketInspecting)?
        if options.threadCount > 1 {
            made = ShardedCaptureInspector(
                linkType: source.linkType, configuration: options.liveConfiguration, workers: options.threadCount,
                rendering: PrintedEvents.rendering(format: output.format, text: text, filtering: filtering), emit: limit.print(rendered:))
        } else {
            made = CaptureInspector(linkType: source.linkType, configuration: options.liveConfiguration, emit: limit.print)
        }
        guard let inspector = made else { throw Diagnostics.fail("'\(interfaceName)': unsupported link type \(source.linkType)") }
        let stop = CaptureStopRequest()
        stop.stopOnInterruptAndTerminate()
        let deadline = duration.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        let linkType = source.linkType, snapshotLength = source.snapshotLength
        let capture = LiveCapture(source: source, file: packetFile, configuration: .init(queueMiB: queueSize))

        // Tests and scripts wait for this line: once it is printed, every packet is captured.
        Diagnostics.note("listening on \(interfaceName), link type \(linkType), snapshot length \(snapshotLength) bytes, buffer \(bufferSize) MiB")
        capture.start()
        let statisticsInterval: Duration? = statsInterval > 0 ? .milliseconds(Int64((statsInterval * 1000).rounded())) : nil
        var lastStatistics = ContinuousClock.now
        var lastFlush = lastStatistics
        var stopping = false
        decode: while true {
            if !stopping, stop.isRequested || limit.reached || deadline.map({ ContinuousClock.now >= $0 }) ?? false {
                capture.stop()
                stopping = true
            }
            switch capture.next(timeoutMilliseconds: Self.maxOutputDelayMilliseconds) {
            case .batch(let batch):
                batch.forEach { inspector.process($0) }
                // Connections waiting for their TLS secrets look at the key log again (rate-limited).
                inspector.poll()
            case .idle:
                inspector.poll()
            case .closed:
                break decode
            }
            let now = ContinuousClock.now
            if capture.isCaughtUp || now - lastFlush >= .milliseconds(Self.maxOutputDelayMilliseconds) {
                // What the worker threads (--threads) still hold is merged and printed first.
                inspector.flush()
                printer.flush()
                lastFlush = now
            }
            if let statisticsInterval, now - lastStatistics >= statisticsInterval {
                report(capture, decoded: inspector.statistics.packets, final: false, to: printer)
                printer.flush()
                lastStatistics = now
            }
        }
        inspector.finish()
        let final = report(capture, decoded: inspector.statistics.packets, final: true, to: printer)
        printer.flush()

        if final.lostPackets {
            Diagnostics.warning("\((final.droppedByKernel ?? 0) + final.droppedByQueue) packets were lost (\(final.droppedByKernel ?? 0) by the kernel, \(final.droppedByQueue) by the queue to the decoder): messages on those connections are reported incomplete or as gaps; a narrower --filter, a larger --buffer-size or --queue-size helps")
        }
        let counts = CaptureReadSummary(statistics: inspector.statistics, snapshotLength: snapshotLength, events: 0)
        counts.statisticsWarnings.forEach { Diagnostics.warning($0.description) }
        let outcome = capture.outcome
        // A -w file that could not be written is an error even when the capture itself went well.
        if let failure = outcome.fileFailure { throw Diagnostics.fail(failure.description) }
        if case .failed(let error) = outcome.ending { throw Diagnostics.fail(error.description) }
    }

    /// Prints the live statistics on standard error (and as a jsonl `stats` event); the final one
    /// also carries the summary line scripts grep for (`N packets captured, … dropped by kernel`).
    @discardableResult
    private func report(_ capture: LiveCapture, decoded: Int, final: Bool, to printer: EventPrinter) -> LiveCaptureReport {
        let counters = capture.counters
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let report = LiveCaptureReport(
            timestamp: Timestamp(seconds: Int64(now.tv_sec), nanoseconds: UInt32(clamping: now.tv_nsec)),
            received: counters.kernel?.received, droppedByKernel: counters.kernel?.droppedByKernel,
            captured: counters.offeredPackets, droppedByQueue: counters.droppedPackets,
            queueHighWaterPackets: counters.highWaterPackets, queueHighWaterBytes: counters.highWaterBytes,
            maxQueuedBytes: capture.maxQueuedBytes, decoded: UInt64(decoded), isFinal: final)
        printer.print(report)
        if final {
            var summary = "\(counters.offeredPackets) packets captured"
            if let kernel = counters.kernel {
                summary += ", \(kernel.received) received by filter, \(kernel.droppedByKernel) dropped by kernel, \(counters.droppedPackets) dropped by queue"
            }
            Diagnostics.note(summary)
        }
        Diagnostics.note(report.line)
        return report
    }

    /// `-i` as given, or the first interface that is up (said on standard error, as tcpdump does).
    private func chooseInterface() throws -> String {
        if let interface { return interface }
        do {
            let chosen = try PacketSource.defaultInterface()
            Diagnostics.note("no -i given: capturing on \(chosen.name), the first interface that is up")
            return chosen.name
        } catch {
            throw Diagnostics.fail(error.description)
        }
    }
}

/// Prints events until `-c` messages have been printed, then drops further messages, so that exactly
/// that many appear even when one packet completes several, or the final flush completes more.
private final class MessageLimit {
    let maxMessages: Int?
    let printer: EventPrinter
    /// `--conn`, `--grep`, `--from`: only what they select is printed and counted.
    let filter: MessageFilter
    private(set) var printed = 0

    init(maxMessages: Int?, printer: EventPrinter, filter: MessageFilter) {
        self.maxMessages = maxMessages
        self.printer = printer
        self.filter = filter
    }

    var reached: Bool { maxMessages.map { printed >= $0 } ?? false }

    func print(_ event: InspectorEvent) {
        if !filter.isEmpty && !filter.accepts(event) { return }
        if case .message = event {
            if reached { return }
            printed += 1
        }
        printer.print(event)
    }

    /// An event a worker thread filtered and formatted already (`--threads`).
    func print(rendered event: RenderedEvent) {
        if event.isMessage {
            if reached { return }
            printed += 1
        }
        printer.print(rendered: event.bytes)
    }
}
