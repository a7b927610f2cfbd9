/// One audio file of a whole-release upload, as it arrived: its name and what its tags say.
public struct UploadedAudioFile: Sendable, Equatable {
    /// The client's name for the file: a form part's filename, or the path inside the ZIP
    /// archive ("Disc 1/01 Intro.flac"). Never used as a path on the server.
    public var name: String
    /// TITLE, if the file has one.
    public var title: String?
    /// TRACKNUMBER, if the file has one ("3" or "3/12" read as 3).
    public var trackNumber: Int?
    /// DISCNUMBER, if the file has one.
    public var discNumber: Int?

    public init(name: String, title: String? = nil, trackNumber: Int? = nil, discNumber: Int? = nil) {
        self.name = name
        self.title = title
        self.trackNumber = trackNumber
        self.discNumber = discNumber
    }
}

/// What the upload's JSON description says about one track (all optional but the file).
public struct DescribedTrack: Sendable, Equatable, Codable {
    /// The file's name as uploaded (form filename or path in the archive; a bare file name
    /// also matches a path in the archive when only one file has it).
    public var file: String
    public var title: String?
    /// Disc of the release, from 1 (default 1).
    public var disc: Int?

    public init(file: String, title: String? = nil, disc: Int? = nil) {
        self.file = file
        self.title = title
        self.disc = disc
    }
}

/// A track's place in the release as planned.
public struct PlannedTrack: Sendable, Equatable {
    /// Index into the uploaded files.
    public var fileIndex: Int
    public var title: String
    /// From 1.
    public var disc: Int
    /// Position on its disc, from 1, without gaps.
    public var number: Int
    /// Where the order came from.
    public var orderSource: ReleaseUploadPlan.Source

    public init(fileIndex: Int, title: String, disc: Int, number: Int, orderSource: ReleaseUploadPlan.Source) {
        self.fileIndex = fileIndex
        self.title = title
        self.disc = disc
        self.number = number
        self.orderSource = orderSource
    }
}

/// Why the tracks of an upload cannot be put in order, in words an artist understands.
public enum ReleaseUploadPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    case noAudio
    case tooManyTracks(count: Int, limit: Int)
    /// Two uploaded files have the same name.
    case duplicateFile(String)
    /// The description names a file that was not uploaded (or matches several).
    case describedFileMissing(String)
    case describedFileAmbiguous(String)
    /// The description names the same file twice.
    case describedTwice(String)
    /// An uploaded audio file the description leaves out.
    case fileNotDescribed(String)
    case invalidDisc(file: String, disc: Int)
    /// Nothing tells the order: no description, incomplete or clashing tags, no numbers in names.
    case orderUnknown(detail: String)

    public var description: String {
        switch self {
        case .noAudio: "the upload has no audio files"
        case .tooManyTracks(let count, let limit): "the upload has \(count) audio files; a release holds at most \(limit)"
        case .duplicateFile(let name): "two uploaded files are named '\(name)'"
        case .describedFileMissing(let name): "the description names '\(name)', which is not among the uploaded files"
        case .describedFileAmbiguous(let name): "the description names '\(name)', which matches several uploaded files; give its path"
        case .describedTwice(let name): "the description names '\(name)' twice"
        case .fileNotDescribed(let name): "'\(name)' was uploaded but the description's track list leaves it out"
        case .invalidDisc(let file, let disc): "'\(file)': disc \(disc) is not a disc number (1 to 99)"
        case .orderUnknown(let detail): "the track order cannot be told: \(detail). Give a description with a track list, tag the files with TRACKNUMBER, or start their names with track numbers"
        }
    }
}

/// Puts the audio files of a whole-release upload in order and titles them.
///
/// The order comes from the first of these that is complete:
/// 1. the description's track list (every uploaded audio file named once, in order);
/// 2. the files' TRACKNUMBER tags (and DISCNUMBER, default 1), when every file has one and
///    no two share a disc and number;
/// 3. leading numbers in the file names ("01 Intro.flac", "2. Song.wav", "03_end.mp3"),
///    when every name has one and no two share it;
/// 4. a single file is a single.
/// Titles come from the description, else the TITLE tag, else the file name without its
/// number, separators and extension. Tracks are numbered from 1 on each disc, in order.
public enum ReleaseUploadPlan {
    public enum Source: String, Sendable, Equatable {
        case description, tags, fileNames, single
    }

    /// Most tracks one release may hold.
    public static let maximumTracks = 99

    public static func plan(files: [UploadedAudioFile], described: [DescribedTrack]?) throws(ReleaseUploadPlanError) -> [PlannedTrack] {
        guard !files.isEmpty else { throw .noAudio }
        guard files.count <= maximumTracks else { throw .tooManyTracks(count: files.count, limit: maximumTracks) }
        var names: Set<String> = []
        for file in files where !names.insert(file.name).inserted { throw .duplicateFile(file.name) }

        if let described, !described.isEmpty {
            return try fromDescription(files: files, described: described)
        }
        let ordered: [(index: Int, disc: Int)]
        let source: Source
        if let byTags = try byTags(files) {
            (ordered, source) = (byTags, .tags)
        } else if let byNames = byFileNames(files) {
            (ordered, source) = (byNames.map { ($0, 1) }, .fileNames)
        } else if files.count == 1 {
            (ordered, source) = ([(0, 1)], .single)
        } else {
            throw .orderUnknown(detail: unknownOrderDetail(files))
        }
        return numbered(ordered.map { (index: $0.index, disc: $0.disc, title: title(of: files[$0.index], described: nil)) }, source: source)
    }

    // MARK: The three sources

