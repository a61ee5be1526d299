// Placeholder so the test target builds until its real tests land.
import Testing
