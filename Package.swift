// swift-tools-version:6.0
import PackageDescription

// The target graph (docs/architecture.md): capture → packets → TCP streams → (stream layers) →
// WebSocket connections → (message decoders) → events → sessions and output; the conversation
// engine plays one side of a recording. SwiftNIO stays inside `Conversation`: offline decoding
// needs no event loop.
let package = Package(
    name: "wstap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wstap", targets: ["wstap"]),
        // For the fuzz package in fuzz/, which needs the libraries from outside this package.
        .library(
            name: "WSTapLibraries",
            targets: [
                "PacketDecoding", "PacketCapture", "TCPReassembly", "WebSocketProtocol", "WebSocketInspection",
                "Inspector", "Sessions", "Output", "TLSDecryption", "ApplicationProtocols",
            ]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // TLS decryption with a key log: AEAD, HKDF, HMAC and SHA-2 from a maintained library.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
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
        // The I/O-free protocol core shared by the inspector and the conversation engine.
        .target(
            name: "WebSocketProtocol",
            dependencies: [.product(name: "CompressNIO", package: "compress-nio")]
        ),
        .target(name: "MessageDecoding", dependencies: ["WebSocketProtocol"]),
        // The application-protocol decoders behind the MessageDecoder seam (Socket.IO, MQTT, STOMP,
        // GraphQL over WebSocket, JSON-RPC).
        .target(name: "ApplicationProtocols", dependencies: ["MessageDecoding", "WebSocketProtocol"]),
        .target(name: "WebSocketInspection", dependencies: ["PacketDecoding", "TCPReassembly", "WebSocketProtocol", "MessageDecoding"]),
        // TLS record decryption with an NSS key log: the stream layer for wss:// captures.
        .target(
            name: "TLSDecryption",
            dependencies: [
                "PacketDecoding", "TCPReassembly", "WebSocketInspection",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Sessions", dependencies: ["PacketDecoding", "WebSocketProtocol", "WebSocketInspection"]),
        .target(
            name: "Inspector",
            dependencies: [
                "PacketCapture", "PacketDecoding", "TCPReassembly", "WebSocketProtocol", "WebSocketInspection",
                "MessageDecoding", "Sessions",
            ]
        ),
        .target(name: "Output", dependencies: ["PacketDecoding", "WebSocketProtocol", "WebSocketInspection", "MessageDecoding", "Sessions"]),
        .target(
            name: "Conversation",
            dependencies: [
                "PacketDecoding", "WebSocketProtocol", "WebSocketInspection", "Sessions", "Output",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "wstap",
            dependencies: [
                "PacketCapture", "PacketDecoding", "WebSocketProtocol", "WebSocketInspection", "Inspector", "Sessions",
                "Output", "Conversation", "TLSDecryption", "ApplicationProtocols",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets.
        .target(name: "TestSupport", dependencies: ["PacketDecoding", "PacketCapture"], path: "Tests/TestSupport"),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "TestSupport"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "WebSocketProtocolTests", dependencies: ["WebSocketProtocol", "TestSupport"]),
        .testTarget(
            name: "WebSocketInspectionTests",
            dependencies: ["WebSocketInspection", "WebSocketProtocol", "PacketDecoding", "TCPReassembly", "PacketCapture", "TestSupport"]
        ),
        .testTarget(name: "MessageDecodingTests", dependencies: ["MessageDecoding", "WebSocketProtocol"]),
        .testTarget(
            name: "ApplicationProtocolsTests",
            dependencies: [
                "ApplicationProtocols", "MessageDecoding", "WebSocketProtocol", "Inspector", "WebSocketInspection", "Output", "TestSupport",
                // SHA-256 of payloads, to find each message in the peers' truth logs.
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "SessionsTests", dependencies: ["Sessions", "Inspector", "WebSocketInspection", "WebSocketProtocol", "PacketDecoding"]),
        .testTarget(name: "InspectorTests", dependencies: ["Inspector", "WebSocketInspection", "WebSocketProtocol", "MessageDecoding", "TestSupport"]),
        .testTarget(name: "TLSDecryptionTests", dependencies: ["TLSDecryption", "WebSocketInspection", "TCPReassembly", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "OutputTests", dependencies: ["Output", "Sessions", "WebSocketInspection", "WebSocketProtocol", "TCPReassembly", "PacketDecoding", "TestSupport"]),
        .testTarget(name: "ConversationTests", dependencies: ["Conversation", "Sessions", "WebSocketProtocol", "WebSocketInspection", "Inspector"]),
        .testTarget(name: "EndToEndTests", dependencies: ["wstap", "TestSupport", "PacketCapture", "PacketDecoding", "Inspector", "Sessions", "Output", "WebSocketProtocol", "WebSocketInspection"]),
    ],
    swiftLanguageModes: [.v6]
)
