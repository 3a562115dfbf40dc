import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Which Node built-ins (and, where it matters, packages) each top-level folder may import, checked on the import
 * statements of every .ts/.mjs file: static imports, re-exports, dynamic `import()` and `require()`. Type-only
 * imports are erased before anything runs and are not counted.
 *
 * - `domain/` is pure: no I/O, no processes, no threads, nothing that reaches the network or the disk.
 * - `workflows/` runs in Temporal's sandbox: no built-ins, and only workflow-safe modules (the closure of their
 *   value imports stays in workflows/ and domain/ and reaches no built-in and no package outside the sandbox's).
 * - Threads start in one place: only platform/worker-threads.ts creates them; thread entries may read their port.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');

type Rule = { allow: readonly string[] } | { deny: readonly string[] };

/** Built-ins no edge but the I/O ones needs: the process, the network, the disk, threads. */
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'os',
  'readline',
];

/** The rule table: one row per top-level folder (built-ins named without `node:`). */
const BUILTIN_RULES: Record<string, { rule: Rule; why: string }> = {
  domain: { rule: { allow: [] }, why: 'pure logic: no I/O, no clock source, no processes, no threads (exceptions below)' },
  workflows: { rule: { allow: [] }, why: "Temporal's deterministic sandbox: no Node built-ins at all" },
  client: { rule: { deny: IO_BUILTINS }, why: 'the typed client library: talks to Temporal through @temporalio/client only' },
  schedules: { rule: { deny: IO_BUILTINS }, why: 'schedule specs and their reconciliation through the Temporal client (crypto for fingerprints)' },
  db: {
    rule: { deny: ['child_process', 'cluster', 'worker_threads', 'http', 'https', 'http2', 'dgram'] },
    why: 'PostgreSQL through pg/PGlite; files only for migrations',
  },
  activities: { rule: { deny: ['cluster'] }, why: 'the I/O edge of the worker' },
  platform: { rule: { deny: ['cluster'] }, why: 'process plumbing: environment, logging, Temporal connection, codec, database opening, dev server, telemetry' },
  capabilities: { rule: { deny: ['cluster'] }, why: 'use cases shared by the CLI and the activities: storage, files, the database' },
  workers: { rule: { deny: ['cluster'] }, why: 'the worker process' },
  cli: { rule: { deny: ['cluster'] }, why: 'the command line: an I/O edge' },
  scripts: { rule: { deny: ['cluster'] }, why: 'development and start-up scripts' },
  bench: { rule: { deny: ['cluster'] }, why: 'benchmarks' },
  examples: { rule: { deny: ['cluster'] }, why: 'example services' },
  bin: { rule: { deny: ['cluster'] }, why: 'the CLI entry' },
  test: { rule: { deny: [] }, why: 'tests drive real processes, servers and files' },
};

/** Files allowed an import their folder's rule refuses, each with its reason. */
const EXCEPTIONS: { file: string; imports: string; why: string }[] = [
  {
    file: 'domain/config-backup/crypto.ts',
    imports: 'crypto',
    why: 'AES-256-GCM envelopes: CPU only, deterministic for a key and nonce; nonces come from injected RandomBytes. Not workflow-safe.',
  },
  {
    file: 'domain/config-backup/keyring.ts',
    imports: 'crypto',
    why: 'HKDF key derivation and HMAC markers: CPU only, deterministic. Not workflow-safe.',
  },
];

