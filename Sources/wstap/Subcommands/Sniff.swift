#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Inspector
import PacketCapture
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
        if write == "-" { throw ValidationError("-w - would mix packets with the decoded output on standard output; give a file name") }
    }

    func run() throws {
        let interfaceName = try chooseInterface()
        let source: PacketSource
        do {
            source = try PacketSource.openLive(interface: interfaceName, snapshotLength: snaplen)
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
        let printer = EventPrinter(format: output.format, writer: OutputStreamWriter(flushEachRecord: true), text: text)
        let limit = MessageLimit(maxMessages: count, printer: printer, filter: filtering.filter)
        KeyLogOption.noteIfEmpty(flag: options.keylog)
        guard let inspector = CaptureInspector(linkType: source.linkType, configuration: options.liveConfiguration, emit: limit.print) else {
            throw Diagnostics.fail("'\(interfaceName)': unsupported link type \(source.linkType)")
        }
        let stop = CaptureStopRequest()
        stop.stopOnInterruptAndTerminate()
        let deadline = duration.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        let flusher = PacketFileFlusher(file: packetFile)

        // Tests and scripts wait for this line: once it is printed, every packet is captured.
        Diagnostics.note("listening on \(interfaceName), link type \(source.linkType), snapshot length \(source.snapshotLength) bytes")
        let loop = CaptureLoop(
            onPacket: packetFile.map { file in { file.write($0); flusher.flush(ifDue: true) } },
            onIdle: {
                flusher.flush(ifDue: false)
                inspector.poll()
            },
            shouldStop: {
                stop.isRequested || limit.reached || flusher.failure != nil || packetFile?.failure != nil
                    || deadline.map { ContinuousClock.now >= $0 } ?? false
            }
        )
        let ending = loop.run(source, into: inspector)
        inspector.finish()
        printer.flush()
        flusher.flush(ifDue: false)

        var summary = "\(inspector.statistics.packets) packets captured"
        let statistics = source.statistics()
        if let statistics {
            summary += ", \(statistics.received) received by filter, \(statistics.droppedByKernel) dropped by kernel"
        }
        Diagnostics.note(summary)
        if let dropped = statistics?.droppedByKernel, dropped > 0 {
            Diagnostics.warning("the kernel dropped \(dropped) packets that wstap did not read in time: messages on those connections are reported incomplete or as gaps; a narrower --filter helps")
        }
        let counts = CaptureReadSummary(statistics: inspector.statistics, snapshotLength: source.snapshotLength, events: 0)
        counts.statisticsWarnings.forEach { Diagnostics.warning($0.description) }
        // A -w file that could not be written is an error even when the capture itself went well.
        if let failure = flusher.failure ?? packetFile?.failure { throw Diagnostics.fail(failure.description) }
        if case .failed(let error) = ending { throw Diagnostics.fail(error.description) }
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
}

/// Flushes the `-w` file when the network is quiet and at least every quarter second while it is
/// busy: the file stays readable during a long capture without a write per packet.
private final class PacketFileFlusher {
    let file: PacketFileWriter?
    private var lastFlush = ContinuousClock.now
    private(set) var failure: CaptureError?
    static let maxFlushInterval: Duration = .milliseconds(250)

    init(file: PacketFileWriter?) { self.file = file }

    func flush(ifDue: Bool) {
        guard let file, failure == nil else { return }
        let now = ContinuousClock.now
        if ifDue, now - lastFlush < Self.maxFlushInterval { return }
        lastFlush = now
        do {
            try file.flush()
        } catch {
            failure = error
        }
    }
}
