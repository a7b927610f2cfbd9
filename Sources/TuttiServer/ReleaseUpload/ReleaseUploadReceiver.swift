import AudioCore
import FoundationEssentials
import Hummingbird
import MultipartKit
import NIOCore
import NIOPosix
import ZipArchives

#if canImport(Glibc)
import Glibc
#endif

/// Everything a whole-release upload brought, in its own staging folder.
struct ReceivedRelease {
    /// The staging folder; the caller removes it (``ReleaseUploadReceiver/remove(_:)``).
    var folder: String
    /// Audio files in the order they arrived: the client's name and the staged path.
    var audio: [(name: String, path: String)]
    /// The cover picture, if one came.
    var cover: String?
    /// The JSON description, if one came (a form's 'description' part or release.json in the archive).
    var description: [UInt8]?
    /// Files of an archive that are neither audio, a picture nor the description.
    var ignored: [String]
}

/// Receives a whole release in one request, as a multipart form (audio files in 'files'
/// parts, an optional 'cover' part, an optional JSON 'description' part) or as a ZIP archive
/// (the raw body with Content-Type application/zip, or an 'archive' part of a form). The
/// archive may hold release.json (the description) and cover.jpg/png/webp.
///
/// Everything goes into one staging folder under the uploads folder; on any refusal the
/// folder is removed before the error is thrown, so a refused upload leaves nothing behind.
/// Limits: the server's upload limit over the whole body, 20 MB for the cover, 64 KiB for the
/// description, ``maximumFiles`` parts; a ZIP archive is extracted by `SafeZipExtractor`
/// (paths, links, 100 entries, 4 GiB and the compression ratio checked while extracting).
struct ReleaseUploadReceiver {
    let directory: String
    let limit: Int64
    let threadPool: NIOThreadPool

    static let maximumFiles = 100
    static let descriptionLimit = 64 * 1024
    static let coverLimit = 20_000_000

    func receive(_ request: Request) async throws -> ReceivedRelease {
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > limit { throw tooLarge() }
        let folder = "\(directory)/release-\(UUID().uuidString.lowercased())"
        guard mkdir(folder, 0o700) == 0 else { throw UploadFileError.call("mkdir \(folder)", errno) }
        do {
            let contentType = (request.headers[.contentType] ?? "").lowercased()
            var received: ReceivedRelease
            if contentType.hasPrefix("multipart/form-data") {
                guard let boundary = UploadReceiver.boundary(request.headers[.contentType] ?? "") else {
                    throw Problem(.badRequest, title: "Malformed multipart body", detail: "The multipart/form-data Content-Type has no boundary.")
                }
                received = try await receiveForm(request.body, boundary: boundary, folder: folder)
            } else if contentType.hasPrefix("application/zip") || contentType.hasPrefix("application/x-zip-compressed") {
                let archive = try await receiveRaw(request.body, into: folder)
                received = ReceivedRelease(folder: folder, audio: [], cover: nil, description: nil, ignored: [])
                try await unpack(archive, into: &received)
            } else {
                throw Problem(.unsupportedMediaType, title: "Not a release upload",
                              detail: "Send a multipart/form-data form (audio files in 'files' parts, optional 'cover' and 'description') or a ZIP archive as application/zip.")
            }
            guard !received.audio.isEmpty else {
                throw Problem(.unprocessableContent, title: "No audio", detail: "The upload holds no audio file Tutti reads (WAV, FLAC, AIFF, MP3 or Ogg Vorbis).")
            }
            return received
        } catch {
            await Self.remove(folder, threadPool: threadPool)
            throw error
        }
    }

    static func remove(_ folder: String, threadPool: NIOThreadPool) async {
        _ = try? await threadPool.runIfActive { try? FileManager.default.removeItem(atPath: folder) }
    }

    private func tooLarge() -> Problem {
        Problem(.contentTooLarge, title: "Upload too large",
                detail: "Uploads are limited to \(UploadReceiver.describe(bytes: limit)); this one is larger.",
                extensions: ["limitBytes": .int(limit)])
    }

    // MARK: A raw ZIP body

    private func receiveRaw(_ body: RequestBody, into folder: String) async throws -> String {
        let file = try await UploadFile.create(in: folder, threadPool: threadPool)
        for try await chunk in body {
            guard file.received + Int64(chunk.readableBytes) <= limit else { throw tooLarge() }
            try await file.append(chunk)
        }
        try await file.finish()
        return file.path
    }

    // MARK: A multipart form

