import Hummingbird
import NIOCore

/// What the multipart callbacks saw, turned into events the request task acts on in order.
final class FormParts {
    enum Kind: Equatable { case audio, cover, archive }
    enum Event {
        case begin(Kind, name: String)
        case bytes(ByteBuffer)
        case end
    }

    var description: [UInt8]?
    var problem: Problem?
    var inputSinceProgress = 0
    private(set) var completedParts = 0
    private var events: [Event] = []
    private var partName: String?
    private var partFilename: String?
    private var fileKind: Kind?
    private var began = false
    private var text: [UInt8] = []
    private var unnamedCount = 0

    func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }

    func header(name: String, value: String) {
        inputSinceProgress = 0
        guard name.lowercased() == "content-disposition" else { return }
        let parameters = ContentDisposition.parameters(value)
        if let name = parameters.name { partName = name }
        if let filename = parameters.filename { partFilename = filename }
    }

    func body(_ buffer: inout ByteBuffer) {
        inputSinceProgress = 0
        if !began {
            began = true
            switch partName ?? "" {
            case "files", "files[]", "file", "audio": fileKind = .audio
            case "cover": fileKind = .cover
            case "archive": fileKind = .archive
            case "description": fileKind = nil
            default:
                problem = Problem(.unprocessableContent, title: "Unknown form part",
                                  detail: "The form has a part named '\(ReleaseUploadReceiver.printable(partName ?? ""))'; a release upload has 'files', 'cover', 'description' and 'archive' parts.")
                return
            }
            if let fileKind {
                unnamedCount += 1
                // The client's name for the file, as a name only: never a path on the server.
                let name = partFilename.flatMap { $0.split(separator: "/").last.map(String.init) }.flatMap { $0.isEmpty ? nil : $0 } ?? "file \(unnamedCount)"
                events.append(.begin(fileKind, name: name))
            }
        }
        if fileKind != nil {
            events.append(.bytes(buffer))
            buffer.clear()
        } else if text.count + buffer.readableBytes <= ReleaseUploadReceiver.descriptionLimit {
            text += buffer.readableBytesView
            buffer.clear()
        } else {
            problem = Problem(.contentTooLarge, title: "Description too long", detail: "The 'description' part may be at most 64 KiB.")
        }
    }

    func partComplete() {
        inputSinceProgress = 0
        if !began, partName != "description" {
            // An empty file part still opens and closes a file, so it is refused as empty later.
            var empty = ByteBuffer()
            body(&empty)
        }
        if fileKind != nil {
            events.append(.end)
        } else if partName == "description" {
            if description != nil { problem = Problem(.unprocessableContent, title: "Several descriptions", detail: "Send one 'description' part.") }
            description = text
        }
        partName = nil
        partFilename = nil
        fileKind = nil
        began = false
        text = []
        completedParts += 1
    }

}
