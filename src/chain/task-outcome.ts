/** What the provider said about a finished task: from the chain's read (a poll, or one a callback led to). */
export interface TaskOutcome {
  taskId: string;
  state: 'success' | 'fail';
  /** The task it extends ('' for a generation); absent when the provider does not say. */
  parentTaskId?: string;
  /** The prompt it was made from; absent when the provider does not say. */
  prompt?: string;
  videoUrl?: string;
  imageUrl?: string;
  failCode?: string;
  failMsg?: string;
}
