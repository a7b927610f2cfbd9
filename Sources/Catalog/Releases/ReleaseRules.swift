import FoundationEssentials

/// The rules a release's fields follow. Lengths count Unicode code points (as JSON Schema's
/// `maxLength` and SQLite's `length()` do), after cleaning.
public enum ReleaseRules {
    public static let titleLength = 200
    public static let descriptionLength = 5_000
    public static let genreLength = 40
    public static let genresPerRelease = 5
    /// Release dates from 1900 to 2199: a wider range is a typing mistake.
    public static let years = 1900...2199
    /// ``releaseDate(_:)`` as a JSON Schema pattern (with `format: date` for the calendar).
    public static let releaseDatePattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
    /// ``upc(_:)`` as a JSON Schema pattern (the check digit is checked on top).
    public static let upcPattern = "^[0-9]{12,13}$"

    public static func title(_ raw: String) throws(CatalogError) -> String {
        try TextRules.line(raw, field: "title", length: 1...titleLength)
    }

    public static func description(_ raw: String) throws(CatalogError) -> String {
        try TextRules.paragraphs(raw, field: "description", maximum: descriptionLength)
    }

    /// A genre, lowercased (so "Jazz" and "jazz" are one genre); 1 to 40 code points.
    public static func genre(_ raw: String) throws(CatalogError) -> String {
        let genre = try TextRules.line(raw, field: "genres", length: 1...genreLength).lowercased()
        // Lowercasing can lengthen a text ("İ" becomes two code points).
        guard genre.unicodeScalars.count <= genreLength else { throw .invalidField(name: "genres", reason: "use 1 to \(genreLength) characters") }
        return genre
    }

    /// Up to five distinct genres, in the order given.
    public static func genres(_ raw: [String]) throws(CatalogError) -> [String] {
        var genres: [String] = []
        for item in raw {
            let genre = try genre(item)
            if !genres.contains(genre) { genres.append(genre) }
        }
        guard genres.count <= genresPerRelease else { throw .invalidField(name: "genres", reason: "give at most \(genresPerRelease) genres") }
        return genres
    }

    /// A calendar day `YYYY-MM-DD` that exists (no 30 February), year 1900 to 2199.
    public static func releaseDate(_ raw: String) throws(CatalogError) -> String {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        guard raw.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { throw .invalidField(name: "releaseDate", reason: "use a day as YYYY-MM-DD, e.g. 2026-03-01") }
        guard years.contains(year) else { throw .invalidField(name: "releaseDate", reason: "use a year from \(years.lowerBound) to \(years.upperBound)") }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...days[month - 1]).contains(day) else {
            throw .invalidField(name: "releaseDate", reason: "\(raw) is not a day of the calendar")
        }
        return raw
    }

    /// A UPC-A (12 digits) or EAN-13 (13 digits) whose last digit is its check digit (GS1:
    /// weights 3 and 1 alternating from the right of the payload). Digits only.
    public static func upc(_ digits: String) throws(CatalogError) -> String {
        guard digits.utf8.count == 12 || digits.utf8.count == 13, digits.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw .invalidField(name: "upc", reason: "a UPC has 12 digits and an EAN 13 (digits only)")
        }
        let values = digits.utf8.map { Int($0) - 48 }
        let payload = values.dropLast()
        var sum = 0
        for (index, digit) in payload.reversed().enumerated() { sum += digit * (index % 2 == 0 ? 3 : 1) }
        guard (10 - sum % 10) % 10 == values.last else {
            throw .invalidField(name: "upc", reason: "the check digit does not match: check the number for a typing mistake")
        }
        return digits
    }
}

/// The rules of a track's own fields.
public enum TrackRules {
    public static let discNumbers = 1...99
    public static let trackNumbers = 1...999
    public static let lyricsLength = 20_000
    public static let creditNameLength = 200
    public static let creditRoleLength = 100
    public static let creditsPerTrack = 50

    /// An ISRC as `CC-XXX-YY-NNNNN`, each dash optional, letters in either case: country
    /// code (2 letters), registrant (3 letters or digits), year (2 digits), designation
    /// (5 digits). Stored without dashes, uppercase.
    public static func isrc(_ raw: String) throws(CatalogError) -> String {
        var bytes = Array(raw.utf8)[...]
        var compact: [UInt8] = []
        let isLetter = { (byte: UInt8) in (65...90).contains(byte) || (97...122).contains(byte) }
        let isDigit = { (byte: UInt8) in (48...57).contains(byte) }
        let groups: [(count: Int, allowed: (UInt8) -> Bool)] = [(2, isLetter), (3, { isLetter($0) || isDigit($0) }), (2, isDigit), (5, isDigit)]
        for (index, group) in groups.enumerated() {
            if index > 0, bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let part = bytes.prefix(group.count)
            guard part.count == group.count, part.allSatisfy(group.allowed) else {
                throw .invalidField(name: "isrc", reason: "use the form CC-XXX-YY-NNNNN, e.g. GB-AAA-26-00001")
            }
            compact += part
            bytes = bytes.dropFirst(group.count)
        }
        guard bytes.isEmpty else { throw .invalidField(name: "isrc", reason: "use the form CC-XXX-YY-NNNNN, e.g. GB-AAA-26-00001") }
        return String(decoding: compact, as: UTF8.self).uppercased()
    }

