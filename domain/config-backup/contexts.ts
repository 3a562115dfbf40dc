/**
 * Associated-data contexts: the identity an envelope is bound to. Opening an envelope with any other context fails
 * authentication, so a ciphertext cannot be moved from one item (or content address) to another.
 *
 * Content-addressed payloads are bound to their address, not to the item, because identical content from two
 * items is stored once. Per-item envelopes (file metadata, sensitive env values) are bound to the item.
 */

/** A stored payload object (`<dir>/objects/ab/<hash>`). */
export function payloadContext(contentHash: string): string {
  return `payload:${contentHash}`;
}

/** A sensitive environment variable's value, by its full name (prefix included). */
export function envContext(name: string): string {
  return `env:${name}`;
}

/** The sealed metadata (mode, owner, mtime, size) of a configuration file, by its absolute path. */
export function fileContext(path: string): string {
  return `file:${path}`;
}

/** An application configuration given as data. */
export function appContext(appName: string): string {
  return `app:${appName}`;
}
