// swift-tools-version:6.0
// libFuzzer targets for wstap's parsers of untrusted bytes. A separate package because they hand
// their own `main` to libFuzzer and only link with `-sanitize=fuzzer`; keeping them here keeps
// `swift build` / `swift test` of the main package free of them. Build and run with `fuzz/run.sh`
// or `fuzz/smoke.sh` (see fuzz/README.md); the targets are listed in targets.tsv.
import Foundation
import PackageDescription

/// The main package is the parent directory; a path dependency's identity is its directory name,
/// which differs between worktrees, so it is computed rather than spelled out.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
let libraries = Target.Dependency.product(name: "WSTapLibraries", package: mainPackage)

/// The resolver functions FuzzOptions replaces (NameLookup.swift) must be exported for libpcap to
/// call them; the linker exports only those a sanitizer already intercepts, so the others by name.
let resolverExports = LinkerSetting.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=getnetbyname_r"])

let package = Package(
    name: "wstap-fuzz",
    products: [.executable(name: "FuzzTargets", targets: ["FuzzTargets"])],
    dependencies: [
        .package(path: ".."),
        // The main package's own requirement, so the same checkout: NIOCore for FrameEncoder.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // Every target in one program, picked by the name it runs under (FuzzerDriver.swift).
        .executableTarget(
            name: "FuzzTargets",
            dependencies: ["FuzzConversation", libraries],
            linkerSettings: [resolverExports]
        ),
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
