import Catalog
import FoundationEssentials
import Hummingbird
import HummingbirdAuth

/// Sign-up, log-in (bearer tokens), log-out, and who am I.
struct AccountsController {
    let services: AppServices

    struct Registration: CheckedBody {
        var username: String
        var password: String
        var displayName: String?
        /// "listener" (default) or "artist"; admins are made with `tutti user add`.
        var role: String?

        static let roles = ["listener", "artist"]

        func check() throws {
            try CredentialFormat.checkUsername(username)
            try CredentialFormat.checkPassword(password)
            try TextRule.displayName.check(displayName, "displayName")
            if let role, !Self.roles.contains(role) {
                throw Problem(.unprocessableContent, title: "Invalid value", detail: "role must be 'listener' or 'artist'.")
            }
        }
    }

    struct Credentials: Decodable {
        var username: String
        var password: String
    }

    func addRoutes(public group: RouterGroup<TuttiRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        group.post("users", use: register)
        group.post("sessions", use: logIn)
        signedIn.delete("sessions/current", use: logOut)
        signedIn.get("me", use: me)
    }

    @Sendable func register(_ request: Request, context: TuttiRequestContext) async throws -> EditedResponse<UserResource> {
        let registration = try await request.decodeChecked(as: Registration.self, context: context)
        let role: Role = registration.role == "artist" ? .artist : .listener
        _ = try CredentialRules.normalizedUsername(registration.username)
        let hash = try await services.hashPassword(registration.password)
        let user = try await services.accounts.createUser(
            username: registration.username, displayName: registration.displayName, role: role, passwordHash: hash)
        return EditedResponse(status: .created, headers: [.location: "/api/v1/me"], response: UserResource(user))
    }

    @Sendable func logIn(_ request: Request, context: TuttiRequestContext) async throws -> EditedResponse<SessionResource> {
        let credentials = try await request.decode(as: Credentials.self, context: context)
        let account = "account:" + credentials.username.lowercased()
        let keys = [account, "address:" + (context.remoteAddress ?? "unknown")]
        // The attempt is counted before the password is checked, so parallel guesses cannot
        // all pass the limit while the first is in bcrypt; only a right password takes it back.
        let reservation: RateLimiter.Reservation
        switch services.loginLimiter.acquire(keys) {
        case .allowed(let allowed): reservation = allowed
        case .limited(let wait):
            throw Problem(.tooManyRequests, title: "Too many attempts",
                          detail: "Too many failed log-ins for this account or from this address; try again in \(wait) seconds.",
                          extensions: ["retryAfterSeconds": .int(Int64(wait))], headers: [.retryAfter: String(wait)])
        }
        // Unknown users still cost a bcrypt check, so timing does not reveal which names exist.
        let user: User?
        let valid: Bool
        do {
            user = try await services.accounts.user(username: credentials.username)
            valid = try await services.verifyPassword(credentials.password, hash: user?.passwordHash ?? Self.decoyHash)
        } catch {
            // The server failed, not the guess: it is not held against the account.
            services.loginLimiter.release(reservation)
            throw error
        }
        guard valid, let user else { throw CatalogError.invalidCredentials }
        services.loginLimiter.release(reservation)
        services.loginLimiter.forget(account)
        let issued = try await services.accounts.issueToken(for: user, lifetime: services.configuration.tokenLifetime)
        return EditedResponse(status: .created, response: SessionResource(token: issued.token, expiresAt: issued.expiresAt, user: UserResource(user)))
    }

    @Sendable func logOut(_ request: Request, context: SignedInContext) async throws -> Response {
        if let token = request.headers.bearer?.token {
            try await services.accounts.revoke(token: token)
        }
        return Response(status: .noContent)
    }

    @Sendable func me(_ request: Request, context: SignedInContext) async throws -> UserResource {
        UserResource(context.user)
    }

    /// A bcrypt hash of a random password nobody knows (cost 12, like real ones).
    static let decoyHash = "$2b$12$CwTycUXWue0Thq9StjUM0uJ8q9dJ6g7J1c5l7m0yVvQO5dJ1wQy2e"
}
