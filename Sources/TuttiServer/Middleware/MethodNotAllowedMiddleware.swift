import HTTPTypes
@_spi(Internal) import Hummingbird

/// The methods each routed path accepts, found the way the router finds a path's route.
///
/// Hummingbird's router answers a known path asked with a method it has no route for as if
/// the path were unknown (404), and keeps its route table to itself. This table is built
/// from `Router.routes` with Hummingbird's own trie (its `@_spi(Internal)` builder), so
/// captures, wildcards and the priority of literal segments over captures resolve exactly
/// as they do when routing.
struct AllowedMethods: Sendable {
    private let trie: RouterTrie<String>

    /// Every path in `routes` accepts its routes' methods, HEAD where it has GET (the router
    /// generates those, RFC 9110 §9.3.2) and OPTIONS (answered by ``MethodNotAllowedMiddleware``).
    init<Context>(_ routes: [Router<Context>.RouteDescription]) {
        var methods: [String: (path: RouterPath, methods: Set<String>)] = [:]
        for route in routes {
            methods[route.path.description, default: (route.path, [])].methods.insert(route.method.rawValue)
        }
        let builder = RouterPathTrieBuilder<String>()
        for (path, accepted) in methods.values {
            var accepted = accepted
            if accepted.contains("GET") { accepted.insert("HEAD") }
            accepted.insert("OPTIONS")
            builder.addEntry(path, value: Self.order(accepted).joined(separator: ", "))
        }
        trie = builder.build()
    }

    /// The `Allow` header's value for `path`, or nil if no route has that path.
    func allow(_ path: String) -> String? {
        trie.resolve(path)?.value
    }

    private static let usualOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    private static func order(_ methods: Set<String>) -> [String] {
        usualOrder.filter(methods.contains) + methods.subtracting(usualOrder).sorted()
    }
}

/// Answers requests for a routed path with a method it has no route for: `OPTIONS` with
/// `204` and `Allow` (RFC 9110 §9.3.7), any other method with `405 Method Not Allowed` and
/// `Allow` (§15.5.6). Paths no route has go on to the router's 404.
///
/// Added to the router after every route, so it runs only where no route matched (a
/// route's responder holds the middleware added before it; the router's not-found
/// responder holds them all).
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allow = allowed.allow(request.uri.path) else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(status: .noContent, headers: [.allow: allow])
        }
        throw Problem(.methodNotAllowed, title: "Method not allowed",
                      detail: "This address accepts \(allow); not \(request.method.rawValue.prefix(20)).",
                      headers: [.allow: allow])
    }
}
