import Catalog
import Hummingbird
import HummingbirdAuth

/// Attaches the user of a valid `Authorization: Bearer` token to the context.
///
/// A request with no token goes on anonymous; one with a token that is unknown, expired or
/// revoked is refused, so a client never silently acts as nobody.
struct BearerAuthenticator: AuthenticatorMiddleware {
    typealias Context = TuttiRequestContext
    let accounts: Accounts

    func authenticate(request: Request, context: Context) async throws -> User? {
        guard let header = request.headers[.authorization] else { return nil }
        // The Subsonic API signs in with its own parameters (app passwords); an app's or a
        // proxy's Authorization header means nothing there.
        if request.uri.path.hasPrefix(SubsonicController.pathPrefix) { return nil }
        guard let bearer = request.headers.bearer, !bearer.token.isEmpty, bearer.token.utf8.count <= 256 else {
            throw Problem(.unauthorized, title: "Unsupported authorization", detail: "Use 'Authorization: Bearer TOKEN'; got a \(header.split(separator: " ").first ?? "blank") credential.",
                          headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let user = try await accounts.user(forToken: bearer.token) else {
            throw Problem(.unauthorized, title: "Invalid token", detail: "The bearer token is unknown, expired or revoked; sign in again.",
                          headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        return user
    }
}
