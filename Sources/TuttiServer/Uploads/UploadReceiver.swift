import AudioCore
import Crypto
import FoundationEssentials
import Hummingbird
import MultipartKit
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// An upload body on disk, not yet a track.
struct ReceivedUpload {
    /// Absolute path of the temporary file holding the audio.
    var path: String
    var bytes: Int64
    /// Hex SHA-256 of the audio.
    var sha256: String
    /// Text fields of a multipart form (title, album).
    var fields: [String: String]
    /// The client's name for the file, if it gave one (never used as a path).
    var filename: String?
}

/// Streams an upload body to a temporary file: never more than a few MiB in memory, a size
/// cap enforced as the bytes arrive, and the first bytes sniffed so that something that is
/// not audio is refused before the rest is read.
struct UploadReceiver {
    let directory: String
    let limit: Int64
    let threadPool: NIOThreadPool
    /// Whether the first bytes must look like audio (pictures are judged by ImageCore instead).
    var sniffsAudio = true

    /// Bytes gathered before each write to disk.
    static let stagingLength = 1 << 20
    /// Longest text field accepted in a multipart form, in bytes.
    static let fieldLimit = 4 * 1024

    func receive(_ request: Request) async throws -> ReceivedUpload {
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > limit {
            throw tooLarge()
        }
        let file = try await UploadFile.create(in: directory, threadPool: threadPool)
        do {
            let contentType = request.headers[.contentType] ?? ""
            var upload: ReceivedUpload
            if contentType.lowercased().hasPrefix("multipart/form-data") {
                guard let boundary = Self.boundary(contentType) else {
                    throw Problem(.badRequest, title: "Malformed multipart body", detail: "The multipart/form-data Content-Type has no boundary.")
                }
                upload = try await receiveMultipart(request.body, boundary: boundary, into: file)
            } else {
                for try await chunk in request.body {
                    try await append(chunk, to: file)
                }
                upload = ReceivedUpload(path: file.path, bytes: 0, sha256: "", fields: [:], filename: nil)
            }
            try await file.finish()
            upload.bytes = file.written
            upload.sha256 = file.digest()
            guard upload.bytes > 0 else {
                throw Problem(.unprocessableContent, title: "Empty upload", detail: "The upload has no audio bytes; send the file as the request body or as the 'file' part of a form.")
            }
            return upload
        } catch {
            await file.discard()
            throw error
        }
    }

    private func append(_ chunk: ByteBuffer, to file: UploadFile) async throws {
        guard file.received + Int64(chunk.readableBytes) <= limit else { throw tooLarge() }
        try await file.append(chunk)
        if sniffsAudio, let rejection = file.earlyRejection() { throw rejection }
    }

    private func tooLarge() -> Problem {
        Problem(.contentTooLarge, title: "Upload too large",
                detail: "Uploads are limited to \(Self.describe(bytes: limit)); this one is larger.",
                extensions: ["limitBytes": .int(limit)])
    }

    private func receiveMultipart(_ body: RequestBody, boundary: String, into file: UploadFile) async throws -> ReceivedUpload {
        let state = MultipartState()
        let parser = MultipartParser(boundary: boundary)
        var headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { name, value in state.header(name: name, value: value) }
        parser.onBody = { buffer in state.body(&buffer) }
        parser.onPartComplete = { state.partComplete() }
        for try await chunk in body {
            state.inputSinceProgress += chunk.readableBytes
            guard headerGuard.accepts(chunk) else { throw MultipartHeaderGuard.refusal }
            do {
                try parser.execute(chunk)
            } catch {
                throw Problem(.badRequest, title: "Malformed multipart body", detail: "The multipart/form-data body could not be parsed.")
            }
            if let problem = state.problem { throw problem }
            // Part headers without end, or a preamble that never reaches a part, are refused.
            if state.inputSinceProgress > 64 * 1024 {
                throw Problem(.badRequest, title: "Malformed multipart body", detail: "A part's headers are too long or no part was found.")
            }
            if state.pendingFile.readableBytes > 0 {
                let bytes = state.pendingFile
                state.pendingFile.clear()
                try await append(bytes, to: file)
            }
        }
        guard state.fileParts > 0 else {
            throw Problem(.unprocessableContent, title: "No file", detail: "The form has no 'file' part with the audio.")
        }
        return ReceivedUpload(path: file.path, bytes: 0, sha256: "", fields: state.fields, filename: state.filename)
    }

    /// The boundary parameter of a multipart Content-Type.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? pair[1].dropFirst().dropLast() : pair[1]
            return (1...70).contains(value.count) ? String(value) : nil
        }
        return nil
    }

    static func describe(bytes: Int64) -> String {
        if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return "\(bytes) bytes"
    }
}

/// What the multipart callbacks have seen; used by one request task only.
private final class MultipartState {
    var fields: [String: String] = [:]
    var filename: String?
    var fileParts = 0
    var pendingFile = ByteBuffer()
    var problem: Problem?
    var inputSinceProgress = 0
    private var partName: String?
    private var partFilename: String?
    private var partText: [UInt8] = []

    func header(name: String, value: String) {
        inputSinceProgress = 0
        guard name.lowercased() == "content-disposition" else { return }
        let parameters = ContentDisposition.parameters(value)
        if let name = parameters.name { partName = name }
        if let filename = parameters.filename { partFilename = filename }
    }

    func body(_ buffer: inout ByteBuffer) {
        inputSinceProgress = 0
        if partName == "file" {
            pendingFile.writeBuffer(&buffer)
        } else if partText.count + buffer.readableBytes <= UploadReceiver.fieldLimit {
            partText += buffer.readableBytesView
        } else {
            problem = Problem(.contentTooLarge, title: "Field too long", detail: "The form field '\(partName ?? "?")' is longer than \(UploadReceiver.fieldLimit) bytes.")
        }
    }

    func partComplete() {
        inputSinceProgress = 0
        if partName == "file" {
            fileParts += 1
            filename = partFilename
            if fileParts > 1 { problem = Problem(.badRequest, title: "Several files", detail: "Send one 'file' part per upload.") }
        } else if let name = partName {
            fields[name] = String(decoding: partText, as: UTF8.self)
        }
        partName = nil
        partFilename = nil
        partText = []
    }
}

/// The `name` and `filename` parameters of a form part's Content-Disposition header (RFC 7578),
/// quotes removed; what both upload forms read of a part's headers.
enum ContentDisposition {
    static func parameters(_ value: String) -> (name: String?, filename: String?) {
        var name: String?
        var filename: String?
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard pair.count == 2 else { continue }
            let unquoted = String(pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? pair[1].dropFirst().dropLast() : pair[1])
            switch pair[0].lowercased() {
            case "name": name = unquoted
            case "filename": filename = unquoted
            default: break
            }
        }
        return (name, filename)
    }
}
