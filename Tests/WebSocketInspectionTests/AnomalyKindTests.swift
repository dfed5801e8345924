import Foundation
import Testing
import WebSocketInspection

/// `AnomalyKind.all` is the one list of anomaly names: the docs' table must name exactly those.
struct AnomalyKindTests {
    static let documentation = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/anomalies.md")

    @Test func namesAreUniqueAndSnakeCase() {
        let names = AnomalyKind.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) } })
        for kind in AnomalyKind.all { #expect(AnomalyKind(name: kind.name) == kind) }
        #expect(AnomalyKind(name: "no_such_kind") == nil)
    }

    @Test func theDocumentationTableListsExactlyTheKinds() throws {
        let text = try String(contentsOf: Self.documentation, encoding: .utf8)
        // The first column of the table's rows: `kind`, `kind`, ….
        var documented: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let firstCell = line.dropFirst(2).prefix { $0 != "|" }
            for part in firstCell.split(separator: "`") where !part.contains(",") && !part.trimmingCharacters(in: .whitespaces).isEmpty {
                documented.append(String(part))
            }
        }
        #expect(documented == AnomalyKind.all.map(\.name))
    }
}
