// A share of runs (`"5%"` or 0.05), apart from the schema so the CLI can parse an option without loading zod.
/** "5%" -> 0.05, 0.05 -> 0.05; undefined when it is not a share in (0, 1]. */
export function parseShare(value: unknown): number | undefined {
  let share: number;
  if (typeof value === 'number') share = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(value)) share = Number(value.trim().replace('%', '').trim()) / 100;
  else return undefined;
  return Number.isFinite(share) && share > 0 && share <= 1 ? share : undefined;
}
