/**
 * The benchmark's input: N configuration files of mixed formats (YAML, JSON, INI, .env, TOML, nginx-style text)
 * adding up to a byte budget, and M environment variables, all generated from a seed so every run backs up the
 * same bytes. About one value in six is a secret, so the redaction path is exercised as in real configs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mulberry32 } from '../../domain/ml/rng.js';

export const CORPUS_FORMATS = ['yaml', 'json', 'ini', 'env', 'toml', 'conf'] as const;
type CorpusFormat = (typeof CORPUS_FORMATS)[number];

export interface CorpusOptions {
  files: number;
  totalBytes: number;
  seed?: number;
}

export interface Corpus {
  dir: string;
  paths: string[];
  totalBytes: number;
  byFormat: Record<CorpusFormat, number>;
}

const WORDS = [
  'server',
  'cache',
  'queue',
  'worker',
  'region',
  'timeout',
  'retries',
  'pool',
  'limit',
  'replica',
  'shard',
  'endpoint',
  'feature',
  'metrics',
  'tracing',
];
const SECRET_NAMES = ['password', 'api_key', 'token', 'secret', 'dsn'];

interface Entry {
  section: string;
  key: string;
  value: string | number | boolean;
}

function entries(random: () => number, bytes: number, fileIndex: number): Entry[] {
  const out: Entry[] = [];
  let size = 0;
  let section = 'main';
  for (let i = 0; size < bytes; i++) {
    if (i % 12 === 0) section = `${WORDS[Math.floor(random() * WORDS.length)]}_${i / 12}`;
    const secret = random() < 1 / 6;
    const key = secret ? `${SECRET_NAMES[i % SECRET_NAMES.length]}_${i}` : `${WORDS[i % WORDS.length]}_${i}`;
    const roll = random();
    const value = secret
      ? `s3cr3t-${fileIndex}-${i}-${Math.floor(random() * 1e9).toString(36)}`
      : roll < 0.3
        ? Math.floor(random() * 10_000)
        : roll < 0.4
          ? random() < 0.5
          : `${WORDS[Math.floor(random() * WORDS.length)]}-${Math.floor(random() * 1e6).toString(36)}.internal`;
    out.push({ section, key, value });
    size += key.length + String(value).length + 8;
  }
  return out;
}

function render(format: CorpusFormat, items: Entry[]): string {
  const bySection = new Map<string, Entry[]>();
  for (const item of items) bySection.set(item.section, [...(bySection.get(item.section) ?? []), item]);
  const sections = [...bySection.entries()];
  switch (format) {
    case 'yaml':
      return `${sections
        .map(([name, list]) => `${name}:\n${list.map((e) => `  ${e.key}: ${typeof e.value === 'string' ? JSON.stringify(e.value) : e.value}`).join('\n')}`)
        .join('\n')}\n`;
    case 'json':
      return `${JSON.stringify(Object.fromEntries(sections.map(([name, list]) => [name, Object.fromEntries(list.map((e) => [e.key, e.value]))])), null, 2)}\n`;
    case 'ini':
      return `${sections.map(([name, list]) => `[${name}]\n${list.map((e) => `${e.key} = ${e.value}`).join('\n')}`).join('\n\n')}\n`;
    case 'env':
      return `${items.map((e) => `${e.section.toUpperCase()}_${e.key.toUpperCase()}=${JSON.stringify(String(e.value))}`).join('\n')}\n`;
    case 'toml':
      return `${sections
        .map(([name, list]) => `[${name}]\n${list.map((e) => `${e.key} = ${typeof e.value === 'string' ? JSON.stringify(e.value) : e.value}`).join('\n')}`)
        .join('\n\n')}\n`;
    case 'conf':
      return `${sections.map(([name, list]) => `upstream ${name} {\n${list.map((e) => `    ${e.key} ${e.value};`).join('\n')}\n}`).join('\n\n')}\n`;
  }
}

function fileName(format: CorpusFormat, index: number): string {
  const stem = `service-${String(index).padStart(4, '0')}`;
  return format === 'env' ? `${stem}.env` : `${stem}.${format}`;
}

/** Writes the corpus under `dir/<format>/` (one directory per format, like /etc subtrees). */
export async function writeCorpus(dir: string, options: CorpusOptions): Promise<Corpus> {
  const random = mulberry32(options.seed ?? 20261122);
  const perFile = Math.floor(options.totalBytes / options.files);
  const byFormat = Object.fromEntries(CORPUS_FORMATS.map((f) => [f, 0])) as Record<CorpusFormat, number>;
  const paths: string[] = [];
  let totalBytes = 0;
  for (const format of CORPUS_FORMATS) await mkdir(path.join(dir, format), { recursive: true });
  for (let i = 0; i < options.files; i++) {
    const format = CORPUS_FORMATS[i % CORPUS_FORMATS.length]!;
    // Rendering adds syntax around the entries; aim a little low, then pad the file to exactly perFile bytes.
    let text = render(format, entries(random, perFile * 0.8, i));
    const commentChar = format === 'json' ? '' : format === 'conf' || format === 'yaml' || format === 'env' || format === 'toml' ? '#' : ';';
    if (commentChar && text.length < perFile) text += `${commentChar} ${'.'.repeat(Math.max(0, perFile - text.length - 3))}\n`;
    if (!commentChar && text.length < perFile) text = text.replace(/\n$/, `${' '.repeat(perFile - text.length - 1)}\n`);
    const file = path.join(dir, format, fileName(format, i));
    await writeFile(file, text);
    paths.push(file);
    byFormat[format] += 1;
    totalBytes += Buffer.byteLength(text);
  }
  return { dir, paths, totalBytes, byFormat };
}

/** `count` variables named `<prefix>VAR_<i>`; every fifth is a secret by name, every seventh a DSN by value. */
export function benchEnvVars(prefix: string, count: number): Record<string, string> {
  const vars: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const index = String(i).padStart(4, '0');
    if (i % 5 === 0) vars[`${prefix}SERVICE_${index}_PASSWORD`] = `pw-${index}-b3nch`;
    else if (i % 7 === 0) vars[`${prefix}SERVICE_${index}_URL`] = `postgres://svc${index}:pw${index}@db-${index}.internal:5432/app`;
    else vars[`${prefix}SERVICE_${index}_SETTING`] = `value-${index}`;
  }
  return vars;
}
