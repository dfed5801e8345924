#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Inspector
import PacketCapture
import SessionFormats
import WebSocketInspection

/// Reads a whole capture file through the inspector: the loop `read`, `sessions` and `export` share,
/// with the same errors and warnings, and a progress bar on a terminal for large files.
enum CaptureFileReader {
    static func inspect(_ file: String, options: InspectionOptions, emit: @escaping (InspectorEvent) -> Void) throws {
        let source: PacketSource
        do {
            source = try PacketSource.openFile(file)
        } catch {
            throw Diagnostics.fail(error.description)
        }
        try options.applyFilter(to: source)
        nonisolated(unsafe) var events = 0
        let counting: (InspectorEvent) -> Void = { event in
            events += 1
            emit(event)
        }
        guard let inspector = CaptureInspector(linkType: source.linkType, configuration: options.configuration, emit: counting) else {
            throw Diagnostics.fail("'\(file)': unsupported link type \(source.linkType)")
        }
        var meter: ProgressMeter?
        if file != "-", let size = fileSize(file), ProgressMeter.wanted(fileBytes: size) {
            meter = ProgressMeter(totalBytes: size, label: "reading")
        }
        var count = 0
        let loop = CaptureLoop(onPacket: { _ in
            count += 1
            if let meter, count & 0xff == 0, let offset = source.fileOffset { meter.update(bytesRead: offset) }
        })
        let ending = loop.run(source, into: inspector)
        meter?.finish()
        inspector.finish()
        options.warnAboutStatistics(inspector.statistics, snapshotLength: source.snapshotLength)
        options.printStatistics(inspector.statistics, events: events)
        switch ending {
        case .endOfCapture, .stopped:
            break
        case .failed(.truncatedFile(let message)):
            Diagnostics.warning("'\(file)' ends in the middle of a packet record (\(message)); everything before it was decoded")
        case .failed(let error):
            if inspector.statistics.packets == 0 { throw Diagnostics.fail(error.description) }
            Diagnostics.warning("stopped reading '\(file)' after \(inspector.statistics.packets) packets: \(error.description)")
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
