/**
 * Format detection and parsing of configuration files into flat key -> value maps.
 *
 * Parsing only feeds the redacted view used for listing and diffing; the backup itself is always the original
 * bytes, so a file that does not parse is still backed up, as text, with a warning. Parser error messages are
 * never copied into warnings: yaml, js-yaml, smol-toml and JSON.parse quote the offending source line, which may hold a
 * secret. Warnings carry only the format, an error code and a position.
 *
 * Not workflow-safe: `dotenv` imports node:fs/os/crypto at load time. Import from activities only.
 */
import dotenv from 'dotenv';
import ini from 'ini';
import { parse as parseToml, TomlError } from 'smol-toml';
import jsYaml from 'js-yaml';
import { Composer, LineCounter } from 'yaml';
import { YamlNestingError, yamlTokensWithinNesting } from '../settings/yaml-nesting.js';
import { flattenConfig, leafValue } from './flatten.js';
import type { ConfigFormat, FlatMap } from './types.js';

export const CONFIG_FORMATS: readonly ConfigFormat[] = ['yaml', 'json', 'ini', 'env', 'toml', 'text'];

const EXTENSION_FORMATS: Readonly<Record<string, ConfigFormat>> = {
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  ini: 'ini',
  cfg: 'ini',
  cnf: 'ini',
  toml: 'toml',
  env: 'env',
};

const FORMAT_LABELS: Readonly<Record<ConfigFormat, string>> = {
  yaml: 'YAML',
  json: 'JSON',
  ini: 'INI',
  env: '.env',
  toml: 'TOML',
  text: 'text',
};

/**
 * The format of a file: `explicit` when given, else from the file name (`.env`, `.env.production` and `app.env`
 * are dotenv; `.yaml/.yml`, `.json`, `.toml`, `.ini/.cfg/.cnf` by extension); anything else (nginx.conf, ...) is text.
 */
export function detectFormat(fileName: string, explicit?: ConfigFormat): ConfigFormat {
  if (explicit !== undefined) {
    if (!CONFIG_FORMATS.includes(explicit)) throw new RangeError(`unknown config format "${String(explicit)}"`);
    return explicit;
  }
  const base = (fileName.split(/[\\/]/).pop() ?? '').toLowerCase();
  if (base === '.env' || base.startsWith('.env.')) return 'env';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'text';
  return EXTENSION_FORMATS[base.slice(dot + 1)] ?? 'text';
}

export type ParseResult =
  | { kind: 'map'; format: Exclude<ConfigFormat, 'text'>; entries: FlatMap; warnings: string[] }
  | { kind: 'text'; format: 'text'; text: string; warnings: string[] };

/** Decodes file bytes as UTF-8 (BOM dropped); invalid sequences become U+FFFD with a warning. */
export function decodeText(bytes: Uint8Array): { text: string; warnings: string[] } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), warnings: [] };
  } catch {
    return {
      text: new TextDecoder('utf-8').decode(bytes),
      warnings: ['file is not valid UTF-8; the redacted view shows replacement characters (the backup keeps the exact bytes)'],
    };
  }
}

/** Parses `text` as `format` into a flat map, or falls back to text with a warning explaining why. */
export function parseConfig(text: string, format: ConfigFormat): ParseResult {
  if (format === 'text') return { kind: 'text', format: 'text', text, warnings: [] };
  const attempt = PARSERS[format](text);
  if (attempt.ok) return { kind: 'map', format, entries: attempt.entries, warnings: [] };
  return {
    kind: 'text',
    format: 'text',
    text,
    warnings: [`could not parse as ${FORMAT_LABELS[format]} (${attempt.why}); backed up and shown as text`],
  };
}

type Attempt = { ok: true; entries: FlatMap } | { ok: false; why: string };
type Parser = (text: string) => Attempt;

const PARSERS: Readonly<Record<Exclude<ConfigFormat, 'text'>, Parser>> = {
  yaml: parseYaml,
  json: parseJson,
  ini: (text) => ({ ok: true, entries: flattenConfig(ini.parse(text)) }),
  env: parseEnv,
  toml: parseTomlText,
};

