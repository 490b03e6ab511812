// torch.distributed: the default process group and its collectives (c10d with Gloo; NCCL where built).
// DistributedSampler lives with the data pipeline: data.DistributedSampler.
export {
  initProcessGroup,
  destroyProcessGroup,
  isInitialized,
  isGlooAvailable,
  isNcclAvailable,
  getRank,
  getWorldSize,
  getBackend,
  getNodeLocalRank,
  allReduce,
  broadcast,
  allGather,
  barrier,
  ReduceOp,
  type Backend,
  type InitOptions,
} from './process-group.js';
