// HardwareExports: Model passes the Hardware module on, so Model's layers and everything that
// imports Model see `CPUInfo` (the one /proc/cpuinfo reader, shared with Collective) as before.
@_exported import Hardware
