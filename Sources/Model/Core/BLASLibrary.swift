// BLASLibrary: which BLAS this process runs — library, version, the core (kernel set) it
// chose and its thread count — as OpenBLAS reports it.
import CBLAS

/// What the loaded OpenBLAS says about itself.
public enum BLASLibrary {
    /// The library's name.
    public static let name = "OpenBLAS"

    /// `openblas_get_config()`, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64`.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The version number from the configuration string, e.g. `0.3.21` (empty when absent).
    public static var version: String {
        let words = configuration.split(separator: " ")
        guard words.count > 1, words[0] == "OpenBLAS" else { return "" }
        return String(words[1])
    }

    /// The kernel set in use (`openblas_get_corename()`), e.g. `SkylakeX` or `Prescott`.
    public static var core: String { String(cString: openblas_get_corename()) }
}
