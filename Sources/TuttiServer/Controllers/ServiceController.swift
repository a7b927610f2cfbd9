import Hummingbird
import Ledger
import NIOCore
import TuttiStorage

/// Health, metrics and the API description.
struct ServiceController {
    let services: AppServices

    func addRoutes(root: Router<TuttiRequestContext>, api: RouterGroup<TuttiRequestContext>) {
        root.get("health", use: health)
        root.get("metrics", use: metrics)
        api.get("openapi.json", use: openAPI)
    }

    struct Health: ResponseCodable {
        var status: String
        var database: String
    }

    @Sendable func health(_ request: Request, context: TuttiRequestContext) async throws -> Health {
        try await services.storage.checkReachable()
        return Health(status: "ok", database: "ok")
    }

    @Sendable func metrics(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        if let checkpoints = services.ledger.checkpointStatistics() { services.metrics.publish(checkpoints) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: services.metrics.exposition())))
    }

    @Sendable func openAPI(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
}
