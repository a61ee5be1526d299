// FileErrorText: an error from the file system as one short line for a user ("No such file or
// directory"), instead of Foundation's "The operation could not be completed" or its NSError dump.
import Foundation

extension Error {
    /// The errno this error carries, itself or as the underlying error of a Foundation file
    /// error; nil for other errors.
    public var posixCode: Int32? {
        let error = self as NSError
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        return [error, underlying].compactMap { $0 }.first { $0.domain == NSPOSIXErrorDomain }.map { Int32($0.code) }
    }

    /// The operating system's words when the error carries an errno (`posixCode`); else its
    /// localized description for Foundation and `LocalizedError` errors, and its own description
    /// for the rest.
    public var fileErrorText: String {
        if let code = posixCode { return String(cString: strerror(code)) }
        let error = self as NSError
        if self is LocalizedError || error.domain == NSCocoaErrorDomain { return error.localizedDescription }
        return String(describing: self)
    }
}
