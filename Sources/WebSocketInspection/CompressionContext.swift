import WebSocketProtocol

/// The permessage-deflate state of one direction (RFC 7692): the inflater and the policy about its
/// window, apart from frame parsing and message assembly.
///
/// With context takeover the sender keeps its window between messages, so one lost or undecodable
/// message spoils every later one: those are reported (`compression_context_lost`, then
/// `undecodable_compressed_message` each), never inflated against a wrong window. Without a captured
/// handshake the window is unknown from the start: `UnknownHistoryInflater` decodes each message
/// over a window whose bytes are known or not (history before the capture), shows a message only
/// when all its bytes are known, and is fully recovered once 32 KiB of known output follow each
/// other (never wrong bytes; a sender without context takeover never refers back, so all its
/// messages decode).
struct CompressionContext {
    private let inflater: PerMessageInflater
    /// Used instead of `inflater` when the handshake was not captured.
    private var historyInflater: UnknownHistoryInflater?
    private let direction: WebSocketDirection
    /// The sender keeps its compression window between messages.
    private let contextTakeover: Bool
    /// The handshake was not captured: the window is guessed (see the type's comment).
    private let guessesContext: Bool
    /// A compressed message was lost or could not be inflated while `contextTakeover` holds.
    private(set) var contextLost = false

    /// What became of one compressed message.
    struct Outcome {
        var payload: [UInt8]
        var length: UInt64
        var decompressed = false
        /// Cut to `maxMessageBytes` (the true size is `length`, exact when `sizeIsExact`).
        var truncated = false
        var sizeIsExact = true
    }

    init(parameters: PerMessageDeflateParameters, direction: WebSocketDirection, guessesContext: Bool, configuration: InspectionConfiguration) {
        let client = direction == .clientToServer
        self.direction = direction
        self.guessesContext = guessesContext
        contextTakeover = !(client ? parameters.clientNoContextTakeover : parameters.serverNoContextTakeover)
        inflater = PerMessageInflater(
            windowBits: client ? parameters.clientMaxWindowBits : parameters.serverMaxWindowBits,
            noContextTakeover: guessesContext ? false : !contextTakeover,
            configuration: InflateConfiguration(
                maxMessageBytes: configuration.maxMessageBytes, maxInflatedBytes: configuration.maxInflatedBytes))
        if guessesContext { historyInflater = UnknownHistoryInflater(maxMessageBytes: configuration.maxMessageBytes) }
    }

    /// Inflates one compressed message whose wire payload is `payload`. `damage` says why it cannot
    /// be inflated at all (bytes lost, cut short, over the size cap on the wire); `report` hears
    /// the anomalies in the order users see them.
    mutating func decompress(
        _ payload: [UInt8], length: UInt64, damage: String?, _ report: (AnomalyKind, String) -> Void
    ) -> Outcome {
        var outcome = Outcome(payload: payload, length: length)
        if let damage {
            report(.undecodableCompressedMessage, "a compressed message with \(damage) cannot be inflated")
            loseContext(report)
        } else if historyInflater != nil {
            switch historyInflater!.inflate(message: payload) {
            case .inflated(let bytes):
                outcome.payload = bytes
                outcome.length = UInt64(bytes.count)
                outcome.decompressed = true
            case .partlyUnknown(let unknown, let total):
                report(.undecodableCompressedMessage, "\(unknown) of its \(total) inflated bytes copy from before the capture (context takeover); shown compressed")
            case .failed(let reason):
                report(.undecodableCompressedMessage, "cannot be inflated: \(reason)")
            }
        } else if contextLost {
            report(.undecodableCompressedMessage, "the compression context of this direction was lost earlier")
        } else {
            switch inflater.inflate(message: payload) {
            case .inflated(let bytes):
                outcome.payload = bytes
                outcome.length = UInt64(bytes.count)
                outcome.decompressed = true
            case .tooLarge(let produced, let partialOutput, let exact):
                outcome.payload = partialOutput
                outcome.length = UInt64(produced)
                outcome.truncated = true
                outcome.decompressed = true
                outcome.sizeIsExact = exact
                if !exact { loseContext(report) }
            case .failed(let reason):
                report(.undecodableCompressedMessage, reason)
                loseContext(report)
            }
        }
        return outcome
    }

    /// A chain of frames on probation was rejected: whatever it inflated was not the sender's, so
    /// the window starts afresh (a lost context stays lost).
    mutating func resetAfterRejectedChain() {
        inflater.reset()
        historyInflater?.reset()
    }

    /// A compressed message of this direction was lost (or could not be inflated).
    mutating func loseContext(_ report: (AnomalyKind, String) -> Void) {
        if guessesContext {
            inflater.reset()
            historyInflater?.reset()
            return
        }
        guard contextTakeover, !contextLost else { return }
        contextLost = true
        report(.compressionContextLost, "later compressed messages from the \(direction.senderName) cannot be inflated (context takeover)")
    }
}
