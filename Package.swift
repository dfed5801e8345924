// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "wstap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wstap", targets: ["wstap"]),
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
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "PacketCapture"]),
        .testTarget(name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "PacketDecoding"]),
        .testTarget(name: "WebSocketInspectionTests", dependencies: ["WebSocketInspection", "PacketDecoding", "TCPReassembly"]),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "SessionFormats", "WebSocketInspection"]),
        .testTarget(name: "EndToEndTests", dependencies: ["wstap"]),
    ],
    swiftLanguageModes: [.v6]
)
