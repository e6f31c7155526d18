import Foundation

/// One array of a NumPy `.npz` archive: its dtype, shape and little-endian bytes.
struct NumpyArray {
    /// NumPy's type string, e.g. `<f8`, `<i8`, `|b1`, `<U12`.
    var dtype: String
    var shape: [Int]
    var data: [UInt8]

    init(doubles values: [Double], shape: [Int]) {
        dtype = "<f8"
        self.shape = shape
        data = []
        data.reserveCapacity(8 * values.count)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
    }

    init(integers values: [Int64]) {
        dtype = "<i8"
        shape = [values.count]
        data = []
        for value in values { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
    }

    init(unsigned values: [UInt64]) {
        dtype = "<u8"
        shape = [values.count]
        data = []
        for value in values { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
    }

    init(booleans values: [Bool]) {
        dtype = "|b1"
        shape = [values.count]
        data = values.map { $0 ? 1 : 0 }
    }

    /// A 0-d Unicode array (NumPy stores UTF-32 code points).
    init(text: String) {
        let scalars = Array(text.unicodeScalars)
        dtype = "<U\(max(1, scalars.count))"
        shape = []
        data = []
        for scalar in scalars { withUnsafeBytes(of: scalar.value.littleEndian) { data += $0 } }
        if scalars.isEmpty { data = [0, 0, 0, 0] }
    }

    /// The `.npy` file (format version 1.0): magic, header dictionary padded to 64 bytes, data.
    var npy: [UInt8] {
        let shapeText = shape.isEmpty ? "()" : shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { bytes += $0 }
        return bytes + Array(header.utf8) + data
    }
}

/// Why an archive cannot be written.
enum NumpyArchiveError: Error, CustomStringConvertible {
    case tooLarge(bytes: Int)
    case tooManyArrays(Int)
    case io(path: String, reason: String)

    var description: String {
        switch self {
        case let .tooLarge(bytes): return "the archive would hold \(bytes) bytes; an .npz without ZIP64 holds less than 4 GiB (export fewer steps)"
        case let .tooManyArrays(count): return "\(count) arrays; an .npz without ZIP64 holds at most 65,535"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}

/// Writes `arrays` as a NumPy `.npz`: a ZIP archive of `<name>.npy` files, stored (uncompressed).
func writeNumpyArchive(_ arrays: [(name: String, array: NumpyArray)], to path: String) throws {
    guard arrays.count < 65_535 else { throw NumpyArchiveError.tooManyArrays(arrays.count) }
    var archive: [UInt8] = [], directory: [UInt8] = []
    func u16(_ v: Int, _ out: inout [UInt8]) { withUnsafeBytes(of: UInt16(v).littleEndian) { out += $0 } }
    func u32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    for (name, array) in arrays {
        let file = array.npy, fileName = Array((name + ".npy").utf8)
        let offset = archive.count
        guard offset + file.count + 128 < Int(UInt32.max) else { throw NumpyArchiveError.tooLarge(bytes: offset + file.count) }
        let crc = crc32(file)
        // Local file header: version 2.0, no flags, stored, 1980-01-01 00:00.
        u32(0x0403_4B50, &archive); u16(20, &archive); u16(0, &archive); u16(0, &archive); u16(0, &archive); u16(0x21, &archive)
        u32(crc, &archive); u32(UInt32(file.count), &archive); u32(UInt32(file.count), &archive)
        u16(fileName.count, &archive); u16(0, &archive)
        archive += fileName + file
        // Its central directory entry.
        u32(0x0201_4B50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
        u16(0, &directory); u16(0x21, &directory)
        u32(crc, &directory); u32(UInt32(file.count), &directory); u32(UInt32(file.count), &directory)
        u16(fileName.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
        u32(0, &directory); u32(UInt32(offset), &directory)
        directory += fileName
    }
    let directoryOffset = archive.count
    guard directoryOffset + directory.count + 22 < Int(UInt32.max) else { throw NumpyArchiveError.tooLarge(bytes: directoryOffset + directory.count) }
    archive += directory
    u32(0x0605_4B50, &archive); u16(0, &archive); u16(0, &archive); u16(arrays.count, &archive); u16(arrays.count, &archive)
    u32(UInt32(directory.count), &archive); u32(UInt32(directoryOffset), &archive); u16(0, &archive)
    guard FileManager.default.createFile(atPath: path, contents: Data(archive)) else {
        throw NumpyArchiveError.io(path: path, reason: "cannot write the file")
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as ZIP requires.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return ~crc
}

private let crc32Table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
