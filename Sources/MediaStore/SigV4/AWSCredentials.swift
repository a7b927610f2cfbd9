import Foundation

/// The key pair (and, for temporary credentials, the session token) that signs requests.
///
/// Its `description` never shows the secret, so a credential that reaches a log line or an
/// error message leaks nothing but the access key id.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The public half, e.g. `AKIAIOSFODNN7EXAMPLE`; it appears in every signed request.
    public var accessKeyID: String
    /// The secret half; it never leaves this process.
    public var secretAccessKey: String
    /// The session token of temporary credentials (sent as `X-Amz-Security-Token`), or nil.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}

/// Why credentials could not be found or read.
public struct AWSCredentialsError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension AWSCredentials {
    /// Credentials from the environment: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`
    /// (and `AWS_SESSION_TOKEN` if set), or nil when neither key variable is set.
    ///
    /// - Throws: ``AWSCredentialsError`` when only one of the two is set, or one is empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(AWSCredentialsError) -> AWSCredentials? {
        let id = environment["AWS_ACCESS_KEY_ID"]
        let secret = environment["AWS_SECRET_ACCESS_KEY"]
        switch (id, secret) {
        case (nil, nil):
            return nil
        case let (id?, secret?) where !id.isEmpty && !secret.isEmpty:
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
        default:
            throw AWSCredentialsError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set and not empty")
        }
    }

    /// Credentials from a file in the AWS shared-credentials format:
    ///
    /// ```
    /// [default]
    /// aws_access_key_id = AKIA...
    /// aws_secret_access_key = ...
    /// aws_session_token = ...        (optional)
    /// ```
    ///
    /// - Parameters:
    ///   - path: The file; it should be readable by the service's user only.
    ///   - profile: The `[section]` to read.
    /// - Throws: ``AWSCredentialsError`` naming the file and what is wrong with it (never its
    ///   contents).
    public static func fromFile(_ path: String, profile: String = "default") throws(AWSCredentialsError) -> AWSCredentials {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AWSCredentialsError("cannot read the credentials file \(path): \(error.localizedDescription)")
        }
        var section: String?
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw AWSCredentialsError("\(path) line \(number + 1): a section header must end with ]")
                }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw AWSCredentialsError("\(path) line \(number + 1): expected name = value")
            }
            guard section == profile else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            values[name] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty,
              let secret = values["aws_secret_access_key"], !secret.isEmpty
        else {
            throw AWSCredentialsError("\(path) has no aws_access_key_id and aws_secret_access_key in [\(profile)]")
        }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}
