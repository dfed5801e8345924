/// Inflates the permessage-deflate messages of one direction whose earlier history was not
/// captured (a mid-stream capture of a sender with context takeover), knowing which output bytes
/// are known.
///
/// With context takeover a message may copy bytes from up to 32 KiB of the sender's earlier
/// output. zlib cannot inflate a message that reaches before what it saw, so every message of such
/// a stream used to be undecodable. This inflater decodes DEFLATE itself (RFC 1951) over a 32 KiB
/// window whose bytes are each known or unknown: literals are known, a copy is known where its
/// source is. A message is shown only when every one of its bytes is known (never a guessed
/// byte); the others are reported with how much of them is known. Every known byte enters the
/// window, so once 32 KiB of known output follow each other the stream is fully recovered.
public struct UnknownHistoryInflater {
    /// DEFLATE's largest distance, and so the window.
    public static let windowSize = 32 << 10

    /// The last `windowSize` output bytes (a ring), and whether each is known.
    private var window = [UInt8](repeating: 0, count: windowSize)
    private var known = [Bool](repeating: false, count: windowSize)
    private var windowPosition = 0
    /// Known bytes at the end of the output, in a row (capped at `windowSize`).
    public private(set) var knownRun = 0
    /// The most bytes one message may inflate to (more fails the message and forgets the window).
    public let maxMessageBytes: Int

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Whether the whole window is known: every later message inflates exactly.
    public var isFullyRecovered: Bool { knownRun >= Self.windowSize }

    /// What became of one message.
    public enum Outcome: Equatable, Sendable {
        /// Every byte known.
        case inflated([UInt8])
        /// `unknown` of `total` output bytes copy from history before the capture.
        case partlyUnknown(unknown: Int, total: Int)
        /// Not a deflate stream, or larger than `maxMessageBytes`: the window is forgotten.
        case failed(String)
    }

