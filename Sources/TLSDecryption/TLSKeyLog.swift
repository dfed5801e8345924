/// The secrets of an NSS key log (the `SSLKEYLOGFILE` format browsers, curl, Python, Node and
/// OpenSSL write), indexed by client random.
///
/// One line per secret: `LABEL <client random, 64 hex digits> <secret, hex>`. `CLIENT_RANDOM`
/// carries a TLS 1.2 master secret; the four TLS 1.3 traffic secrets carry the handshake and first
/// application secrets of each side. Other labels (early traffic, exporter secrets) are ignored,
/// `#` comments and blank lines are allowed, and a malformed line is counted with its number and
/// skipped: one bad line must not cost the user every other key.
public struct TLSKeyLog: Sendable {
    /// What the key log holds for one client random.
    public struct Secrets: Sendable, Equatable {
        public var masterSecret: [UInt8]?
        public var clientHandshakeTrafficSecret: [UInt8]?
        public var serverHandshakeTrafficSecret: [UInt8]?
        public var clientTrafficSecret0: [UInt8]?
        public var serverTrafficSecret0: [UInt8]?

        public init() {}
    }

    /// A line that could not be used, for the warning that names it.
    public struct MalformedLine: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Most client randoms kept. A browser's key log grows by a few lines per connection; one
    /// hundred thousand connections is far beyond a capture wstap reads, and it bounds memory
    /// (about 250 bytes an entry) for a huge or hostile file. Entries past it are counted.
    public static let defaultMaxEntries = 100_000

    /// Most malformed lines remembered with their numbers (all are counted): enough to show the
    /// user where the file goes wrong without keeping one record per line of a garbage file.
    public static let maxMalformedLinesKept = 10

    public private(set) var secrets: [[UInt8]: Secrets] = [:]
    public private(set) var malformedLines: [MalformedLine] = []
    public private(set) var malformedLineCount = 0
    /// Lines with a known label that were dropped because `maxEntries` client randoms were kept.
    public private(set) var droppedEntryCount = 0
    /// Lines with a label this reader does not use (e.g. `EXPORTER_SECRET`).
    public private(set) var ignoredLineCount = 0

    public var isEmpty: Bool { secrets.isEmpty }

    /// Parses key log text. Never fails: what cannot be used is counted.
    public init(parsing bytes: some Collection<UInt8>, maxEntries: Int = Self.defaultMaxEntries) {
        self.maxEntries = maxEntries
        append(bytes)
        finishParsing()
    }

    /// An empty key log to feed with `append` (a file is parsed as it is read, never held whole).
    init(maxEntries: Int) {
        self.maxEntries = maxEntries
    }

    private let maxEntries: Int
    private var lineNumber = 0
    private var line: [UInt8] = []

    /// Parses the next bytes of the text; a line cut between two calls is completed by the next.
    mutating func append(_ bytes: some Collection<UInt8>) {
        let chunk = Array(bytes)[...]
        var rest = chunk
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            if line.isEmpty {
                parseLine(rest[rest.startIndex..<newline], number: lineNumber)
            } else {
                line += rest[rest.startIndex..<min(newline, rest.startIndex + max(0, Self.maxLineBytes + 1 - line.count))]
                parseLine(line[...], number: lineNumber)
                line.removeAll(keepingCapacity: true)
            }
            rest = rest[(newline + 1)...]
        }
        // Keep at most one byte past the limit: enough to know the line is too long.
        line += rest.prefix(max(0, Self.maxLineBytes + 1 - line.count))
    }

    /// The text ended: parse a last line without a newline.
    mutating func finishParsing() {
        if !line.isEmpty {
            lineNumber += 1
            parseLine(line[...], number: lineNumber)
        }
        line = []
    }

    /// Adds another key log's secrets (e.g. those embedded in the capture): a connection both
    /// know keeps this log's secrets and gains the other's missing ones. The entry cap holds.
    public mutating func merge(_ other: TLSKeyLog) {
        for (random, theirs) in other.secrets {
            guard var entry = secrets[random] else {
                if secrets.count >= maxEntries {
                    droppedEntryCount += 1
                } else {
                    secrets[random] = theirs
                }
                continue
            }
            entry.masterSecret = entry.masterSecret ?? theirs.masterSecret
            entry.clientHandshakeTrafficSecret = entry.clientHandshakeTrafficSecret ?? theirs.clientHandshakeTrafficSecret
            entry.serverHandshakeTrafficSecret = entry.serverHandshakeTrafficSecret ?? theirs.serverHandshakeTrafficSecret
            entry.clientTrafficSecret0 = entry.clientTrafficSecret0 ?? theirs.clientTrafficSecret0
            entry.serverTrafficSecret0 = entry.serverTrafficSecret0 ?? theirs.serverTrafficSecret0
            secrets[random] = entry
        }
    }

    /// The secrets for a connection's client random.
    public subscript(clientRandom clientRandom: [UInt8]) -> Secrets? { secrets[clientRandom] }

    /// Longest line considered: the longest valid line (a 48-byte secret) has under 200
    /// characters; longer lines are malformed and are not buffered past this.
    static let maxLineBytes = 1024

    private static let labels: Set<String> = [
        "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    ]

    private mutating func parseLine(_ raw: ArraySlice<UInt8>, number: Int) {
        var line = raw
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            line = line.dropLast()
        }
        while let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { line = line.dropFirst() }
        if line.isEmpty || line.first == UInt8(ascii: "#") { return }
        if line.count > Self.maxLineBytes { return malformed(number, "longer than \(Self.maxLineBytes) bytes") }
        let fields = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        guard fields.count == 3 else { return malformed(number, "expected 3 fields (label, client random, secret), found \(fields.count)") }
        guard fields[0].allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else { return malformed(number, "the label is not printable text") }
        let label = String(decoding: fields[0], as: UTF8.self)
        guard Self.labels.contains(label) else {
            ignoredLineCount += 1
            return
        }
        guard let random = Self.hex(fields[1]), random.count == 32 else {
            return malformed(number, "the client random is not 64 hex digits")
        }
        guard let secret = Self.hex(fields[2]) else { return malformed(number, "the secret is not hex") }
        let validLengths = label == "CLIENT_RANDOM" ? [48] : [32, 48]
        guard validLengths.contains(secret.count) else {
            return malformed(number, "a \(label) secret has \(validLengths.map { "\($0)" }.joined(separator: " or ")) bytes, not \(secret.count)")
        }
        if secrets[random] == nil, secrets.count >= maxEntries {
            droppedEntryCount += 1
            return
        }
        var entry = secrets[random] ?? Secrets()
        switch label {
        case "CLIENT_RANDOM": entry.masterSecret = secret
        case "CLIENT_HANDSHAKE_TRAFFIC_SECRET": entry.clientHandshakeTrafficSecret = secret
        case "SERVER_HANDSHAKE_TRAFFIC_SECRET": entry.serverHandshakeTrafficSecret = secret
        case "CLIENT_TRAFFIC_SECRET_0": entry.clientTrafficSecret0 = secret
        default: entry.serverTrafficSecret0 = secret
        }
        secrets[random] = entry
    }

    private mutating func malformed(_ number: Int, _ reason: String) {
        malformedLineCount += 1
        if malformedLines.count < Self.maxMalformedLinesKept {
            malformedLines.append(MalformedLine(line: number, reason: reason))
        }
    }

    /// Hex digits to bytes; nil for an odd count or a non-hex character.
    static func hex(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for digit in digits {
            let value: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let pending = high {
                bytes.append(pending << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}
