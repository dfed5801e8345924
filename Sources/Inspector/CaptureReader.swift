#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PacketCapture
import PacketDecoding
import WebSocketInspection

/// The one front end for capture files and standard input: every command that reads a capture —
/// `read`, `sessions`, `export` (HAR and session) and the recording loader behind `replay` — goes
/// through it, so the BPF filter, the limits and the warnings are the same everywhere.
///
/// It opens the source, applies the filter, runs the packets through a `CaptureInspector` and
/// flushes it, and returns what happened as values (`CaptureReadSummary`): wording and printing are
/// the executable's business. Live interfaces use the same `CaptureInspector` and `CaptureLoop`
/// through `sniff`, which owns its stop conditions.
public struct CaptureReader {
    public var configuration: InspectorConfiguration
    /// A BPF expression in tcpdump syntax, applied before decoding.
    public var filter: String?
    /// Called every 256 packets with the bytes read so far and the file's size, when the source is
    /// a regular file (not standard input or a pipe).
    public var onProgress: ((_ bytesRead: Int64, _ totalBytes: Int64) -> Void)?
    /// Most bytes of secrets kept from the file's pcapng Decryption Secrets Blocks.
    public var maxEmbeddedSecretsBytes = PcapngSecretsScanner.defaultMaxSecretsBytes
    /// Worker threads that decode the connections (`--threads`); 1 decodes on the calling thread.
    public var threads = 1

    public init(configuration: InspectorConfiguration = .init(), filter: String? = nil) {
        self.configuration = configuration
        self.filter = filter
    }

    /// Why a capture could not be read at all (nothing was decoded).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `path` (`-` for standard input) to its end and reports every event through `emit`.
    ///
    /// Throws only when nothing could be read: a missing or unreadable file, an unknown format or
    /// link type, a bad filter, or a read error before the first packet. A file cut mid-record or a
    /// read error later ends the read with a warning, keeping everything decoded before it.
    /// With `threads` above 1 the connections are decoded on that many worker threads and the
    /// events come out exactly as with one.
    public func read(_ path: String, emit: @escaping (InspectorEvent) -> Void) throws(Failure) -> CaptureReadSummary {
        if threads > 1 {
            return try read(path, rendering: .events) { rendered in rendered.event.map(emit) }
        }
        return try read(path) { linkType, configuration, count in
            CaptureInspector(linkType: linkType, configuration: configuration) { event in
                count()
                emit(event)
            }
        }
    }

    /// Reads `path` as `read(_:emit:)` does, each event rendered (formatted, filtered) by
    /// `rendering` on the thread that decoded it; `emit` gets the rendered events in capture order.
    public func read(
        _ path: String, rendering: EventRendering, emit: @escaping (RenderedEvent) -> Void
    ) throws(Failure) -> CaptureReadSummary {
        if threads > 1 {
            var sharded: ShardedCaptureInspector?
            let summary = try read(path) { linkType, configuration, _ in
                sharded = ShardedCaptureInspector(linkType: linkType, configuration: configuration, workers: threads, rendering: rendering, emit: emit)
                return sharded
            } eventCount: {
                sharded?.eventCount ?? 0
            }
            return summary
        }
        let render: (InspectorEvent) -> RenderedEvent?
        switch rendering.kind {
        case .events:
            render = { event in RenderedEvent(bytes: [], event: event, isMessage: event.isMessage) }
        case .bytes(let makeRenderer):
            let renderer = makeRenderer()
            var output: [UInt8] = []
            render = { event in
                output.removeAll(keepingCapacity: true)
                renderer(event, &output)
                return output.isEmpty ? nil : RenderedEvent(bytes: output[...], event: nil, isMessage: event.isMessage)
            }
        }
        return try read(path) { linkType, configuration, count in
            CaptureInspector(linkType: linkType, configuration: configuration) { event in
                count()
                if let rendered = render(event) { emit(rendered) }
            }
        }
    }

    /// The read itself, with the inspector `makeInspector` builds once the link type is known
    /// (`count` counts an event for the summary, for inspectors that report events one by one).
    private func read(
        _ path: String,
        makeInspector: (_ linkType: LinkType, _ configuration: InspectorConfiguration, _ count: @escaping () -> Void) -> (any PacketInspecting)?,
        eventCount: () -> Int = { 0 }
    ) throws(Failure) -> CaptureReadSummary {
        let source: PacketSource
        do {
            source = try PacketSource.openFile(path)
        } catch {
            throw Failure(description: error.description)
        }
        if let filter {
            do {
                try source.setFilter(filter)
            } catch {
                throw Failure(description: error.description)
            }
        }
        // Secrets the file carries (pcapng Decryption Secrets Blocks) are used without any flag:
        // libpcap skips those blocks, so they are looked for before it reads the packets.
        var configuration = self.configuration
        var secretsWarnings: [CaptureWarning] = []
        var secretsNote: String?
        if path != "-", let adding = configuration.streamLayers.addingEmbeddedSecrets {
            let secrets = PcapngSecretsScanner.scan(path: path, maxSecretsBytes: maxEmbeddedSecretsBytes)
            secretsWarnings += secrets.warnings.map(CaptureWarning.embeddedSecrets)
            if secrets.tlsBlockCount > 0 {
                let (factory, warnings) = adding(secrets.tlsKeyLog)
                configuration.streamLayers = factory
                secretsWarnings += warnings.map(CaptureWarning.embeddedSecrets)
                secretsNote = "using the TLS secrets embedded in '\(path)' (\(secrets.tlsBlockCount) Decryption Secrets Block\(secrets.tlsBlockCount == 1 ? "" : "s"))"
            }
        }
        var events = 0
        guard let inspector = makeInspector(source.linkType, configuration, { events += 1 }) else {
            throw Failure(description: "'\(path)': unsupported link type \(source.linkType)")
        }
        let totalBytes = path == "-" ? nil : Self.regularFileSize(path)
        var count = 0
        let onProgress = self.onProgress
        let loop = CaptureLoop(onPacket: { _ in
            count += 1
            if let onProgress, let totalBytes, count & 0xff == 0, let offset = source.fileOffset { onProgress(offset, totalBytes) }
        })
        let ending = loop.run(source, into: inspector)
        inspector.finish()
        var summary = CaptureReadSummary(statistics: inspector.statistics, snapshotLength: source.snapshotLength, events: events + eventCount())
        summary.secretsWarnings = secretsWarnings
        summary.secretsNote = secretsNote
        switch ending {
        case .endOfCapture, .stopped:
            break
        case .failed(.truncatedFile(let message)):
            summary.endingWarnings.append(.truncatedFile(path: path, message: message))
        case .failed(let error):
            if inspector.statistics.packets == 0 { throw Failure(description: error.description) }
            summary.endingWarnings.append(.stoppedReading(path: path, packets: inspector.statistics.packets, reason: error.description))
        }
        return summary
    }

    /// The size of a regular file, nil for anything else (a FIFO, a device, a missing path).
    static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
