import CVips
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// libvips, started once per process and used by one caller at a time.
///
/// libvips keeps its error messages in one process-wide buffer, so two renders at once could
/// read each other's errors: every call into it goes through `run`, which holds a lock. The
/// server renders in a child process per image, so the lock only ever serialises tests.
enum Vips {
    private static let lock = Mutex<Void>(())

    /// VIPS_INIT, then every loader blocked but JPEG, PNG and WebP: even a file that got past
    /// the sniffing cannot reach the SVG, PDF, ImageMagick or other loaders.
    private static let started: Result<Void, ImageError> = {
        // libvips 8.14 loads every module in its module folder at start (the PDF, ImageMagick,
        // HEIF, JPEG XL and OpenSlide loaders); `tutti image` keeps them out by setting
        // VIPSHOME (see ``ImageRenderer/environment``) before anything starts. Not here: a
        // setenv while another thread starts a process (which copies the environment)
        // crashed the test process once.
        // libvips decodes on several threads, and glibc gives each thread its own malloc arena
        // with 64 MiB of reserved address space: with a memory limit on the process that
        // reservation alone fails. Two arenas are plenty for one image. (Process-wide: ImageCore
        // is meant to run in the `tutti image` child.)
        _ = tutti_malloc_arena_max(2)
        // Each libvips worker would reserve the default 8 MiB of stack; a busy machine makes
        // libvips start more workers, and their stacks count against the limit too. They need
        // far less than 2 MiB.
        _ = tutti_default_thread_stack(2 << 20)
        guard tutti_vips_init("tutti") == 0 else {
            return .failure(.processing(detail: "libvips did not start: \(takeError())"))
        }
        vips_block_untrusted_set(1)
        vips_operation_block_set("VipsForeignLoad", 1)
        for loader in ["VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp"] {
            vips_operation_block_set(loader, 0)
        }
        // One-shot renders: caching operations would only hold memory.
        vips_cache_set_max(0)
        // Warnings (a damaged file's details) go to the error Tutti reports, not to stderr,
        // so the command prints one line.
        g_log_set_handler("VIPS", GLogLevelFlags(rawValue: G_LOG_LEVEL_WARNING.rawValue | G_LOG_LEVEL_MESSAGE.rawValue | G_LOG_LEVEL_INFO.rawValue), { _, _, _, _ in }, nil)
        return .success(())
    }()

    /// Runs `body` with libvips started and the lock held.
    static func run<T>(_ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        try started.get()
        return try lock.withLock { _ throws(ImageError) -> T in
            vips_error_clear()
            return try body()
        }
    }

    /// The first line of libvips's error buffer, which is then cleared.
    static func takeError() -> String {
        let text = vips_error_buffer().map { String(cString: $0) } ?? ""
        vips_error_clear()
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "libvips gave no reason" : line
    }
}

/// One reference to a libvips image, released with it.
final class VipsImageRef {
    let pointer: UnsafeMutablePointer<VipsImage>

    init(_ pointer: UnsafeMutablePointer<VipsImage>) { self.pointer = pointer }

    deinit { g_object_unref(pointer) }

    var width: Int { Int(vips_image_get_width(pointer)) }
    var height: Int { Int(vips_image_get_height(pointer)) }
    var bands: Int { Int(vips_image_get_bands(pointer)) }
    var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }
    var interpretation: VipsInterpretation { vips_image_get_interpretation(pointer) }
    var bandFormat: VipsBandFormat { vips_image_get_format(pointer) }

    /// Runs a libvips operation that makes a new image from this one.
    func apply(_ failure: (String) -> ImageError, _ operation: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) throws(ImageError) -> VipsImageRef {
        var out: UnsafeMutablePointer<VipsImage>?
        guard operation(pointer, &out) == 0, let out else { throw failure(Vips.takeError()) }
        return VipsImageRef(out)
    }

    /// Saves with a libvips `*save_buffer` call; the bytes are copied out and libvips's freed.
    func save(_ operation: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>) -> Int32) throws(ImageError) -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard operation(pointer, &buffer, &length) == 0, let buffer else {
            throw .processing(detail: Vips.takeError())
        }
        defer { g_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}
