// Collective: gradient synchronisation across ranks (ring all-reduce over MPI point-to-point).
// The Communicator protocol and its implementations live beside this file.
import CMPI
