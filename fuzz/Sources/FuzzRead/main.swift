#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import Inspector
import PacketCapture

/// A file per fuzzing process in shared memory: `PacketSource` reads files, as `wstap read` does.
let path = "/dev/shm/wstap-fuzz-read-\(getpid()).pcap"

/// The whole `read` path: libpcap's file reader, decoding, reassembly and WebSocket analysis.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let file = fopen(path, "wb") else { return 0 }
    fwrite(data, 1, size, file)
    fclose(file)
    defer { unlink(path) }
    guard let source = try? PacketSource.openFile(path) else { return 0 }
    var configuration = InspectorConfiguration()
    configuration.inspection.maxMessageBytes = 1 << 16
    configuration.inspection.maxInflatedBytes = 1 << 20
    guard let inspector = CaptureInspector(linkType: source.linkType, configuration: configuration, emit: { _ in }) else { return 0 }
    while let packet = try? source.nextPacket() {
        inspector.process(packet)
    }
    inspector.finish()
    return 0
}

/// The program's entry point (see `runFuzzer`).
@_cdecl("FuzzRead_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
