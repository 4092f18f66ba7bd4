/** The Temporal task queues: the chains' workflows and local work, the provider's creates, its reads. */
export const WORKFLOW_TASK_QUEUE = 'long-video';
/** Creates: the provider's rate limit is a limit on new generation requests, enforced on this queue. */
export const PROVIDER_TASK_QUEUE = 'long-video-provider';
/** Reads (task polls): their own queue and limit, so that polling never eats into the create budget. */
export const PROVIDER_READ_TASK_QUEUE = 'long-video-provider-reads';
