import Foundation
import Testing
import WebSocketInspection

/// docs/anomalies.md is the user's list of anomaly kinds: it must name exactly `AnomalyKind.all`.
@Suite struct AnomalyKindDocumentationTests {
    static let page = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/anomalies.md")

    /// The backquoted names in the first column of the table of kinds.
    static func documentedKinds() throws -> [String] {
        let text = try String(contentsOf: page, encoding: .utf8)
        var kinds: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let firstColumn = line.dropFirst(2).prefix { $0 != "|" }
            let pieces = firstColumn.split(separator: "`", omittingEmptySubsequences: false)
            // Odd pieces are inside backquotes.
            kinds += pieces.enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        return kinds
    }

    @Test func theDocumentationListsEveryKindOnce() throws {
        let documented = try Self.documentedKinds()
        #expect(documented.count == Set(documented).count, "listed twice: \(documented)")
        #expect(Set(documented) == Set(AnomalyKind.all.map(\.name)),
                "missing: \(Set(AnomalyKind.all.map(\.name)).subtracting(documented)), unknown: \(Set(documented).subtracting(AnomalyKind.all.map(\.name)))")
        #expect(AnomalyKind.all.count == Set(AnomalyKind.all).count)
    }
}