function structured(root: unknown): Attempt {
  if (root === null || root === undefined) return { ok: true, entries: Object.create(null) as FlatMap };
  if (typeof root !== 'object') return { ok: false, why: 'top level is a single value, not a mapping or list' };
  return { ok: true, entries: flattenConfig(root) };
}

/**
 * YAML through js-yaml first: about nine times faster than the `yaml` package on plain configuration (the config
 * benchmark's main cost). js-yaml shares aliased nodes instead of copying them and has no expansion limit, so an
 * alias bomb would explode in flattening: text that may hold anchors or aliases, or that js-yaml cannot handle
 * (e.g. nesting deeper than its recursion allows), goes to the `yaml` package, which caps alias expansion.
 */
function parseYaml(text: string): Attempt {
  if (!MAY_HOLD_ANCHOR_OR_ALIAS.test(text)) {
    try {
      const roots = jsYaml.loadAll(text, null, { schema: jsYaml.CORE_SCHEMA });
      return structured(roots.length <= 1 ? roots[0] : roots);
    } catch (error) {
      if (error instanceof jsYaml.YAMLException) return { ok: false, why: jsYamlReason(error) };
    }
  }
  return parseYamlGuarded(text);
}

/** `&anchor` or `*alias` as a token (start of line, after blank space or a flow indicator). Over-matching is harmless. */
const MAY_HOLD_ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,[\]{}]/m;

/** js-yaml's reason and position; a reason that quotes source text (tag or alias names) is replaced by a generic one. */
function jsYamlReason(error: jsYaml.YAMLException): string {
  const reason = /^[a-z][a-z ,()-]*$/i.test(error.reason ?? '') ? error.reason : 'invalid YAML';
  const mark = error.mark as { line?: number; column?: number } | undefined;
  return typeof mark?.line === 'number' && typeof mark.column === 'number' ? `${reason} at line ${mark.line + 1}, column ${mark.column + 1}` : reason;
}

/** YAML.parseAllDocuments, split in two so nesting deeper than the yaml package survives is refused in between. */
function parseYamlGuarded(text: string): Attempt {
  const lineCounter = new LineCounter();
  let tokens;
  try {
    tokens = yamlTokensWithinNesting(text, lineCounter);
  } catch (error) {
    if (!(error instanceof YamlNestingError)) throw error;
    const at = lineCounter.linePos(error.offset);
    return { ok: false, why: `${error.message} at line ${at.line}, column ${at.col}` };
  }
  const documents = Array.from(new Composer({ uniqueKeys: true }).compose(tokens));
  const roots: unknown[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const at = lineCounter.linePos(error.pos[0]);
      return { ok: false, why: `${error.code} at line ${at.line}, column ${at.col}` };
    }
    try {
      roots.push(document.toJS({ maxAliasCount: 100 }));
    } catch {
      return { ok: false, why: 'too many alias expansions' };
    }
  }
  // A multi-document stream (Kubernetes manifests) is a list of documents: paths start with [0], [1], ...
  return structured(roots.length <= 1 ? roots[0] : roots);
}

function parseJson(text: string): Attempt {
  try {
    return structured(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    if (text.trim() === '') return { ok: false, why: 'empty file' };
    if (!position) return { ok: false, why: 'invalid JSON' };
    const { line, column } = lineAndColumn(text, Number(position[1]));
    return { ok: false, why: `invalid JSON at line ${line}, column ${column}` };
  }
}

function parseEnv(text: string): Attempt {
  // dotenv keys are flat names (dots included), so they are not path-split like nested formats.
  const entries = Object.create(null) as FlatMap;
  for (const [key, value] of Object.entries(dotenv.parse(text))) entries[key] = leafValue(value);
  return { ok: true, entries };
}

function parseTomlText(text: string): Attempt {
  try {
    return structured(parseToml(text, { integersAsBigInt: 'asNeeded' }));
  } catch (error) {
    if (error instanceof TomlError) return { ok: false, why: `invalid TOML at line ${error.line}, column ${error.column}` };
    return { ok: false, why: 'invalid TOML' };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
