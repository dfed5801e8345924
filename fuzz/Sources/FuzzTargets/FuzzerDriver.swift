#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer test function: the bytes of one input.
typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

/// Every target, by the name the program is run under (targets.tsv lists the same names).
///
/// All targets are one executable, reached through symbolic links named after them (run.sh and
/// smoke.sh make them): one link of the sanitized libraries instead of one per target, which saves
/// the CI smoke run about half a minute. The name comes from argv[0] rather than an argument
/// because libFuzzer starts the program again with its own arguments (-minimize_crash, -fork).
let fuzzTests: [String: FuzzTest] = [
    "FuzzPacketDecoder": fuzzPacketDecoder,
    "FuzzTCPReassembly": fuzzTCPReassembly,
    "FuzzHTTPHead": fuzzHTTPHead,
    "FuzzFrames": fuzzFrames,
    "FuzzInflater": fuzzInflater,
    "FuzzRead": fuzzRead,
    "FuzzSessionFile": fuzzSessionFile,
    "FuzzHAR": fuzzHAR,
    "FuzzOptions": fuzzOptions,
    "FuzzPeerHandshake": fuzzPeerHandshake,
    "FuzzKeyLog": fuzzKeyLog,
    "FuzzTLSRecords": fuzzTLSRecords,
    "FuzzAppDecoders": fuzzAppDecoders,
    "FuzzThreads": fuzzThreads,
]

/// libFuzzer's entry point for programs that keep their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzTest
) -> CInt

/// The program's entry point. SwiftPM links every executable with `--defsym main=<Module>_main`,
/// so a target built with `-parse-as-library` (no top-level code) defines `<Module>_main` itself
/// and hands over to libFuzzer from there; libFuzzer's own `main` is never used.
@_cdecl("FuzzTargets_main")
public func fuzzTargetsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let path = argv[0].map { String(cString: $0) } ?? ""
    let name = String(path.split(separator: "/").last ?? "")
    guard let test = fuzzTests[name] else {
        let message = "run this program as one of: \(fuzzTests.keys.sorted().joined(separator: ", ")) (a symbolic link to it)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        return 2
    }
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, test)
}

/// libFuzzer's runtime declares this; the driver above passes the chosen target's function
/// instead, so it is only reached if something calls it directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func unusedTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }
