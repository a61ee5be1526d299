# Sourced by the scripts: puts swift on PATH and lets mpirun run as root where needed.
[ -x /opt/swift/usr/bin/swift ] && case ":$PATH:" in *:/opt/swift/usr/bin:*) ;; *) export PATH="/opt/swift/usr/bin:$PATH";; esac
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
