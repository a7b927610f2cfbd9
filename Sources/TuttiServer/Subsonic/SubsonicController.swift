import Catalog
import FoundationEssentials
import Hummingbird
import Logging

/// The OpenSubsonic API at `/rest/NAME` and `/rest/NAME.view`, GET or POST (form body), for
/// the music apps listeners already have (PRODUCT.md, "Other apps").
///
/// Apps sign in with an app password (``AppPasswords``), never the account password. Every
/// answer is the Subsonic envelope with HTTP 200, errors included, in XML or, with `f=json`,
/// JSON; only audio and pictures are answered otherwise. What it shows and does is the rest
/// of Tutti's: the catalog (``CatalogBrowse``), favourites, playlists and history of the
/// library, and play sessions with their metering.
struct SubsonicController {
    let services: AppServices

    static let pathPrefix = "/rest/"

    func addRoutes(root: Router<TuttiRequestContext>) {
        root.get("rest/{method}", use: handle)
        root.post("rest/{method}", use: handle)
    }

    /// A request as a handler sees it.
    struct Call: Sendable {
        let request: Request
        let context: TuttiRequestContext
        let parameters: SubsonicParameters
        let envelope: SubsonicEnvelope
        /// The signed-in listener and the app password they signed in with (nil for the
        /// methods that need no sign-in).
        let caller: Caller?

        var user: User {
            get throws(SubsonicError) {
                guard let caller else { throw SubsonicError(.wrongCredentials, "Sign in first") }
                return caller.user
            }
        }

        func ok(_ payload: SubsonicElement? = nil) -> Response { envelope.ok(payload) }
    }

    struct Caller: Sendable {
        let user: User
        let appPassword: AppPassword
    }

    typealias Handler = @Sendable (SubsonicController, Call) async throws -> Response

    /// Methods answered without signing in (OpenSubsonic: discovery before sign-in).
    static let publicMethods: Set<String> = ["getOpenSubsonicExtensions"]

    /// Every method Tutti answers, by name.
    /// The methods whose success is audio or a picture, not an envelope.
    static let binaryMethods: Set<String> = ["stream", "download", "getCoverArt"]

    static let methods: [String: Handler] = [
        "ping": { _, call in call.ok() },
        "getLicense": { $0.license($1) },
        "getOpenSubsonicExtensions": { $0.extensions($1) },
        "tokenInfo": { $0.tokenInfo($1) },
        "getUser": { try $0.user($1) },
        "getMusicFolders": { $0.musicFolders($1) },
        "getIndexes": { try await $0.indexes($1) },
        "getMusicDirectory": { try await $0.musicDirectory($1) },
        "getArtists": { try await $0.artists($1) },
        "getArtist": { try await $0.artist($1) },
        "getArtistInfo2": { try await $0.artistInfo($1) },
        "getAlbum": { try await $0.album($1) },
        "getAlbumInfo2": { try await $0.albumInfo($1) },
        "getAlbumList2": { try await $0.albumList($1) },
        "getSong": { try await $0.song($1) },
        "getGenres": { try await $0.genres($1) },
        "getSongsByGenre": { try await $0.songsByGenre($1) },
        "getRandomSongs": { try await $0.randomSongs($1) },
        "search3": { try await $0.search($1) },
        "getLyricsBySongId": { try await $0.lyrics($1) },
        "star": { try await $0.star($1, adding: true) },
        "unstar": { try await $0.star($1, adding: false) },
        "getStarred2": { try await $0.starred($1) },
        "getPlaylists": { try await $0.playlists($1) },
        "getPlaylist": { try await $0.playlist($1) },
        "createPlaylist": { try await $0.createPlaylist($1) },
        "updatePlaylist": { try await $0.updatePlaylist($1) },
        "deletePlaylist": { try await $0.deletePlaylist($1) },
        "scrobble": { try await $0.scrobble($1) },
        "stream": { try await $0.stream($1) },
        "download": { try await $0.download($1) },
        "getCoverArt": { try await $0.coverArt($1) },
    ]

    /// The method a path names: `/rest/getAlbum` and `/rest/getAlbum.view` alike.
    static func methodName(_ path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst().joined(separator: "/")
        return name.hasSuffix(".view") ? String(name.dropLast(5)) : name
    }

    /// Requests under `/rest/` that no route took (a deeper path): the envelope's error, never
    /// an HTML or problem page.
    func unrouted(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        guard [.get, .post, .head].contains(request.method) else {
            return SubsonicEnvelope(format: .xml).failure(SubsonicError(.generic, "Use GET or POST"))
        }
        return try await handle(request, context: context)
    }

