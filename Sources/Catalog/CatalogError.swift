/// Why a catalog operation was refused, in the domain's words; the server maps each case
/// to an HTTP status once.
public enum CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidUsername(String)
    case invalidPassword(String)
    case usernameTaken(String)
    case invalidCredentials
    case invalidField(name: String, reason: String)
    case notFound(kind: String, id: String)
    case forbidden(String)
    case conflict(String)
    /// A job's hold was lost (its lease passed and another worker took it): what this
    /// worker did with it is not recorded.
    case jobTakenOver(jobID: Int64)

    public var description: String {
        switch self {
        case .invalidUsername(let reason): "invalid username: \(reason)"
        case .invalidPassword(let reason): "invalid password: \(reason)"
        case .usernameTaken(let name): "the username '\(name)' is taken"
        case .invalidCredentials: "wrong username or password"
        case .invalidField(let name, let reason): "\(name): \(reason)"
        case .notFound(let kind, let id): "no \(kind) with id \(id)"
        case .forbidden(let reason): reason
        case .conflict(let reason): reason
        case .jobTakenOver(let jobID): "transcode job \(jobID) was taken over by another worker once this worker's lease passed"
        }
    }
}
