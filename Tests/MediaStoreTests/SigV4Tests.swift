import Foundation
@testable import MediaStore
import Testing

/// Signature Version 4 against the values AWS publishes. Every expected string below is
/// copied from the source named above it; nothing here was produced by this code.
@Suite("AWS Signature Version 4: published test vectors")
struct SigV4Tests {
    // MARK: The AWS SigV4 test suite
    // Source: AWS's "Signature Version 4 test suite" (docs.aws.amazon.com/general/latest/gr/
    // signature-v4-test-suite.html), as kept in awslabs/aws-c-auth under
    // tests/aws-signing-test-suite/v4/<name>/ (context.json, request.txt,
    // header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt,
    // header-signed-request.txt, query-*.txt).

    static let suiteCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// context.json: "timestamp": "2015-08-30T12:36:00Z".
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
    static let suiteSigner = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "service")

    @Test("get-vanilla: canonical request, string to sign, signature and Authorization header")
    func getVanilla() {
        let request = SigV4Request(method: "GET", encodedPath: "/", headers: [("Host", "example.amazonaws.com")])
        let signed = Self.suiteSigner.sign(request, payload: .empty, date: Self.suiteDate)
        #expect(signed.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.headers.contains { $0.name == "x-amz-date" && $0.value == "20150830T123600Z" })
    }

    @Test("get-vanilla-query-order-key-case: query parameters sorted by name")
    func getVanillaQueryOrderKeyCase() {
        let request = SigV4Request(
            method: "GET", encodedPath: "/", query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com")])
        let signed = Self.suiteSigner.sign(request, payload: .empty, date: Self.suiteDate)
        #expect(signed.canonicalRequest == """
            GET
            /
            Param1=value1&Param2=value2
            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign.hasSuffix("\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"))
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test("post-x-www-form-urlencoded: a signed body and x-amz-content-sha256 (sign_body: true)")
    func postForm() {
        let body = Array("Param1=value1".utf8)
        let signer = SigV4Signer(credentials: Self.suiteCredentials, region: "us-east-1", service: "service", sendsContentHash: true)
        let request = SigV4Request(method: "POST", encodedPath: "/", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"), ("Content-Length", "13"),
        ])
        let signed = signer.sign(request, payload: .bytes(body), date: Self.suiteDate)
        #expect(signed.canonicalRequest == """
            POST
            /

            content-length:13
            content-type:application/x-www-form-urlencoded
            host:example.amazonaws.com
            x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
            x-amz-date:20150830T123600Z

            content-length;content-type;host;x-amz-content-sha256;x-amz-date
            9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb
            """)
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b")
    }

    @Test("post-x-www-form-urlencoded as the 2015 suite signs it (content-type;host;x-amz-date)")
    func postFormOriginalSuite() {
        // The suite as first published in the AWS General Reference (post-x-www-form-urlencoded.authz)
        // signs three headers and no x-amz-content-sha256.
        let request = SigV4Request(method: "POST", encodedPath: "/", headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Host", "example.amazonaws.com"),
        ])
        let signed = Self.suiteSigner.sign(request, payload: .bytes(Array("Param1=value1".utf8)), date: Self.suiteDate)
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test("get-vanilla presigned (query-canonical-request.txt, query-signature.txt)")
    func getVanillaPresigned() {
        let request = SigV4Request(method: "GET", encodedPath: "/", headers: [("Host", "example.amazonaws.com")])
        // context.json: "expiration_in_seconds": 3600; a non-S3 service signs the empty payload.
        let presigned = Self.suiteSigner.presign(request, expires: 3600, date: Self.suiteDate, payload: .empty)
        #expect(presigned.canonicalRequest == """
            GET
            /
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
            host:example.amazonaws.com

            host
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(presigned.stringToSign.hasSuffix("\nbb7705b4aa3cb8e8f5e1e0b3d4c0b64030797a313c8ceee43e33117cc43eadc5"))
        #expect(presigned.signature == "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d")
    }

    // MARK: Amazon S3 API Reference examples
    // Source: Amazon S3 API Reference, "Signature Calculations for the Authorization Header:
    // Transferring Payload in a Single Chunk (AWS Signature Version 4)" (sig-v4-header-based-auth),
    // section "Examples: Signature Calculations", and "Authenticating Requests: Using Query
    // Parameters" (sigv4-query-string-auth), "An Example". Credentials and date of both pages.

    static let s3Credentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 20130524T000000Z.
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)
    static let s3Signer = SigV4Signer(credentials: s3Credentials, region: "us-east-1", service: "s3")

    @Test("S3 example GET Object: the first 10 bytes of test.txt with Range")
    func s3GetObjectRange() {
        let request = SigV4Request(method: "GET", encodedPath: "/test.txt", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
        ])
        let signed = Self.s3Signer.sign(request, payload: .empty, date: Self.s3Date)
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        // The page writes the header with "," between the parts; S3 accepts both forms.
        #expect(signed.authorization.replacingOccurrences(of: ", ", with: ",") == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("S3 example PUT Object: welcome text under test$file.text, with a storage class")
    func s3PutObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let request = SigV4Request(method: "PUT", encodedPath: "/" + SigV4Encoding.uriEncode("test$file.text", keepingSlashes: true), headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ])
        let signed = Self.s3Signer.sign(request, payload: .bytes(body), date: Self.s3Date)
        #expect(signed.canonicalRequest == """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            """)
        #expect(signed.stringToSign.hasSuffix("\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"))
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("S3 example GET Bucket (List Objects): max-keys=2&prefix=J")
    func s3ListObjects() {
        let request = SigV4Request(method: "GET", encodedPath: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [
            ("Host", "examplebucket.s3.amazonaws.com"),
        ])
        let signed = Self.s3Signer.sign(request, payload: .empty, date: Self.s3Date)
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(signed.stringToSign.hasSuffix("\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"))
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("S3 example presigned URL: GET test.txt for 86400 s")
    func s3PresignedURL() {
        let request = SigV4Request(method: "GET", encodedPath: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let presigned = Self.s3Signer.presign(request, expires: 86_400, date: Self.s3Date)
        #expect(presigned.canonicalRequest == """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """)
        #expect(presigned.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04
            """)
        #expect(presigned.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(presigned.encodedQuery == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    // Source: Amazon S3 API Reference, "Signature Calculations for the Authorization Header:
    // Transferring Payload in Multiple Chunks (Chunked Upload)" (sigv4-streaming), "Example: PUT
    // Object": 66,560 bytes of "a" in a 64 KiB chunk, a 1 KiB chunk and the final empty one.
    @Test("S3 example chunked upload: seed signature and the three chunk signatures")
    func s3StreamingUpload() {
        let decodedLength: Int64 = 66_560
        let encodedLength = SigV4ChunkSigner.encodedLength(ofDecodedLength: decodedLength, chunkLength: 65_536)
        #expect(encodedLength == 66_824)
        let request = SigV4Request(method: "PUT", encodedPath: "/examplebucket/chunkObject.txt", headers: [
            ("Host", "s3.amazonaws.com"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(decodedLength)),
            ("Content-Length", String(encodedLength)),
        ])
        let seed = Self.s3Signer.sign(request, payload: .streaming, date: Self.s3Date)
        #expect(seed.canonicalRequest == """
            PUT
            /examplebucket/chunkObject.txt

            content-encoding:aws-chunked
            content-length:66824
            host:s3.amazonaws.com
            x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            x-amz-date:20130524T000000Z
            x-amz-decoded-content-length:66560
            x-amz-storage-class:REDUCED_REDUNDANCY

            content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class
            STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            """)
        #expect(seed.stringToSign.hasSuffix("\ncee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455"))
        #expect(seed.signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")

        var chunks = SigV4ChunkSigner(signer: Self.s3Signer, seedSignature: seed.signature, date: Self.s3Date)
        let first = [UInt8](repeating: UInt8(ascii: "a"), count: 65_536).withUnsafeBytes { chunks.sign(chunk: $0) }
        let second = [UInt8](repeating: UInt8(ascii: "a"), count: 1_024).withUnsafeBytes { chunks.sign(chunk: $0) }
        let last = [UInt8]().withUnsafeBytes { chunks.sign(chunk: $0) }
        #expect(first == "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
        #expect(second == "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497")
        #expect(last == "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")
        #expect(SigV4ChunkSigner.chunkHeader(length: 65_536, signature: first) == "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
    }

    // MARK: The pieces

    @Test("percent-encoding keeps only the unreserved characters (and slashes in paths)")
    func encoding() {
        #expect(SigV4Encoding.uriEncode("a b+c/d~e_f.g-h*") == "a%20b%2Bc%2Fd~e_f.g-h%2A")
        #expect(SigV4Encoding.uriEncode("media/a b/ü.opus", keepingSlashes: true) == "media/a%20b/%C3%BC.opus")
    }

    @Test("timestamps: formatted in UTC and parsed back")
    func timestamps() {
        #expect(SigV4Encoding.timestamp(Self.suiteDate) == ("20150830T123600Z", "20150830"))
        #expect(SigV4Encoding.timestamp(Date(timeIntervalSince1970: 1_709_164_800.75)) == ("20240229T000000Z", "20240229"))
        #expect(SigV4Encoding.parseTimestamp("20150830T123600Z") == Self.suiteDate)
        #expect(SigV4Encoding.parseTimestamp("2015-08-30T12:36:00Z") == nil)
        #expect(SigV4Encoding.parseTimestamp("20151330T123600Z") == nil)
    }

    @Test("temporary credentials sign and send x-amz-security-token")
    func sessionToken() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "s3cr3t-value", sessionToken: "token/with+chars")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
        let request = SigV4Request(method: "GET", encodedPath: "/k", headers: [("Host", "h")])
        let signed = signer.sign(request, payload: .empty, date: Self.s3Date)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars" })
        let presigned = signer.presign(request, expires: 60, date: Self.s3Date)
        #expect(presigned.encodedQuery.contains("X-Amz-Security-Token=token%2Fwith%2Bchars"))
        #expect(!credentials.description.contains("s3cr3t-value") && !credentials.description.contains("token/"))
    }
}
