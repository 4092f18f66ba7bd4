/**
 * Typed chain operations on a Temporal client, for the CLI and any back end: no printing, no exit codes.
 * Refusals are `ChainNotFound` and `ChainRequestRefused`; anything else is a failure.
 */
export { connectClient } from './connect';
export { chainStartOptions, newChainId, startChain } from './start';
export {
  CHAIN_STATES,
  type ChainListing,
  type FollowUntil,
  chainProgress,
  followChain,
  listChains,
} from './progress';
export {
  type CancelOutcome,
  type ResumeOutcome,
  appendChain,
  approveChain,
  cancelChain,
  pauseChain,
  redoChain,
  resumeChain,
  startNextRun,
} from './control';
export { ChainNotFound, ChainRequestRefused } from './errors';
