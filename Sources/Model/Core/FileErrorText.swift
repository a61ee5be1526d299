// FileErrorText: an error from the file system as one short line for a user ("No such file or
// directory"), instead of Foundation's "The operation could not be completed" or its NSError dump.
import Foundation

extension Error {
    /// The operating system's words when the error carries an errno (itself, or as the underlying
    /// error of a Foundation file error); else its localized description for Foundation and
    /// `LocalizedError` errors, and its own description for the rest.
    public var fileErrorText: String {
        let error = self as NSError
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        for candidate in [error, underlying].compactMap({ $0 })
        where candidate.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(candidate.code)))
        }
        if self is LocalizedError || error.domain == NSCocoaErrorDomain { return error.localizedDescription }
        return String(describing: self)
    }
}
