#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The TLS key log text embedded in a pcapng file's Decryption Secrets Blocks
/// (`editcap --inject-secrets tls,keys.txt`), and what was wrong with the blocks.
public struct PcapngDecryptionSecrets: Sendable, Equatable {
    /// The NSS key log lines of every TLS secrets block, concatenated in file order.
    public var tlsKeyLog: [UInt8] = []
    /// How many Decryption Secrets Blocks of type TLS key log were used.
    public var tlsBlockCount = 0
    /// One line each, for standard error: malformed or cut blocks, unsupported secrets types,
    /// secrets past `maxSecretsBytes`.
    public var warnings: [String] = []

    public init() {}
}

/// Finds the Decryption Secrets Blocks of a pcapng file.
///
/// libpcap reads pcapng but never hands these blocks out, so the file is walked block by block
/// before libpcap reads its packets: only each block's 8-byte header is read, other blocks are
/// skipped by seeking, so the pass costs little even on a large capture. Every length is checked
/// against the block's own length and the bytes kept are capped (`maxSecretsBytes`): a hostile
/// file gets a warning, never unbounded memory. A pcap (not pcapng) file has no such blocks.
public enum PcapngSecretsScanner {
    /// Most secrets bytes kept from one file, over all its blocks. A key log line is under 200
    /// bytes; 64 MiB is the cap on a key log file too (hundreds of thousands of connections).
    public static let defaultMaxSecretsBytes = 64 << 20

    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let decryptionSecretsType: UInt32 = 0x0000_000A
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// Secrets type "TLSK": an NSS key log.
    static let tlsKeyLogSecretsType: UInt32 = 0x544C_534B

    /// Scans `path`; a file that is not pcapng (or cannot be opened: libpcap says why) has none.
    public static func scan(path: String, maxSecretsBytes: Int = defaultMaxSecretsBytes) -> PcapngDecryptionSecrets {
        guard let file = fopen(path, "rb") else { return PcapngDecryptionSecrets() }
        defer { fclose(file) }
        return scan(file, maxSecretsBytes: maxSecretsBytes)
    }

    static func scan(_ file: UnsafeMutablePointer<FILE>, maxSecretsBytes: Int) -> PcapngDecryptionSecrets {
        var result = PcapngDecryptionSecrets()
        var bigEndian = false
        var offset: Int64 = 0
        var blockNumber = 0
        var otherTypes: Set<UInt32> = []
        var droppedBytes = 0
        while true {
            // The end of the file, or a cut block header: libpcap warns about the latter.
            guard let header = read(file, count: 8), header.count == 8 else { break }
            blockNumber += 1
            let rawType = word(header, 0, bigEndian: false)
            if rawType == sectionHeaderType {
                // The byte-order magic that follows decides how this section's numbers read.
                guard let magic = read(file, count: 4), magic.count == 4 else { break }
                if word(magic, 0, bigEndian: false) == byteOrderMagic {
                    bigEndian = false
                } else if word(magic, 0, bigEndian: true) == byteOrderMagic {
                    bigEndian = true
                } else {
                    if blockNumber > 1 { result.warnings.append("pcapng: block \(blockNumber) at byte \(offset) is a section header with a bad byte-order magic; secrets after it are not looked for") }
                    break
                }
                guard skip(file, to: offset + Int64(word(header, 4, bigEndian: bigEndian)), from: offset + 12) else { break }
            } else if blockNumber == 1 {
                break  // Not pcapng (a pcap file, or garbage: libpcap reports that).
            }
            let type = word(header, 0, bigEndian: bigEndian)
            let length = Int(word(header, 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0 else {
                result.warnings.append("pcapng: block \(blockNumber) at byte \(offset) has an impossible length (\(length)); secrets after it are not looked for")
                break
            }
            if type == sectionHeaderType {
                offset += Int64(length)
                continue
            }
            if type == decryptionSecretsType {
                let block = "pcapng Decryption Secrets Block at byte \(offset)"
                guard length >= 20, let fields = read(file, count: 8), fields.count == 8 else {
                    result.warnings.append("\(block) is too short or cut: not used")
                    break
                }
                let secretsType = word(fields, 0, bigEndian: bigEndian)
                let secretsLength = Int(word(fields, 4, bigEndian: bigEndian))
                if secretsLength > length - 20 {
                    result.warnings.append("\(block) claims \(secretsLength) secrets bytes in a block of \(length): not used")
                } else if secretsType != tlsKeyLogSecretsType {
                    otherTypes.insert(secretsType)
                } else if result.tlsKeyLog.count + secretsLength > maxSecretsBytes {
                    droppedBytes += secretsLength
                } else if let secrets = read(file, count: secretsLength) {
                    guard secrets.count == secretsLength else {
                        result.warnings.append("\(block) is cut by the end of the file: not used")
                        break
                    }
                    result.tlsKeyLog += secrets
                    // Blocks need not end with a newline; the next block's first line must not join it.
                    if secrets.last != UInt8(ascii: "\n") { result.tlsKeyLog.append(UInt8(ascii: "\n")) }
                    result.tlsBlockCount += 1
                    guard skip(file, to: offset + Int64(length), from: offset + 16 + Int64(secretsLength)) else { break }
                    offset += Int64(length)
                    continue
                }
                guard skip(file, to: offset + Int64(length), from: offset + 16) else { break }
            } else {
                guard skip(file, to: offset + Int64(length), from: offset + 8) else { break }
            }
            offset += Int64(length)
        }
        if !otherTypes.isEmpty {
            let names = otherTypes.sorted().map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
            result.warnings.append("pcapng: Decryption Secrets Blocks of type \(names) are not used (only TLS key logs, 0x544c534b, are)")
        }
        if droppedBytes > 0 {
            result.warnings.append("pcapng: \(droppedBytes) bytes of TLS secrets past the first \(maxSecretsBytes) were not used")
        }
        return result
    }

    /// Reads up to `count` bytes; nil on a read error, fewer bytes at the end of the file.
    private static func read(_ file: UnsafeMutablePointer<FILE>, count: Int) -> [UInt8]? {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
        if got < count, ferror(file) != 0 { return nil }
        bytes.removeLast(count - got)
        return bytes
    }

    /// Moves from `position` (where the stream is) to `target`; false when the target is behind.
    private static func skip(_ file: UnsafeMutablePointer<FILE>, to target: Int64, from position: Int64) -> Bool {
        guard target >= position else { return false }
        if target == position { return true }
        return fseeko(file, off_t(target - position), SEEK_CUR) == 0
    }

    private static func word(_ bytes: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        return bigEndian ? value.byteSwapped : value
    }
}
