import Catalog
import FoundationEssentials
import Hummingbird
import HummingbirdAuth
import NIOCore

/// Per-request state: who is asking (if anyone) and from where.
public struct TuttiRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: User?
    /// The connection: its peer's address (for per-address rate limits, looked up only when
    /// asked for) and its closing (a held stream stops waiting for a listener who left).
    let channel: any Channel
    public var remoteAddress: String? { channel.remoteAddress?.ipAddress }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        channel = source.channel
    }

    /// JSON bodies are small; uploads stream and have their own limit.
    public var maxUploadSize: Int { 64 * 1024 }

    public var responseEncoder: JSONEncoder { .tutti }
}

extension JSONEncoder {
    /// How the API writes JSON: ISO 8601 dates, stable key order, unescaped slashes.
    static var tutti: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A request from a signed-in user: handlers in these groups cannot run without one.
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let user: User
    let channel: any Channel
    public var remoteAddress: String? { channel.remoteAddress?.ipAddress }

    public init(context: TuttiRequestContext) throws {
        guard let user = context.identity else {
            throw Problem(.unauthorized, title: "Sign in required", detail: "Send an 'Authorization: Bearer TOKEN' header; get a token from POST /api/v1/sessions.")
        }
        coreContext = context.coreContext
        self.user = user
        channel = context.channel
    }

    public var maxUploadSize: Int { 64 * 1024 }

    public var responseEncoder: JSONEncoder { .tutti }

    /// Refuses unless the user has one of `roles`.
    public func require(_ roles: Role..., to action: String) throws {
        guard roles.contains(user.role) else {
            throw Problem(.forbidden, title: "Not allowed", detail: "Only \(roles.map(\.rawValue).joined(separator: " or ")) accounts can \(action).")
        }
    }
}
