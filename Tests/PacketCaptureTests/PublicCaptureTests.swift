import Foundation
import PacketCapture
import PacketDecoding
import Testing

/// Real captures from public projects (see `SOURCES.md` there), shared by the team outside the repository.
struct PublicCaptureTests {
    /// `../shared/captures/public` relative to the repository root, found from this file's path so the
    /// test works from any working directory and in any worktree.
    static var publicCaptureDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("shared/captures/public")
    }

    @Test func everyPacketOfEveryPublicCaptureDecodes() throws {
        let directory = Self.publicCaptureDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let captures = names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".cap") }.sorted()
        guard !captures.isEmpty else {
            print("note: no public captures at \(directory.path); skipping")
            return
        }
        for name in captures {
            let path = directory.appendingPathComponent(name).path
            let source = try PacketSource.openFile(path)
            let result = readAll(source)
            #expect(PacketDecoder(linkType: source.linkType) != nil, "\(name): unsupported link type \(source.linkType)")
            #expect(result.error == nil, "\(name): \(String(describing: result.error))")
            var tcpCount = 0
            for (index, outcome) in result.outcomes.enumerated() {
                switch outcome {
                case .tcp: tcpCount += 1
                case .notTCP: continue
                case .fragment, .malformed: Issue.record("\(name) packet \(index + 1): \(outcome)")
                }
            }
            #expect(tcpCount > 0, "\(name): no TCP segment")
        }
    }
}
