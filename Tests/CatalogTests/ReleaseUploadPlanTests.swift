import Catalog
import Testing

@Suite("Release upload plan")
struct ReleaseUploadPlanTests {
    typealias File = UploadedAudioFile

    /// (disc, number, title, file name) of each planned track, in order.
    static func summary(_ files: [File], _ described: [DescribedTrack]? = nil) throws -> [String] {
        try ReleaseUploadPlan.plan(files: files, described: described).map {
            "\($0.disc).\($0.number) \($0.title) <\(files[$0.fileIndex].name)>"
        }
    }

    @Test("the description's track list sets order, titles and discs")
    func description() throws {
        let files = [File(name: "b.wav", title: "Tag B", trackNumber: 1), File(name: "x/a.flac", title: "Tag A", trackNumber: 2), File(name: "c.mp3")]
        let described = [DescribedTrack(file: "a.flac", title: "First"), DescribedTrack(file: "c.mp3", disc: 2), DescribedTrack(file: "b.wav")]
        #expect(try Self.summary(files, described) == ["1.1 First <x/a.flac>", "1.2 Tag B <b.wav>", "2.1 c <c.mp3>"])
        #expect(try ReleaseUploadPlan.plan(files: files, described: described).allSatisfy { $0.orderSource == .description })
    }

    @Test("tags order the files by disc and track number when every file has one")
    func tags() throws {
        let files = [
            File(name: "z.flac", title: "Closer", trackNumber: 1, discNumber: 2),
            File(name: "y.flac", title: "Second", trackNumber: 2),
            File(name: "x.flac", trackNumber: 1),
        ]
        #expect(try Self.summary(files) == ["1.1 x <x.flac>", "1.2 Second <y.flac>", "2.1 Closer <z.flac>"])
    }

    @Test("leading numbers in file names order untagged files, and titles lose the number")
    func fileNames() throws {
        let files = [File(name: "album/10 - Coda.wav"), File(name: "album/2. Song Two.wav"), File(name: "album/01_night_drive.wav")]
        #expect(try Self.summary(files) == ["1.1 night drive <album/01_night_drive.wav>", "1.2 Song Two <album/2. Song Two.wav>", "1.3 Coda <album/10 - Coda.wav>"])
    }

    @Test("tags on only some files fall back to file names")
    func partialTags() throws {
        let files = [File(name: "2 b.wav", title: "B", trackNumber: 1), File(name: "1 a.wav")]
        #expect(try Self.summary(files) == ["1.1 a <1 a.wav>", "1.2 B <2 b.wav>"])
    }

    @Test("a lone file is a single, whatever its name")
    func single() throws {
        #expect(try Self.summary([File(name: "demo.wav")]) == ["1.1 demo <demo.wav>"])
        #expect(try ReleaseUploadPlan.plan(files: [File(name: "demo.wav")], described: nil).first?.orderSource == .single)
    }

    @Test(arguments: [
        ([File(name: "a.wav"), File(name: "b.wav")], ReleaseUploadPlanError.orderUnknown(detail: "the files have no TRACKNUMBER tags and their names do not all start with different numbers")),
        ([File(name: "1 a.wav", trackNumber: 3), File(name: "1 b.wav", trackNumber: 3)], .orderUnknown(detail: "two files have the same TRACKNUMBER and DISCNUMBER")),
        ([File(name: "a.wav", trackNumber: 1), File(name: "b.wav")], .orderUnknown(detail: "1 of 2 files have a TRACKNUMBER tag")),
        ([File(name: "a.wav"), File(name: "a.wav")], .duplicateFile("a.wav")),
        ([File(name: "a.wav", trackNumber: 1, discNumber: 100), File(name: "b.wav", trackNumber: 2)], .invalidDisc(file: "a.wav", disc: 100)),
        ([], .noAudio),
    ])
    func refusals(files: [File], error: ReleaseUploadPlanError) {
        #expect(throws: error) { try ReleaseUploadPlan.plan(files: files, described: nil) }
    }

    @Test(arguments: [
        ([DescribedTrack(file: "a.wav")], ReleaseUploadPlanError.fileNotDescribed("d2/b.wav")),
        ([DescribedTrack(file: "a.wav"), DescribedTrack(file: "b.wav"), DescribedTrack(file: "c.wav")], .describedFileMissing("c.wav")),
        ([DescribedTrack(file: "a.wav"), DescribedTrack(file: "d1/a.wav")], .describedTwice("d1/a.wav")),
        ([DescribedTrack(file: "a.wav", disc: 0), DescribedTrack(file: "b.wav")], .invalidDisc(file: "a.wav", disc: 0)),
    ])
    func descriptionRefusals(described: [DescribedTrack], error: ReleaseUploadPlanError) {
        let files = [File(name: "d1/a.wav"), File(name: "d2/b.wav")]
        #expect(throws: error) { try ReleaseUploadPlan.plan(files: files, described: described) }
    }

    @Test("a bare name matching two paths is ambiguous")
    func ambiguous() {
        let files = [File(name: "d1/a.wav"), File(name: "d2/a.wav")]
        #expect(throws: ReleaseUploadPlanError.describedFileAmbiguous("a.wav")) {
            try ReleaseUploadPlan.plan(files: files, described: [DescribedTrack(file: "a.wav"), DescribedTrack(file: "d2/a.wav")])
        }
    }

    @Test("more tracks than a release holds are refused")
    func tooMany() {
        let files = (1...100).map { File(name: "\($0) t.wav") }
        #expect(throws: ReleaseUploadPlanError.tooManyTracks(count: 100, limit: 99)) { try ReleaseUploadPlan.plan(files: files, described: nil) }
    }

    @Test(arguments: [
        ("03 - The Long Road.flac", "The Long Road"), ("04_night_drive.wav", "night drive"), ("07.wav", "07"),
        ("1999 Party.mp3", "1999 Party"), ("Intro.aiff", "Intro"), ("disc/2) Two.ogg", "Two"), (".wav", ".wav"),
    ])
    func titles(name: String, title: String) {
        #expect(ReleaseUploadPlan.titleFromFileName(name) == title)
    }

    @Test(arguments: [("3", 3), ("03", 3), ("3/12", 3), (" 7 ", 7), ("0", nil), ("A1", nil), ("", nil), ("123456", nil)] as [(String, Int?)])
    func tagNumbers(value: String, number: Int?) {
        #expect(ReleaseUploadPlan.tagNumber(value) == number)
    }
}