    @Sendable func handle(_ request: Request, context: TuttiRequestContext) async throws -> Response {
        let parameters: SubsonicParameters
        do {
            parameters = try await SubsonicParameters.read(request)
        } catch {
            return SubsonicEnvelope(format: .xml).failure(SubsonicError(.generic, "The request's form body could not be read (at most 64 KiB)"))
        }
        let name = Self.methodName(request.uri.path)
        // Methods that answer with bytes say what went wrong in XML whatever `f` asks (the
        // Subsonic API's rule for stream, download and getCoverArt: apps read the error as XML
        // when they get no audio or picture).
        let envelope = Self.binaryMethods.contains(name) ? SubsonicEnvelope(format: .xml) : SubsonicEnvelope(parameters)
        do {
            guard let handler = Self.methods[name] else {
                throw SubsonicError(.notFound, "Unknown API method: \(name.prefix(80)). Tutti implements: \(Self.methods.keys.sorted().joined(separator: ", "))")
            }
            try Self.checkVersion(parameters)
            let caller = Self.publicMethods.contains(name) ? nil : try await authenticate(parameters, context: context)
            return try await handler(self, Call(request: request, context: context, parameters: parameters, envelope: envelope, caller: caller))
        } catch let error as SubsonicError {
            return envelope.failure(error)
        } catch let error as CatalogError {
            return envelope.failure(Self.subsonicError(error))
        } catch let problem as Problem {
            return envelope.failure(SubsonicError(problem.status == .notFound ? .notFound : problem.status == .forbidden ? .notAuthorized : .generic,
                                                  problem.detail.isEmpty ? problem.title : problem.detail))
        } catch {
            context.logger.error("subsonic method failed", metadata: ["method": "\(name)", "error": "\(error)"])
            return envelope.failure(SubsonicError(.generic, "The server could not answer this request; try again later"))
        }
    }

    static func subsonicError(_ error: CatalogError) -> SubsonicError {
        switch error {
        case .notFound(let kind, _): SubsonicError(.notFound, "\(kind.prefix(1).uppercased() + kind.dropFirst()) not found")
        case .forbidden(let reason): SubsonicError(.notAuthorized, reason)
        default: SubsonicError(.generic, error.description)
        }
    }

    /// A client that speaks a later major version of the API than 1 is refused (30); one that
    /// gives no version is served.
    static func checkVersion(_ parameters: SubsonicParameters) throws(SubsonicError) {
        guard let version = parameters.first("v") else { return }
        let parts = version.split(separator: ".").map { Int($0) }
        guard let major = parts.first ?? nil else { throw .invalid("v", "expected a version such as 1.16.1") }
        if major > 1 { throw SubsonicError(.serverTooOld, "Incompatible Subsonic REST protocol version. Server must upgrade: Tutti speaks \(SubsonicEnvelope.apiVersion)") }
        if major < 1 { throw SubsonicError(.clientTooOld, "Incompatible Subsonic REST protocol version. Client must upgrade: Tutti speaks \(SubsonicEnvelope.apiVersion)") }
    }

    // MARK: Signing in

    static let wrongCredentials = SubsonicError(
        .wrongCredentials,
        "Wrong username or app password. Apps sign in with an app password: create one in Tutti (Library, Apps) and use it here; your account password is never accepted by apps.")

    /// The listener an app signed in as: `apiKey` (OpenSubsonic), or `u` with `p` (plain or
    /// `enc:` hex) or with `t` + `s` (MD5 of the app password and the salt). Failures count
    /// toward the log-in limit, per account and address.
    func authenticate(_ parameters: SubsonicParameters, context: TuttiRequestContext) async throws -> Caller {
        let address = "address:" + (context.remoteAddress ?? "unknown")
        if let apiKey = parameters.first("apiKey") {
            guard !parameters.contains("u"), !parameters.contains("p"), !parameters.contains("t") else {
                throw SubsonicError(.conflictingAuthentication, "Multiple conflicting authentication mechanisms provided: send apiKey alone, without u, p, t or s")
            }
            let found = try await limited([address]) { try await services.appPasswords.signIn(apiKey: apiKey) }
            guard let (user, password) = found else {
                throw SubsonicError(.invalidAPIKey, "Invalid API key. Use an app password created in Tutti (Library, Apps) as the API key.")
            }
            return Caller(user: user, appPassword: password)
        }
        guard let username = parameters.first("u"), !username.isEmpty else { throw SubsonicError.missing("u") }
        let keys = ["account:" + username.lowercased(), address]
        let found: (User, AppPassword)?
        if let token = parameters.first("t"), let salt = parameters.first("s") {
            found = try await limited(keys) { try await services.appPasswords.signIn(username: username, token: token, salt: salt) }
        } else if let password = parameters.first("p") {
            guard let plain = Self.plainPassword(password) else { throw SubsonicError.invalid("p", "enc: must be followed by hexadecimal") }
            found = try await limited(keys) { try await services.appPasswords.signIn(username: username, password: plain) }
        } else if parameters.contains("t") {
            throw SubsonicError.missing("s")
        } else {
            throw SubsonicError.missing("p or t and s")
        }
        guard let (user, password) = found else { throw Self.wrongCredentials }
        return Caller(user: user, appPassword: password)
    }

