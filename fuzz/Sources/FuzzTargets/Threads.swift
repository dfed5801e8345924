#if canImport(Glibc)
import Glibc
#endif
import Inspector
import Output
import PacketCapture

/// Differential: the same hostile capture read on one thread and spread over two and three worker
/// threads (`ShardedCaptureInspector`) must print the same JSON Lines, byte for byte. A difference
/// is a finding: the input is kept as a crash.
///
/// Limits are small, as in FuzzRead, so that a few KB reach the eviction and budget paths, where
/// the order of events across connections is most delicate; `maxConnections` is 3 so connections
/// are pushed out while others are still being decoded on another worker.
func fuzzThreads(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var configuration = smallLimits()
    configuration.inspection.maxAnomaliesPerKind = 4
    configuration.reassembly.maxConnections = 3
    configuration.reassembly.maxBufferedBytesTotal = 4096
    guard let single = jsonLines(bytes, configuration: configuration, workers: 1) else { return 0 }
    for workers in [2, 3] {
        guard let sharded = jsonLines(bytes, configuration: configuration, workers: workers) else { abort() }
        if sharded != single {
            let line = Array(zip(single.split(separator: 0x0a), sharded.split(separator: 0x0a))).firstIndex { $0.0 != $0.1 }
            let message = "FuzzThreads: \(workers) workers print \(sharded.count) bytes, one thread \(single.count); first different line: \(line.map { $0 + 1 } ?? -1)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            abort()
        }
    }
    return 0
}

/// What `read --format jsonl` prints for the capture, with `workers` decoding threads (1: the
/// single-threaded `CaptureInspector`); nil when libpcap does not take the bytes.
private func jsonLines(_ bytes: UnsafeRawBufferPointer, configuration: InspectorConfiguration, workers: Int) -> [UInt8]? {
    guard let source = try? PacketSource.openCapture(bytes: bytes) else { return nil }
    var output: [UInt8] = []
    let inspector: any PacketInspecting
    if workers == 1 {
        var formatter = JSONLinesFormatter()
        guard let single = CaptureInspector(linkType: source.linkType, configuration: configuration, emit: { formatter.format($0, into: &output) }) else { return nil }
        inspector = single
    } else {
        let rendering = EventRendering.bytes {
            var formatter = JSONLinesFormatter()
            return { event, buffer in formatter.format(event, into: &buffer) }
        }
        guard let sharded = ShardedCaptureInspector(
            linkType: source.linkType, configuration: configuration, workers: workers, rendering: rendering,
            emit: { output.append(contentsOf: $0.bytes) })
        else { return nil }
        inspector = sharded
    }
    _ = CaptureLoop().run(source, into: inspector)
    inspector.finish()
    return output
}
