import Foundation
import Testing
import TuttiTestSupport

/// A paid track of the demo catalog, with a 1,000-byte range three quarters in: past the
/// preview, before the tail probes, so that serving it is a charged play.
struct PaidDemoTrack: Sendable {
    var id: String
    var release: String
    var artist: String
    var seek: String
}

/// A listener signed up and logged in over HTTP.
struct DemoListener: Sendable {
    var id: String
    var token: String
}

extension ServerProcess {
    /// The demo catalog's paid tracks (it has two) once `tracks` are published.
    func paidDemoTracks(_ tracks: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [PaidDemoTrack] {
        var paid: [PaidDemoTrack] = []
        for track in tracks where track["free"] as? Bool == false {
            let id = try #require(track["id"] as? String, sourceLocation: sourceLocation)
            let detail = try #require(Self.json(try await get("/api/v1/tracks/\(id)").1), sourceLocation: sourceLocation)
            let bytes = try #require((detail["renditions"] as? [[String: Any]])?.first?["bytes"] as? Int, sourceLocation: sourceLocation)
            let release = try #require(detail["releaseID"] as? String, sourceLocation: sourceLocation)
            let artist = try #require((detail["artist"] as? [String: Any])?["id"] as? String, sourceLocation: sourceLocation)
            let start = bytes * 3 / 4
            paid.append(PaidDemoTrack(id: id, release: release, artist: artist, seek: "bytes=\(start)-\(start + 999)"))
        }
        try #require(paid.count == 2, "the demo catalog has two paid tracks", sourceLocation: sourceLocation)
        return paid
    }

    /// Signs up `count` listeners (`fan0`, `fan1`...) and logs each in.
    func signUpListeners(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [DemoListener] {
        var listeners: [DemoListener] = []
        for index in 0..<count {
            let body = try JSONSerialization.data(withJSONObject: ["username": "fan\(index)", "password": "correct horse battery"])
            let port = self.port
            let (created, login) = try await onOwnThread {
                (RawConnection.exchange(port: port, "POST", "/api/v1/users", headers: ["Content-Type": "application/json"], body: body),
                 RawConnection.exchange(port: port, "POST", "/api/v1/sessions", headers: ["Content-Type": "application/json"], body: body))
            }
            try #require(created.status == 201, "register: \(String(decoding: created.body, as: UTF8.self))", sourceLocation: sourceLocation)
            let session = try #require(Self.json(login.body), sourceLocation: sourceLocation)
            let token = try #require(session["token"] as? String, sourceLocation: sourceLocation)
            let id = try #require((session["user"] as? [String: Any])?["id"] as? String, sourceLocation: sourceLocation)
            listeners.append(DemoListener(id: id, token: token))
        }
        return listeners
    }

    static func json(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
