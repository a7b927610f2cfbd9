/// Text made safe for XML (the Atom feed, the Subsonic API's responses).
enum XMLText {
    /// Escapes `text` for element content or an attribute value (quoted with either quote):
    /// markup characters become entities; tab, line feed and carriage return become character
    /// references, so that an attribute keeps them (a parser turns them into spaces
    /// otherwise); the characters XML 1.0 cannot carry at all are dropped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n": escaped += "&#10;"
            case "\r": escaped += "&#13;"
            case "\t": escaped += "&#9;"
            default:
                let value = scalar.value
                if value < 0x20 || (0xFFFE...0xFFFF).contains(value) { continue }
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
