export { createProviderActivities, type ProviderDeps, type SubmitInput, type SubmitResult } from './provider';
