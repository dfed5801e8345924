import CompressNIO
import NIOCore

/// Limits of one permessage-deflate inflater.
public struct InflateConfiguration: Sendable, Equatable {
    /// The most bytes one message may inflate to. Default 16 MiB: far above real WebSocket
    /// messages, far below what a decompression bomb (ratio ~1000:1) would otherwise produce.
    public var maxMessageBytes: Int
    /// How far past `maxMessageBytes` inflation goes on, discarding what it produces, to learn the
    /// true size and keep the compression window in step for the messages that follow. Costs CPU,
    /// not memory. Default 1 GiB; a message that inflates to more loses the window.
    public var maxInflatedBytes: Int

    /// The default of `maxMessageBytes`, 16 MiB: also the default message cap of the whole tool
    /// (`InspectionConfiguration.maxMessageBytes`, `replay --max-message-bytes`).
    public static let defaultMaxMessageBytes = 16 << 20
    /// The default of `maxInflatedBytes`, 1 GiB.
    public static let defaultMaxInflatedBytes = 1 << 30

    public init(maxMessageBytes: Int = defaultMaxMessageBytes, maxInflatedBytes: Int = defaultMaxInflatedBytes) {
        self.maxMessageBytes = maxMessageBytes
        self.maxInflatedBytes = maxInflatedBytes
    }
}

/// The result of inflating one message.
public enum InflateOutcome: Sendable, Equatable {
    /// The whole message.
    case inflated([UInt8])
    /// The output cap was hit: `partial` holds the first `maxMessageBytes` bytes. When `exact`,
    /// the whole message was inflated (and discarded past the cap), `producedAtLeast` is its true
    /// size and the window is intact; otherwise inflation stopped at `maxInflatedBytes`.
    case tooLarge(producedAtLeast: Int, partial: [UInt8], exact: Bool)
    /// Corrupt deflate data, or a message that depends on a window this inflater no longer has.
    case failed(String)
}

/// Inflates the messages of one direction of a permessage-deflate connection (RFC 7692).
///
/// One instance per direction: with context takeover each message may refer back into the
/// previous messages of the *same* sender, so the LZ77 window must be kept per direction.
/// A class because it owns a zlib stream, which must not be copied; it is not `Sendable` and is
/// meant to be owned by one connection's analysis.
///
/// Memory: output is produced in 64 KiB steps and stops at `maxMessageBytes`, so a bomb costs at
/// most about the cap, plus zlib's fixed state (~40 KiB).
public final class PerMessageInflater {
    /// Window bits the sender negotiated (8...15). Kept for reporting only: inflation always uses
    /// a 15-bit window, which decodes streams made with any smaller window and survives senders
    /// that exceed what they negotiated.
    public let windowBits: Int
    /// Whether the sender resets its compressor after every message.
    public let noContextTakeover: Bool
    public let configuration: InflateConfiguration

    /// RFC 7692 §7.2.2: the sender strips this empty stored block; the receiver appends it back.
    private static let messageTrailer: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
    /// Output is inflated in steps of this size, which bounds the overshoot past the cap.
    private static let outputStepBytes = 64 << 10
    /// How many times larger than its compressed size a message is assumed to inflate to, for the
    /// first reservation of its output (JSON text typically inflates 3 to 10 times).
    private static let expectedExpansion = 4
    private static let lostContextReason = "no context: an earlier message could not be inflated"

    private var decompressor: ZlibDecompressor?
    private let allocator = ByteBufferAllocator()
    /// Set when a message failed or was cut short under context takeover: the window is then
    /// unknown, and inflating later messages would produce garbage rather than an error.
    private var contextLost = false
    /// Set when a message ended the deflate stream (a block with BFINAL): the next message starts a
    /// new stream, and references into the old window, if any, will fail as corrupt data.
    private var streamEnded = false

    /// - Parameters:
    ///   - windowBits: the sender's negotiated window bits, 8...15 (clamped into that range).
    ///   - noContextTakeover: the sender's `…_no_context_takeover` parameter.
    ///   - configuration: output limits.
    public init(windowBits: Int, noContextTakeover: Bool, configuration: InflateConfiguration = InflateConfiguration()) {
        self.windowBits = min(max(windowBits, 8), 15)
        self.noContextTakeover = noContextTakeover
        self.configuration = configuration
    }

