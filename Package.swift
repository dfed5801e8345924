// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "wstap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wstap", targets: ["wstap"]),
        // For the fuzz package in fuzz/, which needs the libraries from outside this package.
        .library(
            name: "WSTapLibraries",
            targets: ["PacketDecoding", "PacketCapture", "TCPReassembly", "WebSocketInspection", "Inspector"]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .target(name: "PacketDecoding"),
        .target(name: "PacketCapture", dependencies: ["CPcap", "PacketDecoding"]),
        .target(name: "TCPReassembly", dependencies: ["PacketDecoding"]),
        .target(
            name: "WebSocketInspection",
            dependencies: [
                "PacketDecoding",
                "TCPReassembly",
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .target(name: "Inspector", dependencies: ["PacketCapture", "PacketDecoding", "TCPReassembly", "WebSocketInspection"]),
        .target(name: "SessionFormats", dependencies: ["PacketDecoding", "WebSocketInspection"]),
        .target(
            name: "Replay",
            dependencies: [
                "Inspector", "PacketCapture", "SessionFormats", "WebSocketInspection",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .executableTarget(
            name: "wstap",
            dependencies: [
                "Inspector", "SessionFormats", "PacketCapture", "Replay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "PacketCapture", "TestSupport"]),
        .testTarget(name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "WebSocketInspectionTests", dependencies: ["WebSocketInspection", "PacketDecoding", "TCPReassembly", "PacketCapture", "TestSupport"]),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "SessionFormats", "WebSocketInspection"]),
        .testTarget(name: "EndToEndTests", dependencies: ["wstap", "SessionFormats", "WebSocketInspection"]),
    ],
    swiftLanguageModes: [.v6]
)
