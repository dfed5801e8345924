import Foundation
import FuzzConversation
import Sessions

/// A session file (`wstap export --format session`, read by `wstap replay`): decoding and its
/// checks, the round trip through the encoder, and what replay prepares from it.
func fuzzSessionFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let file = try? SessionFile.decode(Data(bytes: data, count: size)) else { return 0 }
    // A file wstap accepts, written again, reads back the same (export and replay agree).
    guard let encoded = try? file.encoded() else { fatalError("an accepted session file cannot be encoded again") }
    guard (try? SessionFile.decode(encoded)) == file else { fatalError("an accepted session file changes when written again") }
    ReplayPreparation.exercise(file)
    return 0
}
