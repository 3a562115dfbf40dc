import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the Temporal server at start-up (dev server flags, docker-compose) so runs can be filtered in the UI. */
export const BackupTarget = defineSearchAttributeKey('BackupTarget', SearchAttributeType.KEYWORD);
export const FailureRisk = defineSearchAttributeKey('FailureRisk', SearchAttributeType.KEYWORD);
export const FailureProbability = defineSearchAttributeKey('FailureProbability', SearchAttributeType.DOUBLE);
export const BackupDecision = defineSearchAttributeKey('BackupDecision', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'Double' | 'Int' | 'Bool' | 'Datetime' | 'Text' }> = [
  { name: 'BackupTarget', type: 'Keyword' },
  { name: 'FailureRisk', type: 'Keyword' },
  { name: 'FailureProbability', type: 'Double' },
  { name: 'BackupDecision', type: 'Keyword' },
];
