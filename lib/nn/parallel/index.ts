// nn.parallel: data-parallel training over torch.distributed's process group.
export { DistributedDataParallel, bucketAssignment, type DistributedDataParallelOptions } from './distributed.js';
