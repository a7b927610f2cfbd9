import Catalog
import Testing

/// The rules of releases', tracks' and profiles' fields, case by case.
@Suite("Release, track and profile field rules")
struct ReleaseRulesTests {
    @Test("ISRC: CC-XXX-YY-NNNNN, dashes optional, either case; stored without dashes", arguments: [
        ("GB-AAA-26-00001", "GBAAA2600001"), ("gb-aaa-26-00001", "GBAAA2600001"), ("USS1Z9900001", "USS1Z9900001"),
        ("US-S1Z9900001", "USS1Z9900001"), ("FR-Z03-98-00212", "FRZ039800212"),
    ])
    func isrcAccepted(raw: String, stored: String) throws {
        #expect(try TrackRules.isrc(raw) == stored)
        #expect(TrackRules.displayISRC(stored).count == 15)
    }

    @Test("ISRC: anything else is refused", arguments: [
        "", "G1-AAA-26-00001", "GB-AAA-2A-00001", "GB-AA-26-000001", "GB--AAA-26-00001", "GBAAA260000", "GBAAA26000011",
        "GB-AAA-26-00001-", " GB-AAA-26-00001", "GB_AAA_26_00001", "ÉB-AAA-26-00001", "GB-ÄAA-26-00001",
    ])
    func isrcRefused(raw: String) {
        #expect(throws: CatalogError.self) { try TrackRules.isrc(raw) }
    }

    @Test("UPC-A and EAN-13: the check digit must match", arguments: [
        ("036000291452", true), ("036000291453", false), ("4006381333931", true), ("4006381333932", false),
        ("0000000000000", true), ("123456789012", true), ("123456789013", false), ("03600029145", false),
        ("03600029145x", false), ("0360 0029 1452", false), ("40063813339310", false),
    ])
    func upc(raw: String, valid: Bool) {
        if valid {
            #expect((try? ReleaseRules.upc(raw)) == raw)
        } else {
            #expect(throws: CatalogError.self) { try ReleaseRules.upc(raw) }
        }
    }

    @Test("release dates: a real day, year 1900 to 2199", arguments: [
        ("2024-02-29", true), ("2026-02-29", false), ("2000-02-29", true), ("1900-02-29", false), ("1900-01-01", true),
        ("1899-12-31", false), ("2199-12-31", true), ("2200-01-01", false), ("2026-13-01", false), ("2026-04-31", false),
        ("2026-1-01", false), ("20260101", false), ("2026-01-01T00:00:00Z", false), ("", false), ("２０２６-01-01", false),
    ])
    func releaseDate(raw: String, valid: Bool) {
        if valid {
            #expect((try? ReleaseRules.releaseDate(raw)) == raw)
        } else {
            #expect(throws: CatalogError.self) { try ReleaseRules.releaseDate(raw) }
        }
    }

    @Test("links: https only, with a host, no spaces", arguments: [
        ("https://example.com", true), ("https://example.com/band?x=1#top", true), ("https://bandcamp.com/@me", true),
        ("http://example.com", false), ("HTTPS://example.com", false), ("https://", false), ("https:///path", false),
        ("https://user@example.com", false), ("https://exa mple.com", false), ("javascript:alert(1)", false),
        ("ftp://example.com", false), (" https://example.com", false), ("https://example.com/\u{0}", false),
        ("https://example.com/" + String(repeating: "a", count: 1_981), false), ("https://example.com/" + String(repeating: "a", count: 1_980), true),
    ])
    func links(raw: String, valid: Bool) {
        if valid {
            #expect((try? ArtistProfileRules.url(raw)) == raw)
        } else {
            #expect(throws: CatalogError.self) { try ArtistProfileRules.url(raw) }
        }
    }

    @Test("text lengths count code points: 200 for a title, decomposed accents count twice")
    func titleLength() throws {
        let decomposed = String(repeating: "e\u{301}", count: 100)
        #expect(decomposed.count == 100 && decomposed.unicodeScalars.count == 200)
        #expect(try ReleaseRules.title(decomposed) == decomposed)
        #expect(throws: CatalogError.self) { try ReleaseRules.title(decomposed + "e\u{301}") }
        #expect(throws: CatalogError.self) { try ReleaseRules.title(" \t\n ") }
        #expect(try ReleaseRules.title("  Spaced  ") == "Spaced")
    }

    @Test("paragraphs keep their line breaks; limits hold", arguments: [
        (5_000, true), (5_001, false),
    ])
    func descriptionLength(length: Int, valid: Bool) {
        let text = String(repeating: "a", count: length)
        if valid {
            #expect((try? ReleaseRules.description(text)) == text)
        } else {
            #expect(throws: CatalogError.self) { try ReleaseRules.description(text) }
        }
        #expect((try? ReleaseRules.description("one\r\ntwo\rthree\u{7}")) == "one\ntwo\nthree")
    }

    @Test("genres: lowercased, deduplicated, at most five, each 1 to 40 code points")
    func genres() throws {
        #expect(try ReleaseRules.genres(["Jazz", "jazz", " Folk "]) == ["jazz", "folk"])
        #expect(throws: CatalogError.self) { try ReleaseRules.genres(["a", "b", "c", "d", "e", "f"]) }
        #expect(throws: CatalogError.self) { try ReleaseRules.genres([String(repeating: "x", count: 41)]) }
        // Lowercasing "İ" makes two code points: 40 of them would make 80.
        #expect(throws: CatalogError.self) { try ReleaseRules.genres([String(repeating: "İ", count: 40)]) }
    }
}
