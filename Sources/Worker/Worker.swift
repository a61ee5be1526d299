// Worker: what each rank runs — data sharding, the training loop, checkpoint save/restore.
import Model
import Collective
