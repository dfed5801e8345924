import Inspector
import PacketCapture

/// The whole `read` path as `CaptureReader` runs it: libpcap's reader (pcap and pcapng, from memory
/// rather than a file per input, which cost more than decoding a small capture), `CaptureLoop`,
/// decoding, reassembly and WebSocket analysis.
func fuzzRead(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let source = try? PacketSource.openCapture(bytes: UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    guard let inspector = CaptureInspector(linkType: source.linkType, configuration: smallLimits(), emit: { _ in }) else { return 0 }
    _ = CaptureLoop().run(source, into: inspector)
    inspector.finish()
    return 0
}

/// Small caps, so inputs of a few KB reach the limit paths (and each run stays short): the read
/// path's targets share them.
func smallLimits() -> InspectorConfiguration {
    var configuration = InspectorConfiguration()
    configuration.inspection.maxMessageBytes = 1024
    configuration.inspection.maxInflatedBytes = 1 << 16
    configuration.inspection.maxResynchronizationBytes = 1024
    configuration.inspection.maxPendingBytes = 1024
    configuration.inspection.maxHeadBytes = 1024
    return configuration
}
