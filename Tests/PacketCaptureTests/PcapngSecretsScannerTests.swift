import Foundation
import PacketCapture
import Testing

/// Decryption Secrets Blocks: the real one editcap wrote (scripts/capture/inject_secrets.sh), and
/// hand-made variants of it for what a hostile or damaged file may hold.
struct PcapngSecretsScannerTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("captures/tls")
    static let capture = folder.appendingPathComponent("tls13-aes256gcm.dsb.pcapng")
    static let keyLog = folder.appendingPathComponent("tls13-aes256gcm.keylog")

    static func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: capture)) }

    static func littleEndian32(_ value: UInt32) -> [UInt8] { CaptureFileBuilder.littleEndian32(value) }

    /// A Decryption Secrets Block as the pcapng specification lays it out (little-endian).
    static func secretsBlock(type: UInt32 = 0x544C_534B, secrets: [UInt8], claimedLength: UInt32? = nil) -> [UInt8] {
        let padded = secrets + [UInt8](repeating: 0, count: (4 - secrets.count % 4) % 4)
        let length = UInt32(20 + padded.count)
        return littleEndian32(0x0A) + littleEndian32(length) + littleEndian32(type)
            + littleEndian32(claimedLength ?? UInt32(secrets.count)) + padded + littleEndian32(length)
    }

    /// The section header of the real file (its first block), then `blocks`, then the rest of it.
    static func withBlocks(_ blocks: [UInt8]) throws -> [UInt8] {
        let file = try bytes()
        let headerLength = Int(file[4]) | Int(file[5]) << 8
        return Array(file[..<headerLength]) + blocks + Array(file[headerLength...])
    }

    @Test func findsTheKeyLogEditcapEmbedded() throws {
        let secrets = PcapngSecretsScanner.scan(path: Self.capture.path)
        #expect(secrets.tlsBlockCount == 1)
        #expect(secrets.warnings.isEmpty, "\(secrets.warnings)")
        let keyLog = [UInt8](try Data(contentsOf: Self.keyLog))
        #expect(secrets.tlsKeyLog == keyLog)
    }

    @Test func aPcapFileHasNoSecrets() {
        let secrets = PcapngSecretsScanner.scan(path: Self.folder.appendingPathComponent("tls13-aes256gcm.pcap").path)
        #expect(secrets == PcapngDecryptionSecrets())
    }

    @Test func secretsLongerThanTheirBlockAreAWarning() throws {
        let path = try CaptureFileBuilder.write(try Self.withBlocks(Self.secretsBlock(secrets: Array("CLIENT_RANDOM x y\n".utf8), claimedLength: 4096)), name: "long.pcapng")
        let secrets = PcapngSecretsScanner.scan(path: path)
        #expect(secrets.warnings.count == 1 && secrets.warnings[0].contains("claims 4096 secrets bytes"), "\(secrets.warnings)")
        // The real block after it is still found.
        #expect(secrets.tlsBlockCount == 1)
    }

    @Test func otherSecretsTypesAreNamed() throws {
        let path = try CaptureFileBuilder.write(try Self.withBlocks(Self.secretsBlock(type: 0x5747_4B4C, secrets: [1, 2, 3])), name: "wireguard.pcapng")
        let secrets = PcapngSecretsScanner.scan(path: path)
        #expect(secrets.warnings == ["pcapng: Decryption Secrets Blocks of type 0x57474b4c are not used (only TLS key logs, 0x544c534b, are)"])
        #expect(secrets.tlsBlockCount == 1)
    }

    @Test func anImpossibleBlockLengthStopsTheSearchWithAWarning() throws {
        let bad = Self.littleEndian32(0x0A) + Self.littleEndian32(13) + [UInt8](repeating: 0, count: 16)
        let path = try CaptureFileBuilder.write(try Self.withBlocks(bad), name: "bad-length.pcapng")
        let secrets = PcapngSecretsScanner.scan(path: path)
        #expect(secrets.warnings.count == 1 && secrets.warnings[0].contains("impossible length (13)"), "\(secrets.warnings)")
        #expect(secrets.tlsBlockCount == 0 && secrets.tlsKeyLog.isEmpty)
    }

    @Test func aCutBlockIsAWarning() throws {
        let file = try Self.bytes()
        let headerLength = Int(file[4]) | Int(file[5]) << 8
        // The section header and the first 100 bytes of the secrets block.
        let path = try CaptureFileBuilder.write(Array(file[..<(headerLength + 100)]), name: "cut.pcapng")
        let secrets = PcapngSecretsScanner.scan(path: path)
        #expect(secrets.warnings.count == 1 && secrets.warnings[0].contains("cut by the end of the file"), "\(secrets.warnings)")
        #expect(secrets.tlsKeyLog.isEmpty)
    }

    @Test func secretsPastTheCapAreCountedNotKept() throws {
        let secrets = PcapngSecretsScanner.scan(path: Self.capture.path, maxSecretsBytes: 100)
        #expect(secrets.tlsKeyLog.isEmpty && secrets.tlsBlockCount == 0)
        #expect(secrets.warnings.count == 1 && secrets.warnings[0].contains("bytes of TLS secrets past the first"), "\(secrets.warnings)")
    }
}