/** Packages domain/ may import: parsers, schemas and the ML library, none of which does I/O. */
const DOMAIN_PACKAGES = ['zod', 'yaml', 'js-yaml', 'smol-toml', 'ini', 'ml-random-forest'];
/** Package exceptions in domain/, with their reason. */
const DOMAIN_PACKAGE_EXCEPTIONS: { file: string; imports: string; why: string }[] = [
  {
    file: 'domain/config-backup/formats.ts',
    imports: 'dotenv',
    why: 'dotenv.parse only; the package loads node:fs at import, so formats.ts is not workflow-safe',
  },
];
/** Packages a workflow (or a domain module it imports) may load inside the sandbox. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];

/** Only this module creates threads; these entries run inside one and read their port. */
const THREAD_STARTER = 'platform/worker-threads.ts';
const THREAD_ENTRIES = [
  'activities/models/tree-thread.ts',
  'activities/models/histogram-thread.ts',
  'activities/models/training-thread.ts',
  'capabilities/config-backup/run/view-worker.ts',
];

interface ImportRef {
  specifier: string;
  /** Erased before run time (`import type`, `export type`, or every named binding marked `type`). */
  typeOnly: boolean;
  names: string[];
}

const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** `node:fs/promises` and `fs/promises` -> `fs/promises`; null when not a built-in. */
function builtinName(specifier: string): string | null {
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return specifier.startsWith('node:') || BUILTINS.has(name) ? name : null;
}

function packageName(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || builtinName(specifier) !== null) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        // Hidden folders are not ours: bench/.airflow-venv holds Airflow's bundled UI (12 MB of minified JS).
        if (entry.name !== 'node_modules' && entry.name !== 'fixtures' && !entry.name.startsWith('.')) walk(full);
      } else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
    }
  };
  if (existsSync(path.join(ROOT, folder))) walk(path.join(ROOT, folder));
  return out.sort();
}

const importCache = new Map<string, ImportRef[]>();

function importsOf(file: string): ImportRef[] {
  const cached = importCache.get(file);
  if (cached) return cached;
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, false);
  const refs: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const onlyTypeNames = !!named && named.length > 0 && !clause?.name && named.every((element) => element.isTypeOnly);
      refs.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: !!clause && (clause.isTypeOnly || onlyTypeNames),
        names: [...(clause?.name ? ['default'] : []), ...(named ?? []).map((element) => (element.propertyName ?? element.name).text)],
      });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const onlyTypeNames = !!named && named.length > 0 && named.every((element) => element.isTypeOnly);
      refs.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: node.isTypeOnly || onlyTypeNames,
        names: (named ?? []).map((element) => (element.propertyName ?? element.name).text),
      });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      refs.push({ specifier: node.arguments[0].text, typeOnly: false, names: ['*'] });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  importCache.set(file, refs);
  return refs;
}