    /// ``isrc(_:)`` as a JSON Schema pattern.
    public static let isrcPattern = "^[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[0-9]{2}-?[0-9]{5}$"

    /// The stored ISRC shown with its dashes.
    public static func displayISRC(_ stored: String) -> String {
        let characters = Array(stored)
        guard characters.count == 12 else { return stored }
        return "\(String(characters[0..<2]))-\(String(characters[2..<5]))-\(String(characters[5..<7]))-\(String(characters[7...]))"
    }

    public static func lyrics(_ raw: String) throws(CatalogError) -> String {
        try TextRules.paragraphs(raw, field: "lyrics", maximum: lyricsLength)
    }

    public static func creditName(_ raw: String) throws(CatalogError) -> String {
        try TextRules.line(raw, field: "credits.name", length: 1...creditNameLength)
    }

    public static func creditRole(_ raw: String) throws(CatalogError) -> String {
        try TextRules.line(raw, field: "credits.role", length: 1...creditRoleLength)
    }
}

/// The rules of an artist's profile.
public enum ArtistProfileRules {
    public static let displayNameLength = 100
    public static let bioLength = 5_000
    public static let locationLength = 100
    public static let linkLabelLength = 100
    public static let urlLength = 2_000
    public static let linksPerProfile = 10

    public static func bio(_ raw: String) throws(CatalogError) -> String {
        try TextRules.paragraphs(raw, field: "bio", maximum: bioLength)
    }

    public static func location(_ raw: String) throws(CatalogError) -> String {
        try TextRules.line(raw, field: "location", length: 0...locationLength)
    }

    public static func linkLabel(_ raw: String) throws(CatalogError) -> String {
        try TextRules.line(raw, field: "links.label", length: 0...linkLabelLength)
    }

    /// An absolute `https://` URL with a host (no '@' in it), no white space or control
    /// characters anywhere, at most 2,000 code points. Taken as given (not trimmed).
    public static func url(_ url: String) throws(CatalogError) -> String {
        guard url.unicodeScalars.count <= urlLength else { throw .invalidField(name: "links.url", reason: "use at most \(urlLength) characters") }
        guard url.hasPrefix("https://") else { throw .invalidField(name: "links.url", reason: "links must start with https://") }
        let rest = url.dropFirst("https://".count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains("@"), url.unicodeScalars.allSatisfy({ !TextRules.isBlank($0) }) else {
            throw .invalidField(name: "links.url", reason: "give a full https:// address with a host and no spaces")
        }
        return url
    }

    /// ``url(_:)`` as a JSON Schema pattern.
    public static let urlPattern =
        "^https://[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000/?#@]+"
        + "([/?#][^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*)?$"
}

/// Cleaning and bounding free text.
enum TextRules {
    /// White space (Unicode White_Space) or a control character (Cc).
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
    }

    /// One line: control characters dropped, white space trimmed.
    static func line(_ raw: String, field: String, length: ClosedRange<Int>) throws(CatalogError) -> String {
        let text = TextField.clean(raw)
        guard length.contains(text.unicodeScalars.count) else {
            throw .invalidField(name: field, reason: length.lowerBound > 0
                ? "use \(length.lowerBound) to \(length.upperBound) characters" : "use at most \(length.upperBound) characters")
        }
        return text
    }

    /// Paragraphs: line breaks kept (CR LF and CR become LF), other control characters
    /// dropped, white space trimmed at both ends.
    static func paragraphs(_ raw: String, field: String, maximum: Int) throws(CatalogError) -> String {
        let normalized = raw.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        let scalars = normalized.unicodeScalars.filter { $0 == "\n" || $0.properties.generalCategory != .control }
        let trimmed = scalars.drop(while: \.properties.isWhitespace).reversed().drop(while: \.properties.isWhitespace).reversed()
        let text = String(String.UnicodeScalarView(trimmed))
        guard text.unicodeScalars.count <= maximum else { throw .invalidField(name: field, reason: "use at most \(maximum) characters") }
        return text
    }
}