    private static func fromDescription(files: [UploadedAudioFile], described: [DescribedTrack]) throws(ReleaseUploadPlanError) -> [PlannedTrack] {
        var used: Set<Int> = []
        var ordered: [(index: Int, disc: Int, title: String)] = []
        for entry in described {
            let index = try match(entry.file, in: files)
            guard used.insert(index).inserted else { throw .describedTwice(entry.file) }
            let disc = entry.disc ?? 1
            guard (1...99).contains(disc) else { throw .invalidDisc(file: entry.file, disc: disc) }
            ordered.append((index, disc, title(of: files[index], described: entry.title)))
        }
        if let left = files.indices.first(where: { !used.contains($0) }) { throw .fileNotDescribed(files[left].name) }
        // Discs in ascending order; the description's order within each disc.
        let stable = ordered.enumerated().sorted { ($0.element.disc, $0.offset) < ($1.element.disc, $1.offset) }.map(\.element)
        return numbered(stable, source: .description)
    }

    /// The uploaded file a description names: the exact name, else the one file whose last
    /// path component is that name.
    private static func match(_ name: String, in files: [UploadedAudioFile]) throws(ReleaseUploadPlanError) -> Int {
        if let exact = files.firstIndex(where: { $0.name == name }) { return exact }
        let candidates = files.indices.filter { baseName(files[$0].name) == name }
        guard let first = candidates.first else { throw .describedFileMissing(name) }
        guard candidates.count == 1 else { throw .describedFileAmbiguous(name) }
        return first
    }

    /// Every file tagged with a track number, no clash: ordered by disc then number.
    private static func byTags(_ files: [UploadedAudioFile]) throws(ReleaseUploadPlanError) -> [(index: Int, disc: Int)]? {
        guard files.count > 1, files.allSatisfy({ ($0.trackNumber ?? 0) > 0 }) else { return nil }
        var seen: Set<[Int]> = []
        for file in files {
            let disc = file.discNumber ?? 1
            guard (1...99).contains(disc) else { throw .invalidDisc(file: file.name, disc: disc) }
            guard seen.insert([disc, file.trackNumber ?? 0]).inserted else { return nil }
        }
        return files.indices
            .sorted { (files[$0].discNumber ?? 1, files[$0].trackNumber ?? 0, $0) < (files[$1].discNumber ?? 1, files[$1].trackNumber ?? 0, $1) }
            .map { ($0, files[$0].discNumber ?? 1) }
    }

    /// Every file name (its last path component) starts with a number, no two the same.
    private static func byFileNames(_ files: [UploadedAudioFile]) -> [Int]? {
        guard files.count > 1 else { return nil }
        let numbers = files.map { leadingNumber(baseName($0.name))?.value }
        guard numbers.allSatisfy({ $0 != nil }), Set(numbers).count == numbers.count else { return nil }
        return files.indices.sorted { (numbers[$0] ?? 0, $0) < (numbers[$1] ?? 0, $1) }
    }

    private static func unknownOrderDetail(_ files: [UploadedAudioFile]) -> String {
        let tagged = files.filter { ($0.trackNumber ?? 0) > 0 }.count
        if tagged == files.count { return "two files have the same TRACKNUMBER and DISCNUMBER" }
        if tagged > 0 { return "\(tagged) of \(files.count) files have a TRACKNUMBER tag" }
        return "the files have no TRACKNUMBER tags and their names do not all start with different numbers"
    }

    // MARK: Titles and numbers

    private static func numbered(_ ordered: [(index: Int, disc: Int, title: String)], source: Source) -> [PlannedTrack] {
        var counts: [Int: Int] = [:]
        return ordered.map { item in
            let number = (counts[item.disc] ?? 0) + 1
            counts[item.disc] = number
            return PlannedTrack(fileIndex: item.index, title: item.title, disc: item.disc, number: number, orderSource: source)
        }
    }

    /// The description's title, else the TITLE tag, else one made from the file name.
    static func title(of file: UploadedAudioFile, described: String?) -> String {
        for candidate in [described, file.title] {
            if let text = candidate.map(trimmed), !text.isEmpty { return text }
        }
        return titleFromFileName(file.name)
    }

    /// "03 - The Long Road.flac" → "The Long Road"; "04_night_drive.wav" → "night drive";
    /// a name that is only a number keeps it ("07.wav" → "07").
    public static func titleFromFileName(_ name: String) -> String {
        var base = Substring(baseName(name))
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = base[..<dot] }
        let spaced = base.replacing("_", with: " ")
        if let number = leadingNumber(spaced) {
            let rest = trimmed(String(spaced.dropFirst(number.digits).drop { " -.–—)".contains($0) }))
            if !rest.isEmpty { return rest }
        }
        let text = trimmed(String(spaced))
        return text.isEmpty ? trimmed(name) : text
    }

    /// The digits a name starts with (at most 3), if a separator or the end follows them.
    static func leadingNumber(_ name: some StringProtocol) -> (value: Int, digits: Int)? {
        let text = String(name)
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard (1...3).contains(digits.count), let value = Int(digits) else { return nil }
        guard let next = text.dropFirst(digits.count).first else { return (value, digits.count) }
        return " -._–—)".contains(next) ? (value, digits.count) : nil
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// A TRACKNUMBER or DISCNUMBER tag's number: "3", "03", "3/12" → 3; nil otherwise.
    public static func tagNumber(_ value: String?) -> Int? {
        guard let value else { return nil }
        let digits = value.drop(while: \.isWhitespace).prefix { $0.isASCII && $0.isNumber }
        guard (1...4).contains(digits.count), let number = Int(digits), number > 0 else { return nil }
        return number
    }
}
