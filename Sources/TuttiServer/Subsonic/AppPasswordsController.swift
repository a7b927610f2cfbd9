import Catalog
import FoundationEssentials
import Hummingbird

/// App passwords: a listener makes one per Subsonic app (its secret shown once), sees when
/// each was last used, switches "count plays in this app", and revokes them.
struct AppPasswordsController {
    let services: AppServices

    func addRoutes(signedIn: RouterGroup<SignedInContext>) {
        signedIn.post("me/app-passwords", use: create)
        signedIn.get("me/app-passwords", use: list)
        signedIn.patch("me/app-passwords/{id}", use: update)
        signedIn.delete("me/app-passwords/{id}", use: revoke)
    }

    struct NewAppPassword: CheckedBody {
        var name: String
        var countPlays: Bool?

        func check() throws {
            try TextRule.appPasswordName.check(name, "name")
        }
    }

    struct Changes: Decodable {
        var countPlays: Bool
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> EditedResponse<AppPasswordResource> {
        let body = try await request.decodeChecked(as: NewAppPassword.self, context: context)
        let (password, secret) = try await services.appPasswords.create(for: context.user, name: body.name, countPlays: body.countPlays ?? false)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/me/app-passwords/\(password.id)", .cacheControl: "no-store"],
                              response: AppPasswordResource(password, secret: secret, username: context.user.username))
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> AppPasswordList {
        AppPasswordList(items: try await services.appPasswords.list(userID: context.user.id).map { AppPasswordResource($0) })
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> AppPasswordResource {
        let id = try context.parameters.require("id")
        let body = try await request.decode(as: Changes.self, context: context)
        guard let password = try await services.appPasswords.setCountPlays(body.countPlays, id: id, userID: context.user.id) else {
            throw CatalogError.notFound(kind: "app password", id: id)
        }
        return AppPasswordResource(password)
    }

    @Sendable func revoke(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await services.appPasswords.revoke(id: id, userID: context.user.id) else {
            throw CatalogError.notFound(kind: "app password", id: id)
        }
        return Response(status: .noContent)
    }
}

extension TextRule {
    static let appPasswordName = TextRule(maxLength: AppPasswords.nameLength)
}

/// An app password as its listener sees it; the secret only in the answer that made it.
struct AppPasswordResource: ResponseCodable {
    var id: String
    var name: String
    var countPlays: Bool
    var createdAt: Date
    var lastUsedAt: Date?
    /// Shown once, when made: the app's password (also its OpenSubsonic API key).
    var secret: String?
    /// The username to type in the app beside it (when made).
    var username: String?

    init(_ password: AppPassword, secret: String? = nil, username: String? = nil) {
        id = password.id
        name = password.name
        countPlays = password.countPlays
        createdAt = password.createdAt
        lastUsedAt = password.lastUsedAt
        self.secret = secret
        self.username = username
    }
}

struct AppPasswordList: ResponseCodable {
    var items: [AppPasswordResource]
}
