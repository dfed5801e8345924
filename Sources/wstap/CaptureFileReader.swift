import Inspector
import Output
import WebSocketInspection

/// Reads a whole capture file through the front end (`CaptureReader`) with the command's options,
/// and words for people what it reports: warnings, `--stats`, a progress bar on a terminal.
enum CaptureFileReader {
    static func inspect(_ file: String, options: DecodingOptions, emit: @escaping (InspectorEvent) -> Void) throws {
        try inspect(file, options: options) { reader throws(CaptureReader.Failure) in try reader.read(file, emit: emit) }
    }

    /// `inspect` with each event rendered on the thread that decoded it (`--threads`).
    static func inspect(
        _ file: String, options: DecodingOptions, rendering: EventRendering, emit: @escaping (RenderedEvent) -> Void
    ) throws {
        try inspect(file, options: options) { reader throws(CaptureReader.Failure) in try reader.read(file, rendering: rendering, emit: emit) }
    }

    private static func inspect(
        _ file: String, options: DecodingOptions, read: (CaptureReader) throws(CaptureReader.Failure) -> CaptureReadSummary
    ) throws {
        try KeyLogOption.requireSecrets(flag: options.keylog)
        AllocatorTuning.apply()
        var reader = CaptureReader(configuration: options.configuration, filter: options.filter)
        reader.maxEmbeddedSecretsBytes = options.maxKeylogBytes
        reader.threads = options.threadCount
        var meter: ProgressMeter?
        var decided = false
        reader.onProgress = { bytesRead, totalBytes in
            if !decided {
                decided = true
                if ProgressMeter.wanted(fileBytes: totalBytes) { meter = ProgressMeter(totalBytes: totalBytes, label: "reading") }
            }
            meter?.update(bytesRead: bytesRead)
        }
        let summary: CaptureReadSummary
        do {
            summary = try read(reader)
        } catch {
            meter?.finish()
            throw Diagnostics.fail(error.description)
        }
        meter?.finish()
        summary.secretsNote.map(Diagnostics.note)
        summary.secretsWarnings.forEach { Diagnostics.warning($0.description) }
        summary.statisticsWarnings.forEach { Diagnostics.warning($0.description) }
        options.printStatistics(summary.statistics, events: summary.events)
        summary.endingWarnings.forEach { Diagnostics.warning($0.description) }
    }
}
