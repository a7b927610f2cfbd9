import Hummingbird
import MediaStore

extension Problem {
    /// The one HTTP answer for each media store failure met while `doing` something for the
    /// caller ("storing the upload", "reading the audio"). None is the caller's fault: a store
    /// out of reach or too slow is a 503 to retry later, a store that refused or answered
    /// wrongly a 502, a full store a 507, a read-only one a 503 (writes resume once an
    /// operator lifts it). Details name no bucket, key or host.
    init(mediaStore error: MediaStoreError, doing: String) {
        switch error {
        case .notFound:
            self.init(.serviceUnavailable, title: "Media unavailable", detail: "The file is missing from the media store while \(doing); try again later.")
        case .unavailable:
            self.init(.serviceUnavailable, title: "Media store unavailable",
                      detail: "The media store did not answer in time while \(doing); try again later.", headers: [.retryAfter: "5"])
        case .readOnly:
            self.init(.serviceUnavailable, title: "Media store read-only",
                      detail: "The media store accepts no writes at the moment, so nothing was stored while \(doing); try again later.",
                      headers: [.retryAfter: "60"])
        case .storageFull:
            self.init(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), title: "Media store full",
                      detail: "The media store has no room left, so nothing was stored while \(doing); try again once an operator has made room.")
        case .invalidKey, .rangeNotSatisfiable, .accessDenied, .truncated, .lengthMismatch, .misconfigured, .failed:
            self.init(.badGateway, title: "Media store failed", detail: "The media store refused or failed while \(doing); try again later.")
        }
    }
}

extension MediaStoreError {
    /// The `kind` label of `tutti_media_store_failures_total`.
    var metricKind: String {
        switch self {
        case .notFound: "missing"
        case .unavailable: "unavailable"
        case .readOnly: "read-only"
        case .storageFull: "full"
        case .truncated: "truncated"
        case .accessDenied: "denied"
        case .invalidKey, .rangeNotSatisfiable, .lengthMismatch, .misconfigured, .failed: "failed"
        }
    }
}