    private func receiveForm(_ body: RequestBody, boundary: String, folder: String) async throws -> ReceivedRelease {
        let parts = FormParts()
        let parser = MultipartParser(boundary: boundary)
        var headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { name, value in parts.header(name: name, value: value) }
        parser.onBody = { buffer in parts.body(&buffer) }
        parser.onPartComplete = { parts.partComplete() }
        var total: Int64 = 0
        var current: UploadFile?
        var files: [(kind: FormParts.Kind, name: String, file: UploadFile)] = []
        // A form with no part at all is only its closing delimiter, which the parser refuses.
        let emptyForm = Array("--\(boundary)--".utf8)
        var head: [UInt8] = []
        var partless = false
        do {
            for try await chunk in body {
                total += Int64(chunk.readableBytes)
                guard total <= limit else { throw tooLarge() }
                if head.count <= emptyForm.count + 4 { head += chunk.readableBytesView.prefix(emptyForm.count + 5 - head.count) }
                parts.inputSinceProgress += chunk.readableBytes
                guard headerGuard.accepts(chunk) else { throw MultipartHeaderGuard.refusal }
                do {
                    try parser.execute(chunk)
                } catch {
                    if head.starts(with: emptyForm), head.dropFirst(emptyForm.count).allSatisfy({ $0 == 13 || $0 == 10 }) {
                        partless = true
                        continue
                    }
                    throw Problem(.badRequest, title: "Malformed multipart body", detail: "The multipart/form-data body could not be parsed.")
                }
                if let problem = parts.problem { throw problem }
                if parts.inputSinceProgress > 64 * 1024 {
                    throw Problem(.badRequest, title: "Malformed multipart body", detail: "A part's headers are too long or no part was found.")
                }
                // Bytes of file parts, in order; a part that completed closes its file.
                for event in parts.takeEvents() {
                    switch event {
                    case .begin(let kind, let name):
                        guard files.count < Self.maximumFiles else {
                            throw Problem(.unprocessableContent, title: "Too many files", detail: "A release upload holds at most \(Self.maximumFiles) files.")
                        }
                        let file = try await UploadFile.create(in: folder, threadPool: threadPool)
                        files.append((kind, name, file))
                        current = file
                    case .bytes(let buffer):
                        guard let file = current else { continue }
                        if files.last?.kind == .cover, file.received + Int64(buffer.readableBytes) > Int64(Self.coverLimit) {
                            throw Problem(.contentTooLarge, title: "Cover too large", detail: "The cover may be at most 20 MB.",
                                          extensions: ["limitBytes": .int(Int64(Self.coverLimit))])
                        }
                        try await file.append(buffer)
                    case .end:
                        try await current?.finish()
                        current = nil
                    }
                }
            }
        } catch {
            // Its descriptor is still open; the folder goes with the caller's cleanup.
            await current?.discard()
            throw error
        }
        guard current == nil, parts.completedParts > 0 || partless else {
            await current?.discard()
            throw Problem(.badRequest, title: "Malformed multipart body", detail: "The multipart/form-data body ends inside a part.")
        }
        var received = ReceivedRelease(folder: folder, audio: [], cover: nil, description: parts.description, ignored: [])
        var archives: [String] = []
        for (kind, name, file) in files {
            switch kind {
            case .audio: received.audio.append((name, file.path))
            case .cover:
                guard received.cover == nil else { throw Problem(.unprocessableContent, title: "Several covers", detail: "Send at most one 'cover' part.") }
                received.cover = file.path
            case .archive: archives.append(file.path)
            }
        }
        guard archives.count <= 1 else { throw Problem(.unprocessableContent, title: "Several archives", detail: "Send at most one 'archive' part.") }
        if let archive = archives.first {
            guard received.audio.isEmpty else {
                throw Problem(.unprocessableContent, title: "Archive and files", detail: "Send the audio either as 'files' parts or inside one 'archive', not both.")
            }
            try await unpack(archive, into: &received)
        }
        // Every audio part must be audio: a form says what each part is.
        for item in received.audio {
            let path = item.path
            if case .failure(let error) = try await threadPool.runIfActive({ FormatSniffer.sniff(path: path) }) {
                throw Problem(.unsupportedMediaType, title: "Not an audio file Tutti reads",
                              detail: "'\(ReleaseUploadReceiver.printable(item.name))' was refused: \(error). Upload WAV, FLAC, AIFF, MP3 or Ogg Vorbis.")
            }
        }
        return received
    }

    // MARK: Archives

    /// Extracts the archive (then removes it) and sorts its files: audio (recognised by
    /// content), the cover (an image named cover/folder/front, or the only image),
    /// release.json; the rest is listed as ignored.
    private func unpack(_ archive: String, into received: inout ReceivedRelease) async throws {
        let destination = "\(received.folder)/extracted"
        let extracted: ExtractedArchive
        do {
            extracted = try await threadPool.runIfActive { () throws -> ExtractedArchive in
                defer { unlink(archive) }
                return try SafeZipExtractor.extract(archive: archive, to: destination)
            }
        } catch let error as ZipExtractionError {
            if case .io = error { throw error }
            throw Problem(.unprocessableContent, title: "Archive refused", detail: "The archive was refused: \(error).")
        }
        var images: [(name: String, path: String)] = []
        for file in extracted.files {
            let path = "\(destination)/\(file.path)"
            let base = (file.path.split(separator: "/").last.map(String.init) ?? file.path)
            if base.lowercased() == "release.json" {
                guard received.description == nil else { continue }
                guard file.size <= Int64(Self.descriptionLimit) else {
                    throw Problem(.contentTooLarge, title: "Description too long", detail: "release.json may be at most 64 KiB.")
                }
                received.description = try await threadPool.runIfActive { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
                continue
            }
            let isAudio = try await threadPool.runIfActive { if case .success = FormatSniffer.sniff(path: path) { true } else { false } }
            if isAudio {
                received.audio.append((file.path, path))
            } else if Self.looksLikeImage(path) {
                images.append((file.path, path))
            } else {
                received.ignored.append(file.path)
            }
        }
        received.ignored += extracted.skipped
        if received.cover == nil {
            let named = images.first { item in
                let stem = (item.name.split(separator: "/").last ?? "").split(separator: ".").first.map { $0.lowercased() } ?? ""
                return ["cover", "folder", "front"].contains(stem)
            }
            if let chosen = named ?? (images.count == 1 ? images.first : nil) {
                received.cover = chosen.path
                images.removeAll { $0.path == chosen.path }
            }
        }
        received.ignored += images.map(\.name)
    }

    /// A client's name as it can be shown in one line: control characters escaped, long ones cut.
    static func printable(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars {
            text += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// JPEG, PNG or WebP by their first bytes.
    static func looksLikeImage(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 12)
        guard read(descriptor, &bytes, 12) == 12 else { return false }
        return bytes.starts(with: [0xFF, 0xD8, 0xFF]) || bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])
            || (bytes.starts(with: Array("RIFF".utf8)) && Array(bytes[8..<12]) == Array("WEBP".utf8))
    }
}