    /// `p` as sent, or decoded from `enc:` followed by the UTF-8 bytes in hex.
    static func plainPassword(_ parameter: String) -> String? {
        guard parameter.hasPrefix("enc:") else { return parameter }
        let hex = Array(parameter.dropFirst(4).utf8)
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: hex.count, by: 2) {
            guard let high = SubsonicParameters.hexValue(hex[index]), let low = SubsonicParameters.hexValue(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a sign-in check under the log-in limit: the attempt is counted first (parallel
    /// guesses cannot all pass), and taken back when it succeeds or the server failed.
    private func limited(_ keys: [String], _ check: () async throws -> (User, AppPassword)?) async throws -> (User, AppPassword)? {
        let reservation: RateLimiter.Reservation
        switch services.loginLimiter.acquire(keys) {
        case .allowed(let allowed): reservation = allowed
        case .limited(let wait):
            throw SubsonicError(.generic, "Too many failed sign-ins for this account or from this address; try again in \(wait) seconds")
        }
        do {
            let found = try await check()
            if found != nil { services.loginLimiter.release(reservation) }
            return found
        } catch {
            services.loginLimiter.release(reservation)
            throw error
        }
    }

    // MARK: System

    func license(_ call: Call) -> Response {
        call.ok(SubsonicElement("license", [("valid", .bool(true))]))
    }

    /// OpenSubsonic extensions Tutti supports.
    static let extensions: [(String, [Int])] = [("apiKeyAuthentication", [1]), ("formPost", [1]), ("songLyrics", [1])]

    func extensions(_ call: Call) -> Response {
        // The payload is the list itself: an array in JSON, repeated elements in XML.
        call.envelope.ok(list: "openSubsonicExtensions", Self.extensions.map { name, versions in
            SubsonicElement("openSubsonicExtensions", [("name", .string(name))], children: [.values("versions", versions.map { .int32($0) })])
        })
    }

    func tokenInfo(_ call: Call) -> Response {
        call.ok(SubsonicElement("tokenInfo", [("username", .string(call.caller?.user.username ?? ""))]))
    }

    func user(_ call: Call) throws -> Response {
        let user = try call.user
        if let asked = call.parameters.first("username"), asked.lowercased() != user.username {
            throw SubsonicError(.notAuthorized, "Only your own account can be read")
        }
        return call.ok(SubsonicElement("user", [
            ("username", .string(user.username)), ("scrobblingEnabled", .bool(true)), ("adminRole", .bool(false)),
            ("settingsRole", .bool(false)), ("downloadRole", .bool(true)), ("uploadRole", .bool(false)), ("playlistRole", .bool(true)),
            ("coverArtRole", .bool(false)), ("commentRole", .bool(false)), ("podcastRole", .bool(false)), ("streamRole", .bool(true)),
            ("jukeboxRole", .bool(false)), ("shareRole", .bool(false)), ("videoConversionRole", .bool(false)),
        ], children: [.values("folder", [.int32(SubsonicController.musicFolderID)])]))
    }

    /// Tutti's whole catalog is one music folder.
    static let musicFolderID = 1

    func musicFolders(_ call: Call) -> Response {
        call.ok(SubsonicElement("musicFolders", children: [
            .many("musicFolder", [SubsonicElement("musicFolder", [("id", .int32(Self.musicFolderID)), ("name", .string("Tutti"))])]),
        ]))
    }
}

/// Answers requests under `/rest/` that no route matched with the Subsonic envelope. Added to
/// the router after every route (after ``MethodNotAllowedMiddleware``), so it runs only for
/// paths no route has.
struct SubsonicFallbackMiddleware: RouterMiddleware {
    typealias Context = TuttiRequestContext
    let controller: SubsonicController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(SubsonicController.pathPrefix) || request.uri.path == "/rest" else {
            return try await next(request, context)
        }
        return try await controller.unrouted(request, context: context)
    }
}
