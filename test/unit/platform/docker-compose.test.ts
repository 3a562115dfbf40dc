import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_TEMPORAL_ADDRESS, DEFAULT_UI_PORT } from '../../../platform/env.js';
import { SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.js';
import { parseSettings } from '../../../domain/settings/schema.js';

// docker-compose.yml cannot be started here (no Docker engine); this keeps it consistent with the code instead.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'));

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal on it, the Web UI and the worker', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'sentinel-worker']));
    expect(compose.services.temporal.environment.DB).toBe('postgres12');
    expect(compose.services.temporal.environment.POSTGRES_SEEDS).toBe('postgresql');
  });

  it('publishes the ports the code defaults to', () => {
    expect(compose.services.temporal.ports).toContain(`${DEFAULT_TEMPORAL_ADDRESS.split(':')[1]}:7233`);
    expect(compose.services['temporal-ui'].ports).toContain(`${DEFAULT_UI_PORT}:8080`);
  });

  it('gives the worker the environment variables the code reads, pointing at the compose services', () => {
    const env = compose.services['sentinel-worker'].environment;
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(new URL(env.DATABASE_URL).hostname).toBe('postgresql');
    expect(env.SENTINEL_CONFIG).toBe('/config/sentinel.yaml');
    expect(readFileSync('docker/postgres-init.sql', 'utf8')).toContain(`CREATE DATABASE ${new URL(env.DATABASE_URL).pathname.slice(1)}`);
  });

  it('encrypts with one key, shows decoded payloads in the UI and applies the schedules once', () => {
    const key = '${CONFIG_BACKUP_KEY:?set CONFIG_BACKUP_KEY (openssl rand -base64 32)}';
    for (const service of ['sentinel-worker', 'sentinel-codec', 'sentinel-schedules'])
      expect(compose.services[service].environment.CONFIG_BACKUP_KEY, service).toBe(key);
    const codec = compose.services['sentinel-codec'];
    const published = codec.ports[0].split(':');
    expect(published[0]).toBe('127.0.0.1');
    expect(compose.services['temporal-ui'].environment.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${published[1]}`);
    expect(codec.command).toEqual(expect.arrayContaining(['codec-server', '--port', published[2], '--allow-origin', `http://localhost:${DEFAULT_UI_PORT}`]));
    expect(compose.services['sentinel-schedules'].command).toEqual(['node', 'bin/sentinel.js', 'schedules', 'apply']);
  });

  it('registers every search attribute the workflows set', () => {
    const script = readFileSync('docker/temporal-namespace.sh', 'utf8');
    for (const sa of SEARCH_ATTRIBUTES) expect(script).toContain(`${sa.name}=${sa.type}`);
  });

  it('mounts files that exist, including a valid example sentinel.yaml', () => {
    for (const service of Object.values<{ volumes?: string[] }>(compose.services))
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(source), source).toBe(true);
      }
    expect(() => parseSettings(parse(readFileSync('docker/sentinel.example.yaml', 'utf8')))).not.toThrow();
    const dockerfile = readFileSync('docker/Dockerfile', 'utf8');
    expect(dockerfile).toContain('CMD ["node", "bin/sentinel.js", "worker"]');
    // The image runs compiled code: `npm run build` in a build stage (dist/ with the workflow bundle, which the
    // production worker loads through SENTINEL_WORKFLOW_BUNDLE), then production dependencies only, without tsx.
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/^RUN npm run build$/m);
    expect(stages[1]).toMatch(/^RUN npm install --omit=dev /m);
    expect(stages[1]).toContain('COPY --from=build /app/dist ./dist');
    expect(stages[1]).toContain('SENTINEL_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js');
    expect(readFileSync('scripts/build.mjs', 'utf8')).toContain("'workflow-bundle.js'");
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.scripts.build).toBe('node scripts/build.mjs');
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('esbuild');
    expect(readFileSync('bin/sentinel.js', 'utf8')).toContain("import('../dist/cli/main.js')");
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).toContain('dist');
  });
});
