// Coordinator: configuration (cluster.yaml), launching, sweeps, results and reports.
import Model
import Worker
import Yams
