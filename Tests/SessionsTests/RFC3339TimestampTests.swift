import Foundation
import PacketDecoding
import Sessions
import Testing

/// HAR `startedDateTime` values, read without ICU (which dies with SIGFPE on a long fraction).
@Suite struct RFC3339TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0, 0),
        ("2026-11-25T11:58:06.222Z", 1_795_607_886, 222_000_000),
        ("2026-11-25T12:58:06.222+01:00", 1_795_607_886, 222_000_000),
        ("2026-11-25T06:28:06.5-05:30", 1_795_607_886, 500_000_000),
        ("2000-02-29T23:59:59.123456789Z", 951_868_799, 123_456_789),
        // Digits past the nanosecond are ignored: this is the input that crashed ICU.
        ("2026-11-25T11:58:06.2222222222222222222222222222222222825Z", 1_795_607_886, 222_222_222),
        ("2016-12-31T23:59:60Z", 1_483_228_800, 0),
    ])
    func readsDateTimes(_ text: String, _ seconds: Int64, _ nanoseconds: UInt32) {
        #expect(RFC3339Timestamp.parse(text) == Timestamp(seconds: seconds, nanoseconds: nanoseconds))
    }

    /// The same instant Foundation's formatter reads (checked on values it handles), over a spread of
    /// dates across leap years and century rules.
    @Test func agreesWithFoundationOnOrdinaryValues() throws {
        let formatter = ISO8601DateFormatter()
        var checked = 0
        for year in [1970, 1999, 2000, 2024, 2100, 2400, 9999] {
            for (month, day) in [(1, 1), (2, 28), (2, 29), (3, 1), (12, 31)] {
                let text = String(format: "%04d-%02d-%02dT13:14:15Z", year, month, day)
                let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
                if month == 2 && day == 29 && !leap {
                    // Foundation rolls a 29 February of a common year over to 1 March; it is no date.
                    #expect(RFC3339Timestamp.parse(text) == nil, "\(text)")
                } else {
                    let expected = formatter.date(from: text).map { Int64($0.timeIntervalSince1970) }
                    #expect(expected != nil && RFC3339Timestamp.parse(text)?.seconds == expected, "\(text)")
                }
                checked += 1
            }
        }
        #expect(checked == 35)
    }

    @Test(arguments: [
        "", "2026", "2026-11-25T11:58:06", "2026-11-25T11:58:06.Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-11-25T24:00:00Z", "2026-11-25T11:60:00Z", "2026-11-25T11:58:06+24:00", "2026-11-25T11:58:06Zjunk",
        "1969-12-31T23:59:59Z", "２０２６-11-25T11:58:06Z", String(repeating: "2026-11-25T11:58:06.1", count: 4) + "Z",
        "2026-11-25T11:58:06." + String(repeating: "9", count: 100) + "Z",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil, "\(text)")
    }
}
