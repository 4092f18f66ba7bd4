/** The deliverable activities on a local output folder, run outside a worker, for one media host. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createDeliverableActivities } from '../../src/activities/deliverable';
import { LocalFolderStorage } from '../../src/media/storage';

export const deliverablesIn = (root: string, mediaHost: string) =>
  createDeliverableActivities({
    storage: new LocalFolderStorage(root),
    mediaHosts: new Set([mediaHost]),
    maxBytes: 50_000_000,
    downloadTimeoutMs: 5_000,
  });

/** An activity environment that logs errors only. */
export const quietActivityEnv = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
