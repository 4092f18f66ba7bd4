/** Activity failure types the workflow tells apart. */
export const FailureTypes = {
  /** A create may have made a paid task whose id we do not have. */
  AmbiguousCreate: 'AmbiguousCreate',
  InsufficientCredits: 'InsufficientCreditsError',
  TaskNotFinished: 'TaskNotFinished',
  /** The provider's answer about a task could not be read (a field the chain needs is missing or wrong). */
  UnreadableAnswer: 'UnreadableAnswer',
  /** The official API's first frame (text_to_image) ended without an image. */
  FirstFrameFailed: 'FirstFrameFailed',
  /**
   * The chain was cancelled once the official API's first frame (text_to_image) was made: the image is
   * paid for, no video was sent. Its details name the image's task.
   */
  FirstFrameWithoutVideo: 'FirstFrameWithoutVideo',
  /** The worker has no key for the chain's provider. */
  ProviderNotConfigured: 'ProviderNotConfigured',
} as const;
