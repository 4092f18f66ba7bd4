// The workflow bundle's entry point: every workflow the worker runs.
export { longVideo } from './long-video';
export { chainNotification } from './notify';