    /// Convenience for the parameters negotiated in a 101 response.
    ///
    /// - Parameter clientToServer: true for the client's messages (the `client_*` parameters).
    public convenience init(
        parameters: PerMessageDeflateParameters,
        clientToServer: Bool,
        configuration: InflateConfiguration = InflateConfiguration()
    ) {
        self.init(
            windowBits: clientToServer ? parameters.clientMaxWindowBits : parameters.serverMaxWindowBits,
            noContextTakeover: clientToServer ? parameters.clientNoContextTakeover : parameters.serverNoContextTakeover,
            configuration: configuration
        )
    }

    /// Inflates the payload of one whole message (all fragments joined, RSV1 set on the first).
    public func inflate(message payload: [UInt8]) -> InflateOutcome {
        if contextLost, !noContextTakeover { return .failed(Self.lostContextReason) }
        // No deflate data can be empty; treat it as an empty message and leave the stream alone,
        // since feeding only the trailer would leave zlib inside a stored-block header.
        if payload.isEmpty { return .inflated([]) }
        if streamEnded { resetStream() }
        guard let decompressor = decompressorCreatingIfNeeded() else {
            return .failed("could not initialise a zlib inflate stream")
        }
        let outcome = run(decompressor, payload: payload)
        if noContextTakeover {
            resetStream()
        } else {
            switch outcome {
            case .inflated, .tooLarge(_, _, exact: true): break
            default: contextLost = true
            }
        }
        return outcome
    }

    /// Forgets the window and any failure, e.g. after a gap in the capture.
    public func reset() {
        contextLost = false
        resetStream()
    }

    // MARK: - Private

    private func decompressorCreatingIfNeeded() -> ZlibDecompressor? {
        if let decompressor { return decompressor }
        decompressor = try? ZlibDecompressor(algorithm: .deflate, windowSize: 15)
        return decompressor
    }

    private func resetStream() {
        streamEnded = false
        guard let decompressor else { return }
        do {
            try decompressor.reset()
        } catch {
            // Start over with a fresh stream on next use rather than reuse a broken one.
            self.decompressor = nil
        }
    }

    private func run(_ decompressor: ZlibDecompressor, payload: [UInt8]) -> InflateOutcome {
        let cap = max(0, configuration.maxMessageBytes)
        var input = allocator.buffer(capacity: payload.count + Self.messageTrailer.count)
        input.writeBytes(payload)
        input.writeBytes(Self.messageTrailer)
        // Never zero capacity: zlib needs somewhere to write to report that output exists.
        var step = allocator.buffer(capacity: cap < Self.outputStepBytes ? cap + 1 : Self.outputStepBytes)
        var output: [UInt8] = []
        // Room for a typical inflated size up front, so that the output is not copied at every
        // doubling: a few times the compressed size, never past the cap. Untouched pages of a
        // large reservation cost no memory.
        output.reserveCapacity(min(cap, max(Self.outputStepBytes, payload.count &* Self.expectedExpansion)))
        var discarded = 0
        while true {
            step.clear()
            let inputFinished: Bool
            do {
                try decompressor.inflate(from: &input, to: &step)
                inputFinished = true
            } catch let error as CompressNIOError where error == .bufferOverflow {
                inputFinished = false
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                inputFinished = true
            } catch let error as CompressNIOError where error == .corruptData {
                return .failed("corrupt deflate data")
            } catch {
                return .failed("inflate failed: \(error)")
            }
            let produced = step.readableBytes
            if discarded > 0 || produced > cap - output.count {
                // Past the cap: keep the first bytes, count the rest, stop at maxInflatedBytes.
                let kept = min(produced, cap - output.count)
                if kept > 0 { append(step.readableBytesView.prefix(kept), to: &output, cap: cap) }
                discarded += produced - kept
                let total = output.count + discarded
                if inputFinished {
                    if input.readableBytes > 0 { streamEnded = true }
                    return .tooLarge(producedAtLeast: total, partial: output, exact: true)
                }
                if total > configuration.maxInflatedBytes {
                    return .tooLarge(producedAtLeast: total, partial: output, exact: false)
                }
                continue
            }
            append(step.readableBytesView, to: &output, cap: cap)
            if inputFinished {
                // Input left over means zlib saw a final block and stopped: what follows (normally
                // just our trailer) is not part of the deflate stream.
                if input.readableBytes > 0 { streamEnded = true }
                return .inflated(output)
            }
        }
    }

    /// Appends without letting `Array`'s doubling allocate past the cap.
    private func append(_ bytes: ByteBufferView, to output: inout [UInt8], cap: Int) {
        let needed = output.count + bytes.count
        if needed > output.capacity {
            output.reserveCapacity(min(cap, max(needed, output.count * 2)))
        }
        output.append(contentsOf: bytes)
    }
}
