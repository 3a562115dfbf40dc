/**
 * Risk bands: low < 0.3 <= medium < threshold <= high < 0.8 <= critical.
 * The gate branches on probability > threshold, so a run exactly at the threshold is labelled `high` yet proceeds.
 */
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

export const MEDIUM_FROM = 0.3;
export const CRITICAL_FROM = 0.8;

export function riskLevel(probability: number, threshold: number): RiskLevel {
  if (probability >= CRITICAL_FROM) return 'critical';
  if (probability >= threshold) return 'high';
  if (probability >= MEDIUM_FROM) return 'medium';
  return 'low';
}

export function isHighRisk(probability: number, threshold: number): boolean {
  return probability > threshold;
}
