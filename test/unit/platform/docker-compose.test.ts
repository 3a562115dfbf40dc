import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../../platform/dev-server.js';
import { DEFAULT_TEMPORAL_ADDRESS, DEFAULT_UI_PORT } from '../../../platform/env.js';
import { readinessProbe } from '../../../platform/readiness.js';
import { startMetricsServer } from '../../../platform/telemetry-server.js';
import { SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.js';
import { parseSettings } from '../../../domain/settings/schema.js';

// docker-compose.yml cannot be started here (no Docker engine); this keeps it consistent with the code instead.
// `merge`: Compose resolves YAML merge keys (`<<: *temporal-tls`), so the test reads the file the way Compose does.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true });
const dockerfile = readFileSync('docker/Dockerfile', 'utf8');

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
    expect(dockerfile).toContain('CMD ["node", "bin/sentinel.js", "worker"]');
    // The production worker loads a bundle built into the image (workers/main.ts reads SENTINEL_WORKFLOW_BUNDLE).
    const bundle = /RUN npx tsx scripts\/bundle-workflows\.ts (\S+)/.exec(dockerfile)?.[1];
    expect(bundle).toBeDefined();
    expect(dockerfile).toContain(`SENTINEL_WORKFLOW_BUNDLE=${bundle}`);
    expect(existsSync('scripts/bundle-workflows.ts')).toBe(true);
    expect(existsSync('bin/sentinel.js')).toBe(true);
  });

  it('ships a pg_dump at least as new as the compose database, from the PostgreSQL apt repository, and says so in the docs', () => {
    const clientMajor = Number(/^ARG PG_CLIENT_MAJOR=(\d+)$/m.exec(dockerfile)?.[1]);
    expect(dockerfile).toContain('"postgresql-client-${PG_CLIENT_MAJOR}"');
    expect(dockerfile).toMatch(/deb \[signed-by=\S+\.asc\] https:\/\/apt\.postgresql\.org\/pub\/repos\/apt bookworm-pgdg main/);
    const databaseMajor = Number(/^postgres:(\d+)/.exec(compose.services.postgresql.image)?.[1]);
    expect(databaseMajor).toBeGreaterThanOrEqual(17);
    expect(clientMajor).toBeGreaterThanOrEqual(databaseMajor); // pg_dump refuses servers newer than itself
    // Targets in sentinel.example.yaml are dumped by the same pg_dump: they live on the compose database.
    expect(readFileSync('docs/operations.md', 'utf8')).toContain(`PostgreSQL ${clientMajor} and older`);
  });

  it('runs on a supported Node LTS line (even major, 22 or newer) on Debian bookworm', () => {
    const from = /^FROM node:(\d+)-bookworm-slim$/m.exec(dockerfile);
    expect(from, 'FROM node:<major>-bookworm-slim').not.toBeNull();
    const major = Number(from![1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2).toBe(0); // only even Node majors become LTS
  });

  it('runs the Temporal server version the cluster test proves, with matching admin tools', () => {
    const script = 'scripts/ensure-temporal-server.sh';
    const proven = existsSync(script) ? /VERSION=["']?(?:\$\{[A-Z_]+:-)?(\d+\.\d+\.\d+)/.exec(readFileSync(script, 'utf8'))?.[1] : '1.30.4';
    expect(proven).toMatch(/^1\.30\.\d+$/);
    expect(compose.services.temporal.image).toBe(`temporalio/server:${proven}`);
    for (const service of ['temporal-schema', 'temporal-setup']) expect(compose.services[service].image, service).toBe(`temporalio/admin-tools:${proven}`);
  });

  it('publishes the worker metrics and health port the image exposes and the worker listens on', () => {
    const worker = compose.services['sentinel-worker'];
    const port = worker.environment.SENTINEL_METRICS_PORT;
    expect(worker.ports).toContain(`${port}:${port}`);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`SENTINEL_METRICS_PORT=${port}\\b`));
  });

  it('passes the Temporal TLS, API key and profile settings through to the worker and schedules apply, unset when unset', () => {
    const names = [
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      'TEMPORAL_TLS_SERVER_NAME',
      'TEMPORAL_API_KEY',
      'TEMPORAL_PROFILE',
    ];
    for (const service of ['sentinel-worker', 'sentinel-schedules']) {
      const env = compose.services[service].environment;
      // A key without a value takes the shell's value, or leaves the variable unset: never an empty API key.
      for (const name of names) {
        expect(Object.hasOwn(env, name), `${service} ${name}`).toBe(true);
        expect(env[name], `${service} ${name}`).toBeNull();
      }
    }
  });

  it('runs Prometheus with the shipped rules scraping the worker, and Grafana provisioned with it and the dashboard', () => {
    const { prometheus, grafana } = compose.services;
    expect(prometheus.volumes).toEqual(
      expect.arrayContaining([
        './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/sentinel-rules.yml:/etc/prometheus/sentinel-rules.yml:ro',
      ]),
    );
    const scrape = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8'));
    expect(scrape.rule_files).toEqual(['/etc/prometheus/sentinel-rules.yml']);
    const worker = compose.services['sentinel-worker'];
    expect(scrape.scrape_configs[0].static_configs[0].targets).toEqual([`sentinel-worker:${worker.environment.SENTINEL_METRICS_PORT}`]);
    expect(readFileSync('deploy/prometheus/sentinel-rules.yml', 'utf8')).toContain(`up{job="${scrape.scrape_configs[0].job_name}"}`);
    expect(grafana.volumes).toEqual(
      expect.arrayContaining(['./deploy/grafana/provisioning:/etc/grafana/provisioning:ro', './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro']),
    );
    const datasource = parse(readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8')).datasources[0];
    expect(datasource).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(readFileSync('deploy/grafana/provisioning/dashboards/backup-sentinel.yml', 'utf8')).providers[0];
    expect(provider.options.path).toBe('/var/lib/grafana/dashboards');
    const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/backup-sentinel.json', 'utf8'));
    for (const panel of dashboard.panels) for (const target of panel.targets) expect(target.datasource.uid).toBe(datasource.uid);
  });

  it('retries schedules apply until it succeeds', () => {
    const schedules = compose.services['sentinel-schedules'];
    expect(schedules.restart).toMatch(/^on-failure(:\d+)?$/);
    const count = Number(/^on-failure:(\d+)$/.exec(schedules.restart)?.[1] ?? Number.POSITIVE_INFINITY);
    expect(count).toBeGreaterThanOrEqual(5);
  });

  it("the image's /healthz check and the worker's /readyz healthcheck pass and fail with the endpoints", async () => {
    const workerCheck: string[] = compose.services['sentinel-worker'].healthcheck.test;
    expect(workerCheck[0]).toBe('CMD');
    expect(workerCheck.join(' ')).toContain('/readyz');
    const imageCheck = JSON.parse(/^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[] | null;
    expect(imageCheck?.join(' ')).toContain('/healthz');
    for (const service of ['sentinel-codec', 'sentinel-schedules']) expect(compose.services[service].healthcheck, service).toBeDefined();

    // Run both commands for real against the endpoint (the image runs them with the same `node`).
    const run = async (command: string[], port: number) => {
      const [file, ...args] = command;
      return promisify(execFile)(file === 'node' ? process.execPath : file!, args, { env: { ...process.env, SENTINEL_METRICS_PORT: String(port) } }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    };
    let ready = false;
    const server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      readiness: readinessProbe({ workerState: () => (ready ? 'RUNNING' : 'INITIALIZED'), temporal: async () => undefined, postgresql: async () => undefined }),
    });
    try {
      expect(await run(workerCheck.slice(1), server.port)).toBe(1);
      expect(await run(imageCheck!, server.port)).toBe(0);
      ready = true;
      expect(await run(workerCheck.slice(1), server.port)).toBe(0);
    } finally {
      await server.close();
    }
    const nobody = await freePort();
    expect(await run(workerCheck.slice(1), nobody)).toBe(1);
    expect(await run(imageCheck!, nobody)).toBe(1);
  });
});
