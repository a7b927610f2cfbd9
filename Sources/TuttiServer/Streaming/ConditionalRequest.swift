import FoundationEssentials
import HTTPTypes

/// The validators of one representation: its strong entity tag and modification time.
struct Validators {
    /// Quoted strong entity tag, e.g. "\"3f2a…\"".
    var etag: String
    /// Whole seconds (HTTP-dates carry no fraction).
    var lastModified: Date

    /// What the conditional headers of a GET or HEAD decide (RFC 9110 §13.2.2, in its order).
    enum Outcome: Equatable {
        case proceed(honourRange: Bool)
        case notModified
        case preconditionFailed
    }

    func evaluate(_ headers: HTTPFields) -> Outcome {
        if let ifMatch = headers[.ifMatch] {
            guard Self.matches(ifMatch, etag, weak: false) else { return .preconditionFailed }
        } else if let since = headers[.ifUnmodifiedSince].flatMap(HTTPDate.parse), lastModified > since {
            return .preconditionFailed
        }
        if let ifNoneMatch = headers[.ifNoneMatch] {
            if Self.matches(ifNoneMatch, etag, weak: true) { return .notModified }
        } else if let since = headers[.ifModifiedSince].flatMap(HTTPDate.parse), lastModified <= since {
            return .notModified
        }
        return .proceed(honourRange: rangeStillValid(headers[.ifRange]))
    }

    /// If-Range: the Range applies only if the client's copy is this representation. A date
    /// must equal Last-Modified exactly; an entity tag must match strongly.
    private func rangeStillValid(_ ifRange: String?) -> Bool {
        guard let ifRange = ifRange?.trimmingWhitespace() else { return true }
        if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") { return ifRange == etag }
        guard let date = HTTPDate.parse(String(ifRange)) else { return false }
        return date == lastModified
    }

    /// Whether a list of entity tags (or "*") names `etag`.
    private static func matches(_ list: String, _ etag: String, weak: Bool) -> Bool {
        let ours = weak && etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for candidate in list.split(separator: ",").map({ $0.trimmingWhitespace() }) {
            if candidate == "*" { return true }
            if candidate.hasPrefix("W/") {
                if weak && candidate.dropFirst(2) == ours { return true }
            } else if candidate == ours {
                return true
            }
        }
        return false
    }
}
