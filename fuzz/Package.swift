// swift-tools-version:6.0
// libFuzzer targets for wstap's parsers of untrusted bytes. A separate package because the targets
// define `LLVMFuzzerTestOneInput` instead of `main` and only link with `-sanitize=fuzzer`; keeping
// them here keeps `swift build` / `swift test` of the main package free of them. Build and run with
// `fuzz/run.sh` (see the README's "Hardening" section).
import Foundation
import PackageDescription

/// The main package is the parent directory; a path dependency's identity is its directory name,
/// which differs between worktrees, so it is computed rather than spelled out.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "WSTapLibraries", package: mainPackage)]
    )
}

let targets = ["FuzzPacketDecoder", "FuzzTCPReassembly", "FuzzHTTPHead", "FuzzFrames", "FuzzInflater", "FuzzRead"]

let package = Package(
    name: "wstap-fuzz",
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(path: "..")],
    targets: targets.map(fuzzTarget) + [
        .target(name: "FuzzSupport", dependencies: [.product(name: "WSTapLibraries", package: mainPackage)]),
    ],
    swiftLanguageModes: [.v6]
)
