// swift-tools-version:6.0
// libFuzzer targets for wstap's parsers of untrusted bytes. A separate package because the targets
// define `LLVMFuzzerTestOneInput` instead of `main` and only link with `-sanitize=fuzzer`; keeping
// them here keeps `swift build` / `swift test` of the main package free of them. Build and run with
// `fuzz/run.sh` or `fuzz/smoke.sh` (see fuzz/README.md); the targets are listed in targets.tsv.
import Foundation
import PackageDescription

/// The main package is the parent directory; a path dependency's identity is its directory name,
/// which differs between worktrees, so it is computed rather than spelled out.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
let libraries = Target.Dependency.product(name: "WSTapLibraries", package: mainPackage)

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency] = [], linkerSettings: [LinkerSetting] = []) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport", libraries] + dependencies, linkerSettings: linkerSettings)
}

/// FuzzOptions replaces the resolver functions libpcap calls (NameLookup.swift); the linker exports
/// only those a sanitizer already intercepts, so the others are exported by name.
let resolverExports = LinkerSetting.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=getnetbyname_r"])

let targets = [
    fuzzTarget("FuzzPacketDecoder"), fuzzTarget("FuzzTCPReassembly"), fuzzTarget("FuzzHTTPHead"), fuzzTarget("FuzzFrames"),
    fuzzTarget("FuzzInflater"), fuzzTarget("FuzzRead"), fuzzTarget("FuzzSessionFile", ["FuzzConversation"]),
    fuzzTarget("FuzzHAR", ["FuzzConversation"]), fuzzTarget("FuzzOptions", ["FuzzConversation"], linkerSettings: [resolverExports]),
]

let package = Package(
    name: "wstap-fuzz",
    products: targets.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        .package(path: ".."),
        // The main package's own requirement, so the same checkout: NIOCore for FrameEncoder.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: targets + [
        .target(name: "FuzzSupport", dependencies: [libraries]),
        // The files of the main package's Conversation target that need no event loop (the option
        // parsers, replay's request and frame encoding, the answer comparison), linked here as
        // symbolic links: Conversation itself links NIOPosix and NIOSSL, whose BoringSSL alone takes
        // longer to build than the whole smoke run may. Plus ReplayPreparation, the harness code that
        // needs their internal FrameEncoder.
        .target(
            name: "FuzzConversation",
            dependencies: [libraries, .product(name: "NIOCore", package: "swift-nio")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
