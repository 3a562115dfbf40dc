/**
 * A value as validation problems quote it: short JSON for scalars, "a list" / "an object" for the rest.
 * JSON.stringify alone throws on bigints and cycles and overflows the stack on deep nesting (thrown from workflow
 * code, that is a task failure Temporal retries forever), and would echo megabytes of input into the message.
 * Pure: safe in workflow code.
 */
const MAX_QUOTED_CHARS = 60;

export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  const text = JSON.stringify(typeof value === 'string' ? value.slice(0, MAX_QUOTED_CHARS + 1) : value) ?? typeof value;
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}...` : text;
}
