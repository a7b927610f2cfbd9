/// The rules every path in a ZIP archive must meet before Tutti extracts or writes it.
///
/// A path names something inside the archive's own folder and nothing else: relative,
/// "/"-separated, no ".." component, no backslash (a Windows separator some tools let
/// through, which would otherwise become part of a name), no drive letter, no control
/// characters, no empty component, at most 255 bytes per component and 1,024 in all.
enum ZipPath {
    static let maxComponentBytes = 255
    static let maxPathBytes = 1_024

    struct Clean: Equatable {
        /// Components joined with "/", without "." components or a trailing "/".
        var path: String
        /// The name ended with "/": a folder.
        var isDirectory: Bool
    }

    /// Checks `name` and returns it normalised, or why it is refused.
    static func clean(_ name: String) -> Result<Clean, PathProblem> {
        if name.isEmpty { return .failure(.empty) }
        if name.utf8.count > maxPathBytes { return .failure(.tooLong) }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return .failure(.controlCharacter) }
        if name.contains("\\") { return .failure(.backslash) }
        if name.hasPrefix("/") { return .failure(.absolute) }
        let scalars = Array(name.unicodeScalars.prefix(2))
        if scalars.count == 2, scalars[1] == ":", (0x41...0x5A).contains(scalars[0].value) || (0x61...0x7A).contains(scalars[0].value) {
            return .failure(.driveLetter)
        }
        let isDirectory = name.hasSuffix("/")
        var components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if isDirectory { components.removeLast() }
        var kept: [String] = []
        for component in components {
            switch component {
            case "": return .failure(.emptyComponent)
            case ".": continue
            case "..": return .failure(.parent)
            default:
                if component.utf8.count > maxComponentBytes { return .failure(.tooLong) }
                kept.append(component)
            }
        }
        if kept.isEmpty { return .failure(.empty) }
        return .success(Clean(path: kept.joined(separator: "/"), isDirectory: isDirectory))
    }

    /// Decodes a stored name: UTF-8 when the archive says so (flag bit 11) or when the bytes
    /// are valid UTF-8, else IBM code page 437, the format's historical default.
    static func decode(_ bytes: [UInt8], utf8Flag: Bool) -> String? {
        if bytes.contains(0) { return nil }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if utf8Flag { return nil }
        return String(bytes.map { $0 < 0x80 ? Character(Unicode.Scalar($0)) : codePage437High[Int($0 - 0x80)] })
    }

    /// Code page 437, bytes 0x80–0xFF.
    private static let codePage437High: [Character] = Array(
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{00A0}")
}

/// Why a path is refused.
public enum PathProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case empty, tooLong, controlCharacter, backslash, absolute, driveLetter, emptyComponent, parent, notText
    /// Acceptable in an upload, but an archive Tutti writes names files plainly.
    case notNormalised

    public var description: String {
        switch self {
        case .empty: "it is empty"
        case .tooLong: "it is too long"
        case .controlCharacter: "it contains control characters"
        case .backslash: "it contains a backslash"
        case .absolute: "it is absolute (starts with /)"
        case .driveLetter: "it starts with a drive letter"
        case .emptyComponent: "it contains an empty folder name (//)"
        case .parent: "it climbs out of its folder (..)"
        case .notText: "it is not readable text"
        case .notNormalised: "it has '.' components or ends with '/'"
        }
    }
}
