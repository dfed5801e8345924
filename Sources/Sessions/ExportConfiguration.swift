/// Limits of `wstap export`.
public struct ExportConfiguration: Sendable {
    /// Bytes of connections waiting for their turn kept in memory (default 16 MiB). Entries are
    /// written in the order the connections opened, so while an early connection stays open the
    /// later ones wait; past this budget what they hold goes to an unlinked temporary file, so a
    /// long-lived connection cannot make an export hold the whole capture in memory.
    public var maxHeldBytes: Int
    /// Directory of that temporary file (nil: `$TMPDIR`, else `/tmp`).
    public var temporaryDirectory: String?

    public static let defaultMaxHeldBytes = 16 << 20

    public init(maxHeldBytes: Int = defaultMaxHeldBytes, temporaryDirectory: String? = nil) {
        self.maxHeldBytes = maxHeldBytes
        self.temporaryDirectory = temporaryDirectory
    }
}

/// Why a streaming export could not go on.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