/** The project file a relative specifier loads (`./x.js` is `./x.ts` here), or null when it is not one. */
function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.posix.join(path.posix.dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`];
  for (const candidate of candidates) {
    const full = path.join(ROOT, candidate);
    if (existsSync(full) && statSync(full).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

function topFolder(file: string): string {
  return file.split('/')[0] as string;
}

function refuses(rule: Rule, builtin: string): boolean {
  return 'allow' in rule ? !rule.allow.includes(builtin) : rule.deny.includes(builtin);
}

describe('import boundaries', () => {
  it('has a rule for every top-level source folder, and every rule sees files', () => {
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !['node_modules', 'docs', 'docker'].includes(entry.name))
      .map((entry) => entry.name)
      .filter((folder) => sourceFiles(folder).some((file) => file.endsWith('.ts')));
    expect(folders.filter((folder) => !(folder in BUILTIN_RULES))).toEqual([]);
    for (const folder of Object.keys(BUILTIN_RULES)) expect(sourceFiles(folder).length, folder).toBeGreaterThan(0);
  });

  it("imports only the Node built-ins its folder's rule allows", () => {
    const violations: string[] = [];
    for (const [folder, { rule }] of Object.entries(BUILTIN_RULES)) {
      for (const file of sourceFiles(folder)) {
        for (const ref of importsOf(file)) {
          const builtin = builtinName(ref.specifier);
          if (builtin === null || ref.typeOnly || !refuses(rule, builtin)) continue;
          if (EXCEPTIONS.some((e) => e.file === file && e.imports === builtin)) continue;
          violations.push(`${file} imports ${ref.specifier} (${folder}/: ${BUILTIN_RULES[folder]?.why})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps every listed exception necessary (an exception nothing needs any more is removed)', () => {
    for (const { file, imports } of [...EXCEPTIONS, ...DOMAIN_PACKAGE_EXCEPTIONS]) {
      const used = importsOf(file).some((ref) => !ref.typeOnly && (builtinName(ref.specifier) ?? packageName(ref.specifier)) === imports);
      expect(used, `${file} no longer imports ${imports}`).toBe(true);
    }
  });

  it('domain/ imports only packages that do no I/O', () => {
    const violations: string[] = [];
    for (const file of sourceFiles('domain')) {
      for (const ref of importsOf(file)) {
        const name = packageName(ref.specifier);
        if (name === null || ref.typeOnly || DOMAIN_PACKAGES.includes(name)) continue;
        if (DOMAIN_PACKAGE_EXCEPTIONS.some((e) => e.file === file && e.imports === name)) continue;
        violations.push(`${file} imports ${ref.specifier}`);
      }
      const relative = importsOf(file)
        .map((ref) => (ref.typeOnly ? null : resolveRelative(file, ref.specifier)))
        .filter((target): target is string => target !== null && topFolder(target) !== 'domain');
      for (const target of relative) violations.push(`${file} imports ${target} (domain/ depends on nothing outside it)`);
    }
    expect(violations).toEqual([]);
  });

  it('workflows/ load only workflow-safe modules: value imports stay in workflows/ and domain/, no built-in, no package outside the sandbox', () => {
    const violations: string[] = [];
    const seen = new Set<string>();
    const pending = sourceFiles('workflows').filter((file) => file.endsWith('.ts'));
    const via = new Map<string, string>(pending.map((file) => [file, file]));
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const chain = via.get(file) ?? file;
      if (!['workflows', 'domain'].includes(topFolder(file))) violations.push(`${chain}: not workflow code or domain code`);
      for (const ref of importsOf(file)) {
        if (ref.typeOnly) continue;
        const builtin = builtinName(ref.specifier);
        const name = packageName(ref.specifier);
        if (builtin !== null) violations.push(`${chain} imports ${ref.specifier}`);
        else if (name !== null) {
          if (!WORKFLOW_PACKAGES.includes(name)) violations.push(`${chain} imports ${ref.specifier}`);
        } else {
          const target = resolveRelative(file, ref.specifier);
          if (target && !seen.has(target)) {
            via.set(target, `${chain} -> ${target}`);
            pending.push(target);
          }
        }
      }
    }
    expect(violations).toEqual([]);
    // The scan really followed the workflows into domain/ (a scanner that sees nothing would pass vacuously).
    expect([...seen].filter((file) => topFolder(file) === 'domain').length).toBeGreaterThan(5);
  });

  it('starts threads in one place: only platform/worker-threads.ts creates them; thread entries only read their port', () => {
    const violations: string[] = [];
    for (const folder of Object.keys(BUILTIN_RULES).filter((f) => f !== 'test')) {
      for (const file of sourceFiles(folder)) {
        for (const ref of importsOf(file)) {
          if (builtinName(ref.specifier) !== 'worker_threads' || ref.typeOnly || file === THREAD_STARTER) continue;
          const onlyPort = ref.names.length > 0 && ref.names.every((name) => ['parentPort', 'workerData', 'isMainThread', 'threadId'].includes(name));
          if (THREAD_ENTRIES.includes(file) && onlyPort) continue;
          violations.push(`${file} imports { ${ref.names.join(', ')} } from ${ref.specifier}: start threads with ${THREAD_STARTER}`);
        }
      }
    }
    expect(violations).toEqual([]);
    expect(importsOf(THREAD_STARTER).some((ref) => builtinName(ref.specifier) === 'worker_threads' && ref.names.includes('Worker'))).toBe(true);
  });
});
