/**
 * Removes credentials from free text (error messages, command output) before it is logged, stored or returned:
 * passwords embedded in URLs and `password=...` style pairs.
 */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]*@/gi;
const KEY_VALUE_SECRETS = /\b(password|passwd|pwd|secret|token|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi;

export function redactSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:***@').replace(KEY_VALUE_SECRETS, '$1$2***');
}

/** A connection URL safe to show: the password replaced by `***`. Unparseable input is redacted as text. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return redactSecrets(url);
  }
}
