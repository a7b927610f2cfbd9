import Foundation
import Hummingbird
import Testing
@testable import TuttiServer
import TuttiTestSupport

@Suite("The OpenAPI document")
struct OpenAPITests {
    /// "/api/v1/tracks/{id}" and "/api/v1/tracks/:id" both become "/api/v1/tracks/{}".
    static func normalise(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : String($0) }.joined(separator: "/")
    }

    @Test("documents exactly the routes the router serves")
    func matchesRoutes() throws {
        let (_, router) = try TuttiApplication.prepare(configuration: TestService().configuration)
        let served = Set(router.routes.map { "\($0.method.rawValue) \(Self.normalise($0.path.description))" })
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as! [String: [String: Any]]
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(Self.normalise(path))" } })
        #expect(served.subtracting(documented).isEmpty, "served but undocumented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        // Every $ref points at a schema that exists.
        let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: Any]
        for reference in OpenAPIDocument.json.components(separatedBy: "#/components/schemas/").dropFirst() {
            let name = String(reference.prefix { $0 != "\"" })
            #expect(schemas[name] != nil, "missing schema \(name)")
        }
    }

    @Test("operation ids are unique; every link names an operation and parameters it has; what every operation shares is declared")
    func operationsAndLinks() throws {
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        let paths = document["paths"] as! [String: [String: [String: Any]]]
        var parametersByID: [String: Set<String>] = [:]
        for (path, operations) in paths {
            for (method, operation) in operations {
                let id = operation["operationId"] as! String
                #expect(parametersByID[id] == nil, "duplicate operationId \(id)")
                parametersByID[id] = Set((operation["parameters"] as? [[String: Any]] ?? []).map { $0["name"] as! String })
                let responses = operation["responses"] as! [String: Any]
                #expect(responses["401"] != nil, "\(method) \(path) declares no 401 (any route refuses an invalid token)")
                if path.contains("{") { #expect(responses["404"] != nil, "\(method) \(path) has path parameters but no 404") }
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                if content?["application/json"] != nil {
                    #expect(responses["400"] != nil && responses["413"] != nil, "\(method) \(path): a JSON body may be malformed or too large")
                }
            }
        }
        var links = 0
        for operations in paths.values {
            for operation in operations.values {
                for response in (operation["responses"] as! [String: [String: Any]]).values {
                    for (name, link) in response["links"] as? [String: [String: Any]] ?? [:] {
                        links += 1
                        let target = link["operationId"] as! String
                        #expect(parametersByID[target] != nil, "link \(name) names no operation: \(target)")
                        for parameter in (link["parameters"] as! [String: String]).keys {
                            #expect(parametersByID[target]?.contains(parameter) == true, "link \(name): \(target) has no parameter \(parameter)")
                        }
                    }
                }
            }
        }
        #expect(links >= 10)
    }

    @Test("is served at /api/v1/openapi.json")
    func served() async throws {
        try await TestService().run { api in
            let response = try await api.request(.get, "/api/v1/openapi.json")
            #expect(response.status == .ok)
            #expect(try response.json()["openapi"] as? String == "3.1.0")
        }
    }
}
