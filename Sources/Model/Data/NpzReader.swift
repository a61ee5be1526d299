// NpzReader: reads named arrays out of .npz archives (zip files of .npy members, as numpy.savez
// and numpy.savez_compressed write them) and whole .npy files, opening each archive once.

/// Reads the arrays a dataset names, keeping each .npz archive's directory open for the next array.
public struct NpzReader {
    private var archives: [String: ZipArchive] = [:]

    /// Creates a reader with no archive open.
    public init() {}

    /// The array `file` refers to: the whole .npy file when `file.name` is nil, otherwise the
    /// member `NAME.npy` (or `NAME` itself) of the .npz archive at `file.path`.
    public mutating func read(_ file: DatasetSpec.ArrayFile) throws -> NumpyArray {
        guard let name = file.name else { return try NpyReader.read(path: file.path) }
        let archive: ZipArchive
        if let open = archives[file.path] {
            archive = open
        } else {
            archive = try ZipArchive(bytes: DataFile.readRaw(file.path), file: file.path)
            archives[file.path] = archive
        }
        guard let entry = archive.entries.first(where: { $0.name == name + ".npy" })
            ?? archive.entries.first(where: { $0.name == name }) else {
            let names = Self.arrayNames(archive)
            throw DatasetError(file: file.path, message: "the archive has no array named \"\(name)\"",
                               hint: names.isEmpty ? "the archive holds no .npy arrays"
                                   : "its arrays are: \(names.joined(separator: ", "))")
        }
        return try NpyReader.parse(archive.contents(of: entry), file: file.path, member: name)
    }

    /// The names of the arrays in the .npz archive at `path`, in archive order (member names
    /// without `.npy`).
    public static func arrayNames(path: String) throws -> [String] {
        arrayNames(try ZipArchive(bytes: DataFile.readRaw(path), file: path))
    }

    private static func arrayNames(_ archive: ZipArchive) -> [String] {
        archive.entries.filter { $0.name.hasSuffix(".npy") }.map { String($0.name.dropLast(4)) }
    }
}