    /// Forgets the window (every byte unknown again), as at the start of a capture.
    public mutating func reset() {
        for index in known.indices { known[index] = false }
        knownRun = 0
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Inflates one message's payload (RSV1 set; the trailing `00 00 ff ff` stripped, as on the wire).
    public mutating func inflate(message payload: [UInt8]) -> Outcome {
        var reader = DeflateBitReader(payload + [0x00, 0x00, 0xFF, 0xFF])
        var output: [UInt8] = []
        var unknown = 0
        var failure: String?
        blocks: while !reader.isAtEnd {
            guard let final = reader.bits(1), let type = reader.bits(2) else { break }
            switch type {
            case 0:
                reader.alignToByte()
                guard let header = reader.bytes(4) else { failure = "stored block cut short"; break blocks }
                let length = Int(header[header.startIndex]) | Int(header[header.startIndex + 1]) << 8
                let check = Int(header[header.startIndex + 2]) | Int(header[header.startIndex + 3]) << 8
                guard length == check ^ 0xFFFF else { failure = "stored block length check fails"; break blocks }
                guard let stored = reader.bytes(length) else { failure = "stored block cut short"; break blocks }
                guard output.count + length <= maxMessageBytes else { failure = "more than \(maxMessageBytes) bytes"; break blocks }
                for byte in stored { put(byte, known: true, into: &output) }
            case 1:
                failure = inflateBlock(&reader, .fixedLiteralLength, .fixedDistance, &output, &unknown)
            case 2:
                guard let (literals, distances) = Self.readDynamicCodes(&reader) else { failure = "invalid dynamic Huffman codes"; break blocks }
                failure = inflateBlock(&reader, literals, distances, &output, &unknown)
            default:
                failure = "invalid block type"
            }
            if failure != nil || final == 1 { break }
        }
        if let failure {
            reset()
            return .failed(failure)
        }
        return unknown == 0 ? .inflated(output) : .partlyUnknown(unknown: unknown, total: output.count)
    }

    private mutating func put(_ byte: UInt8, known isKnown: Bool, into output: inout [UInt8]) {
        output.append(isKnown ? byte : 0)
        window[windowPosition] = byte
        known[windowPosition] = isKnown
        windowPosition = (windowPosition + 1) & (Self.windowSize - 1)
        knownRun = isKnown ? min(knownRun + 1, Self.windowSize) : 0
    }

    /// Decodes one compressed block; nil when it ended well, else why it failed.
    private mutating func inflateBlock(
        _ reader: inout DeflateBitReader, _ literals: DeflateHuffmanCode, _ distances: DeflateHuffmanCode,
        _ output: inout [UInt8], _ unknown: inout Int
    ) -> String? {
        while true {
            guard let symbol = literals.decode(&reader) else { return "invalid or cut-short literal/length code" }
            if symbol < 256 {
                guard output.count < maxMessageBytes else { return "more than \(maxMessageBytes) bytes" }
                put(UInt8(symbol), known: true, into: &output)
                continue
            }
            if symbol == 256 { return nil }
            let lengthIndex = symbol - 257
            guard lengthIndex < Self.lengthBase.count, let lengthBits = reader.bits(Self.lengthExtra[lengthIndex]) else {
                return "invalid length code"
            }
            let length = Self.lengthBase[lengthIndex] + lengthBits
            guard let distanceSymbol = distances.decode(&reader), distanceSymbol < Self.distanceBase.count,
                  let distanceBits = reader.bits(Self.distanceExtra[distanceSymbol])
            else { return "invalid distance code" }
            let distance = Self.distanceBase[distanceSymbol] + distanceBits
            guard distance <= Self.windowSize else { return "distance beyond the window" }
            guard output.count + length <= maxMessageBytes else { return "more than \(maxMessageBytes) bytes" }
            for _ in 0..<length {
                let source = (windowPosition - distance) & (Self.windowSize - 1)
                let isKnown = known[source]
                if !isKnown { unknown += 1 }
                put(window[source], known: isKnown, into: &output)
            }
        }
    }

    /// The literal/length and distance codes of a dynamic block (RFC 1951 §3.2.7).
    private static func readDynamicCodes(_ reader: inout DeflateBitReader) -> (DeflateHuffmanCode, DeflateHuffmanCode)? {
        guard let literalCount = reader.bits(5).map({ $0 + 257 }), let distanceCount = reader.bits(5).map({ $0 + 1 }),
              let codeLengthCount = reader.bits(4).map({ $0 + 4 }), literalCount <= 286, distanceCount <= 30
        else { return nil }
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for index in 0..<codeLengthCount {
            guard let length = reader.bits(3) else { return nil }
            codeLengthLengths[codeLengthOrder[index]] = length
        }
        guard let codeLengths = DeflateHuffmanCode(lengths: codeLengthLengths[...]) else { return nil }
        var lengths: [Int] = []
        let total = literalCount + distanceCount
        while lengths.count < total {
            guard let symbol = codeLengths.decode(&reader) else { return nil }
            var repeated = 0, value = 0
            switch symbol {
            case 0...15:
                lengths.append(symbol)
                continue
            case 16:
                guard let previous = lengths.last, let extra = reader.bits(2) else { return nil }
                value = previous
                repeated = 3 + extra
            case 17:
                guard let extra = reader.bits(3) else { return nil }
                repeated = 3 + extra
            default:
                guard let extra = reader.bits(7) else { return nil }
                repeated = 11 + extra
            }
            guard lengths.count + repeated <= total else { return nil }
            lengths += [Int](repeating: value, count: repeated)
        }
        // A block that can never end (no code for end-of-block) is not a stream a sender wrote.
        guard lengths[256] > 0, let literals = DeflateHuffmanCode(lengths: lengths[0..<literalCount]),
              let distances = DeflateHuffmanCode(lengths: lengths[literalCount...])
        else { return nil }
        return (literals, distances)
    }
}
