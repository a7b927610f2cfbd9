import HTTPTypes
import Hummingbird
import NIOCore

/// Tutti's own web pages: one HTML shell at `/` and its style sheet, scripts and icon under
/// `/web/`, all embedded in the binary (see ``WebAssets``), so `make run`, the tests and a
/// copied binary serve the same files with nothing to locate on disk.
struct WebController {
    func addRoutes(root: Router<TuttiRequestContext>) {
        root.get("/", use: page)
        root.get("web/{file}", use: asset)
    }

    @Sendable func page(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        try serve(WebAssets.named("index.html"), request: request)
    }

    @Sendable func asset(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let name = try context.parameters.require("file")
        return try serve(WebAssets.named(name), request: request)
    }

    private func serve(_ asset: WebAsset?, request: Request) throws -> Response {
        guard let asset else {
            throw Problem(.notFound, title: "Not found", detail: "There is no such page or file.")
        }
        var headers = WebAssets.headers
        headers[.eTag] = asset.etag
        if let candidates = request.headers[.ifNoneMatch], WebAssets.matches(candidates, asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        headers[.contentLength] = String(asset.body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }
}
