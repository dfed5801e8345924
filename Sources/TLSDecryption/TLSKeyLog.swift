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

    /// Keyed by the 32-byte client random, held as four words: hashing and comparing it costs
    /// a few instructions, not a walk over an array.
    public internal(set) var secrets: [TLSClientRandom: Secrets] = [:]
    public internal(set) var malformedLines: [MalformedLine] = []
    public internal(set) var malformedLineCount = 0
    /// Lines with a known label that were dropped because `maxEntries` client randoms were kept.
    public internal(set) var droppedEntryCount = 0
    /// Lines with a label this reader does not use (e.g. `EXPORTER_SECRET`).
    public internal(set) var ignoredLineCount = 0

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

    let maxEntries: Int
    var lineNumber = 0
    /// A line cut between two `append` calls (at most `maxLineBytes + 1` bytes of it).
    var partialLine: [UInt8] = []

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
    public subscript(clientRandom clientRandom: [UInt8]) -> Secrets? {
        TLSClientRandom(clientRandom).flatMap { secrets[$0] }
    }

    /// Longest line considered: the longest valid line (a 48-byte secret) has under 200
    /// characters; longer lines are malformed and are not buffered past this.
    static let maxLineBytes = 1024
}
