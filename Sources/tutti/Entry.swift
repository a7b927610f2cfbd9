import ArgumentParser
import NIOCore
import NIOPosix

@main
enum Entry {
    static func main() async {
        // Swift Concurrency runs on NIO's event loop threads, so a request's handler and its
        // I/O share a thread instead of hopping between the cooperative pool and the event
        // loops. Blocking work must therefore stay off async code: it goes to thread pools.
        // Only the server needs it; other commands (transcode above all) keep their memory small.
        if CommandLine.arguments.dropFirst().first == "serve" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Tutti.main()
    }
}
