/**
 * The chain's search attributes: what the Web UI and `long-video list` filter on. Registered on the dev
 * server at start and by the production stack; importable from workflow code.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** running | completed | cancelled | failed (and paused, later). */
export const LongVideoState = defineSearchAttributeKey('LongVideoState', SearchAttributeType.KEYWORD);
export const LongVideoSegmentsDone = defineSearchAttributeKey(
  'LongVideoSegmentsDone',
  SearchAttributeType.INT,
);
export const LongVideoSegmentsTotal = defineSearchAttributeKey(
  'LongVideoSegmentsTotal',
  SearchAttributeType.INT,
);

/** For `temporal server start-dev --search-attribute NAME=TYPE` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTES = [
  { name: LongVideoState.name, type: 'Keyword' },
  { name: LongVideoSegmentsDone.name, type: 'Int' },
  { name: LongVideoSegmentsTotal.name, type: 'Int' },
] as const;
