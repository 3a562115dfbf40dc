import type { ActivityDeps } from '../deps.js';
import { createModelMonitorActivities } from './monitor.js';
import { createModelRegistryActivities } from './registry.js';
import { trainModelCandidate, type TrainModelCandidateInput } from './training.js';

/** Activities of the failure-model lifecycle (training, promotion, rollback); see workflows/models.ts. */
export function createModelActivities(deps: ActivityDeps) {
  return {
    trainModelCandidate: (input: TrainModelCandidateInput) => trainModelCandidate(deps, input),
    ...createModelRegistryActivities(deps),
    ...createModelMonitorActivities(deps),
  };
}
