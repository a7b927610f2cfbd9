import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What the Subsonic 1.16.1 XML schema (subsonic-rest-api-1.16.1.xsd, public; not copied
/// here) requires of the responses Tutti gives, written from its rules: per complex type, its
/// attributes (name, simple type, required or not) and its child elements (name, type, how
/// many, in sequence order). OpenSubsonic's additions are listed apart: the envelope's
/// `type`, `serverVersion` and `openSubsonic`, and the payloads `openSubsonicExtensions`,
/// `tokenInfo` and `lyricsList`.
///
/// ``check(xml:)`` validates an XML response; ``check(json:)`` holds the JSON form to the
/// same types (ids strings, xs:int numbers in 32 bits, dates ISO 8601 with Z, no nulls,
/// arrays exactly where the schema allows several).
enum SubsonicSchema {
    enum Simple: Equatable {
        case string, int, long, boolean, dateTime, double, status, version, mediaType, userRating, averageRating
    }

    struct Attribute {
        var type: Simple
        var required: Bool
    }

    struct Child {
        var name: String
        /// A complex type's name, or nil for a simple-typed element (`simple`).
        var type: String?
        var simple: Simple = .string
        var many: Bool
    }

    struct ComplexType {
        var attributes: [String: Attribute] = [:]
        /// In sequence order (a choice for Response).
        var children: [Child] = []
        var mixed = false
    }

    static func required(_ type: Simple) -> Attribute { Attribute(type: type, required: true) }
    static func optional(_ type: Simple) -> Attribute { Attribute(type: type, required: false) }
    static func many(_ name: String, _ type: String) -> Child { Child(name: name, type: type, many: true) }
    static func one(_ name: String, _ type: String) -> Child { Child(name: name, type: type, many: false) }
    static func text(_ name: String, _ simple: Simple = .string, many: Bool = false) -> Child { Child(name: name, type: nil, simple: simple, many: many) }

    static let child: [String: Attribute] = [
        "id": required(.string), "parent": optional(.string), "isDir": required(.boolean), "title": required(.string),
        "album": optional(.string), "artist": optional(.string), "track": optional(.int), "year": optional(.int),
        "genre": optional(.string), "coverArt": optional(.string), "size": optional(.long), "contentType": optional(.string),
        "suffix": optional(.string), "transcodedContentType": optional(.string), "transcodedSuffix": optional(.string),
        "duration": optional(.int), "bitRate": optional(.int), "path": optional(.string), "isVideo": optional(.boolean),
        "userRating": optional(.userRating), "averageRating": optional(.averageRating), "playCount": optional(.long),
        "discNumber": optional(.int), "created": optional(.dateTime), "starred": optional(.dateTime), "albumId": optional(.string),
        "artistId": optional(.string), "type": optional(.mediaType), "bookmarkPosition": optional(.long),
        "originalWidth": optional(.int), "originalHeight": optional(.int),
    ]
    static let artistID3: [String: Attribute] = [
        "id": required(.string), "name": required(.string), "coverArt": optional(.string), "artistImageUrl": optional(.string),
        "albumCount": required(.int), "starred": optional(.dateTime),
    ]
    static let albumID3: [String: Attribute] = [
        "id": required(.string), "name": required(.string), "artist": optional(.string), "artistId": optional(.string),
        "coverArt": optional(.string), "songCount": required(.int), "duration": required(.int), "playCount": optional(.long),
        "created": required(.dateTime), "starred": optional(.dateTime), "year": optional(.int), "genre": optional(.string),
    ]
    static let playlist: [String: Attribute] = [
        "id": required(.string), "name": required(.string), "comment": optional(.string), "owner": optional(.string),
        "public": optional(.boolean), "songCount": required(.int), "duration": required(.int), "created": required(.dateTime),
        "changed": required(.dateTime), "coverArt": optional(.string),
    ]
    static let imageURLs: [Child] = [text("musicBrainzId"), text("lastFmUrl"), text("smallImageUrl"), text("mediumImageUrl"), text("largeImageUrl")]

    /// The 1.16.1 schema's types that Tutti's responses use, and OpenSubsonic's payloads.
    static let types: [String: ComplexType] = [
        "Response": ComplexType(attributes: ["status": required(.status), "version": required(.version),
                                             // OpenSubsonic's envelope additions.
                                             "type": required(.string), "serverVersion": required(.string), "openSubsonic": required(.boolean)],
                                children: [
                                    one("musicFolders", "MusicFolders"), one("indexes", "Indexes"), one("directory", "Directory"),
                                    one("genres", "Genres"), one("artists", "ArtistsID3"), one("artist", "ArtistWithAlbumsID3"),
                                    one("album", "AlbumWithSongsID3"), one("song", "Child"), one("searchResult3", "SearchResult3"),
                                    one("playlists", "Playlists"), one("playlist", "PlaylistWithSongs"), one("license", "License"),
                                    one("user", "User"), one("albumList2", "AlbumList2"), one("randomSongs", "Songs"),
                                    one("songsByGenre", "Songs"), one("starred2", "Starred2"), one("albumInfo", "AlbumInfo"),
                                    one("artistInfo2", "ArtistInfo2"), one("error", "Error"),
                                    // OpenSubsonic.
                                    many("openSubsonicExtensions", "OpenSubsonicExtension"), one("tokenInfo", "TokenInfo"),
                                    one("lyricsList", "LyricsList"),
                                ]),
        "MusicFolders": ComplexType(children: [many("musicFolder", "MusicFolder")]),
        "MusicFolder": ComplexType(attributes: ["id": required(.int), "name": optional(.string)]),
        "Indexes": ComplexType(attributes: ["lastModified": required(.long), "ignoredArticles": required(.string)],
                               children: [many("shortcut", "Artist"), many("index", "Index"), many("child", "Child")]),
        "Index": ComplexType(attributes: ["name": required(.string)], children: [many("artist", "Artist")]),
        "Artist": ComplexType(attributes: ["id": required(.string), "name": required(.string), "artistImageUrl": optional(.string),
                                           "starred": optional(.dateTime), "userRating": optional(.userRating), "averageRating": optional(.averageRating)]),
        "Genres": ComplexType(children: [many("genre", "Genre")]),
        "Genre": ComplexType(attributes: ["songCount": required(.int), "albumCount": required(.int), "value": required(.string)], mixed: true),
        "ArtistsID3": ComplexType(attributes: ["ignoredArticles": required(.string)], children: [many("index", "IndexID3")]),
        "IndexID3": ComplexType(attributes: ["name": required(.string)], children: [many("artist", "ArtistID3")]),
        "ArtistID3": ComplexType(attributes: artistID3),
        "ArtistWithAlbumsID3": ComplexType(attributes: artistID3, children: [many("album", "AlbumID3")]),
        "AlbumID3": ComplexType(attributes: albumID3),
        "AlbumWithSongsID3": ComplexType(attributes: albumID3, children: [many("song", "Child")]),
        "Directory": ComplexType(attributes: ["id": required(.string), "parent": optional(.string), "name": required(.string),
                                              "starred": optional(.dateTime), "userRating": optional(.userRating),
                                              "averageRating": optional(.averageRating), "playCount": optional(.long)],
                                 children: [many("child", "Child")]),
        "Child": ComplexType(attributes: child),
        "SearchResult3": ComplexType(children: [many("artist", "ArtistID3"), many("album", "AlbumID3"), many("song", "Child")]),
        "Playlists": ComplexType(children: [many("playlist", "Playlist")]),
        "Playlist": ComplexType(attributes: playlist, children: [text("allowedUser", many: true)]),
        "PlaylistWithSongs": ComplexType(attributes: playlist, children: [text("allowedUser", many: true), many("entry", "Child")]),
        "AlbumList2": ComplexType(children: [many("album", "AlbumID3")]),
        "Songs": ComplexType(children: [many("song", "Child")]),
        "Starred2": ComplexType(children: [many("artist", "ArtistID3"), many("album", "AlbumID3"), many("song", "Child")]),
        "AlbumInfo": ComplexType(children: [text("notes")] + imageURLs),
        "ArtistInfo2": ComplexType(children: [text("biography")] + imageURLs + [many("similarArtist", "ArtistID3")]),
        "License": ComplexType(attributes: ["valid": required(.boolean), "email": optional(.string), "licenseExpires": optional(.dateTime),
                                            "trialExpires": optional(.dateTime)]),
        "User": ComplexType(attributes: [
            "username": required(.string), "email": optional(.string), "scrobblingEnabled": required(.boolean), "maxBitRate": optional(.int),
            "adminRole": required(.boolean), "settingsRole": required(.boolean), "downloadRole": required(.boolean),
            "uploadRole": required(.boolean), "playlistRole": required(.boolean), "coverArtRole": required(.boolean),
            "commentRole": required(.boolean), "podcastRole": required(.boolean), "streamRole": required(.boolean),
            "jukeboxRole": required(.boolean), "shareRole": required(.boolean), "videoConversionRole": required(.boolean),
            "avatarLastChanged": optional(.dateTime),
        ], children: [text("folder", .int, many: true)]),
        "Error": ComplexType(attributes: ["code": required(.int), "message": optional(.string)]),
        // OpenSubsonic.
        "OpenSubsonicExtension": ComplexType(attributes: ["name": required(.string)], children: [text("versions", .int, many: true)]),
        "TokenInfo": ComplexType(attributes: ["username": required(.string)]),
        "LyricsList": ComplexType(children: [many("structuredLyrics", "StructuredLyrics")]),
        "StructuredLyrics": ComplexType(attributes: ["lang": required(.string), "synced": required(.boolean), "displayArtist": optional(.string),
                                                     "displayTitle": optional(.string), "offset": optional(.long)],
                                        children: [many("line", "Line")]),
        "Line": ComplexType(attributes: ["start": optional(.long)], mixed: true),
    ]

    static func valid(_ text: String, _ type: Simple) -> Bool {
        switch type {
        case .string: return true
        case .int: return Int32(text) != nil
        case .long: return Int64(text) != nil
        case .boolean: return ["true", "false", "1", "0"].contains(text)
        case .double: return Double(text) != nil
        case .dateTime: return text.range(of: #"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"#, options: .regularExpression) != nil
        case .status: return text == "ok" || text == "failed"
        case .version: return text.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil
        case .mediaType: return ["music", "podcast", "audiobook", "video"].contains(text)
        case .userRating: return Int32(text).map { (1...5).contains($0) } ?? false
        case .averageRating: return Double(text).map { (1.0...5.0).contains($0) } ?? false
        }
    }

    // MARK: XML

    /// A parsed XML element.
    final class Node {
        let name: String
        let namespace: String?
        let attributes: [String: String]
        var children: [Node] = []
        var text = ""

        init(name: String, namespace: String?, attributes: [String: String]) {
            self.name = name
            self.namespace = namespace
            self.attributes = attributes
        }
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Node] = []
        var root: Node?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let node = Node(name: elementName, namespace: namespaceURI, attributes: attributes)
            stack.last?.children.append(node)
            if root == nil { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }

    static func parse(_ xml: Data) -> Node? {
        let parser = XMLParser(data: xml)
        parser.shouldProcessNamespaces = true
        let builder = TreeBuilder()
        parser.delegate = builder
        guard parser.parse() else { return nil }
        return builder.root
    }

    /// Every way `xml` departs from the schema (empty: valid).
    static func check(xml: Data) -> [String] {
        guard let root = parse(xml) else { return ["not well-formed XML: \(String(decoding: xml.prefix(200), as: UTF8.self))"] }
        guard root.name == "subsonic-response" else { return ["the root is <\(root.name)>, not <subsonic-response>"] }
        var problems: [String] = []
        check(root, type: "Response", path: "subsonic-response", choice: true, into: &problems)
        return problems
    }

    private static func check(_ node: Node, type typeName: String, path: String, choice: Bool = false, into problems: inout [String]) {
        guard let type = types[typeName] else { return problems.append("\(path): no rules for type \(typeName)") }
        if node.namespace != "http://subsonic.org/restapi" { problems.append("\(path): namespace \(node.namespace ?? "none")") }
        for (name, value) in node.attributes where !name.hasPrefix("xmlns") {
            guard let rule = type.attributes[name] else {
                problems.append("\(path): attribute \(name) is not in \(typeName)")
                continue
            }
            if !valid(value, rule.type) { problems.append("\(path)/@\(name): '\(value)' is not a valid \(rule.type)") }
        }
        for (name, rule) in type.attributes where rule.required && node.attributes[name] == nil {
            problems.append("\(path): required attribute \(name) of \(typeName) is missing")
        }
        if !type.mixed && !node.text.allSatisfy(\.isWhitespace) && type.children.allSatisfy({ $0.type != nil }) && !type.children.isEmpty {
            problems.append("\(path): text in an element of \(typeName), which has element content only")
        }
        if choice {
            let names = Set(node.children.map(\.name))
            if names.count > 1 { problems.append("\(path): a choice of one payload, got \(names.sorted())") }
        }
        var position = 0
        var counts: [String: Int] = [:]
        for child in node.children {
            guard let index = type.children.firstIndex(where: { $0.name == child.name }) else {
                problems.append("\(path): element \(child.name) is not allowed in \(typeName)")
                continue
            }
            if !choice && index < position { problems.append("\(path): element \(child.name) out of sequence order in \(typeName)") }
            position = max(position, index)
            let rule = type.children[index]
            counts[child.name, default: 0] += 1
            if !rule.many && counts[child.name]! > 1 { problems.append("\(path): more than one \(child.name) in \(typeName)") }
            if let childType = rule.type {
                check(child, type: childType, path: path + "/" + child.name, into: &problems)
            } else if !valid(child.text, rule.simple) {
                problems.append("\(path)/\(child.name): '\(child.text)' is not a valid \(rule.simple)")
            }
        }
    }

    // MARK: JSON

    /// A JSON value as the text has it (JSONDecoder decodes a Bool only from true/false and
    /// an integer only from a number, so types are told apart exactly).
    indirect enum JSON: Decodable {
        case null, bool(Bool), int(Int64), double(Double), string(String), array([JSON]), object([String: JSON])

        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var items: [JSON] = []
                while !array.isAtEnd { items.append(try array.decode(JSON.self)) }
                self = .array(items)
                return
            }
            if let object = try? decoder.container(keyedBy: Key.self) {
                var members: [String: JSON] = [:]
                for key in object.allKeys { members[key.stringValue] = try object.decode(JSON.self, forKey: key) }
                self = .object(members)
                return
            }
            let value = try decoder.singleValueContainer()
            if value.decodeNil() { self = .null }
            else if let flag = try? value.decode(Bool.self) { self = .bool(flag) }
            else if let number = try? value.decode(Int64.self) { self = .int(number) }
            else if let number = try? value.decode(Double.self) { self = .double(number) }
            else { self = .string(try value.decode(String.self)) }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    /// Every way a JSON response departs from the same types (empty: valid).
    static func check(json: Data) -> [String] {
        guard case .object(let object)? = try? JSONDecoder().decode(JSON.self, from: json), case .object(let envelope)? = object["subsonic-response"] else {
            return ["not a JSON object with subsonic-response: \(String(decoding: json.prefix(200), as: UTF8.self))"]
        }
        var problems: [String] = []
        check(envelope, type: "Response", path: "subsonic-response", into: &problems)
        return problems
    }

    private static func check(_ object: [String: JSON], type typeName: String, path: String, into problems: inout [String]) {
        guard let type = types[typeName] else { return problems.append("\(path): no rules for type \(typeName)") }
        for (key, value) in object {
            if case .null = value { problems.append("\(path).\(key): null"); continue }
            if let rule = type.attributes[key] {
                checkJSONValue(value, rule.type, path: "\(path).\(key)", into: &problems)
            } else if let child = type.children.first(where: { $0.name == key }) {
                let items: [JSON]
                if child.many {
                    guard case .array(let array) = value else { problems.append("\(path).\(key): not an array"); continue }
                    items = array
                } else {
                    if case .array = value { problems.append("\(path).\(key): an array where the schema allows one"); continue }
                    items = [value]
                }
                for (index, item) in items.enumerated() {
                    let itemPath = child.many ? "\(path).\(key)[\(index)]" : "\(path).\(key)"
                    if let childType = child.type {
                        guard case .object(let member) = item else { problems.append("\(itemPath): not an object"); continue }
                        check(member, type: childType, path: itemPath, into: &problems)
                    } else {
                        checkJSONValue(item, child.simple, path: itemPath, into: &problems)
                    }
                }
            } else if key == "value" && type.mixed {
                if case .string = value {} else { problems.append("\(path).value: not a string") }
            } else {
                problems.append("\(path): member \(key) is not in \(typeName)")
            }
        }
        for (name, rule) in type.attributes where rule.required && object[name] == nil {
            problems.append("\(path): required member \(name) of \(typeName) is missing")
        }
    }

    private static func checkJSONValue(_ value: JSON, _ type: Simple, path: String, into problems: inout [String]) {
        switch (type, value) {
        case (.int, .int(let number)), (.long, .int(let number)), (.userRating, .int(let number)):
            if !valid(String(number), type) { problems.append("\(path): \(number) is out of the range of \(type)") }
        case (.double, .int), (.averageRating, .int), (.double, .double), (.averageRating, .double):
            break
        case (.boolean, .bool):
            break
        case (.int, _), (.long, _), (.userRating, _), (.double, _), (.averageRating, _), (.boolean, _):
            problems.append("\(path): \(value) is not of type \(type)")
        case (_, .string(let text)):
            if type == .dateTime && !text.hasSuffix("Z") { problems.append("\(path): \(text) is not in UTC with Z") }
            if !valid(text, type) { problems.append("\(path): '\(text)' is not a valid \(type)") }
        default:
            problems.append("\(path): \(value) is not a string")
        }
    }
}
