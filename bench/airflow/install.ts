import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AIRFLOW_VERSION } from './settings.js';

/**
 * Apache Airflow in a virtualenv under bench/ (gitignored), installed once and reused while the marker matches.
 *
 * Airflow's official constraints file lives on GitHub (raw.githubusercontent.com), which this machine cannot reach
 * (only package registries), so bench/airflow/constraints.txt pins every package instead: the `pip freeze` of
 * `pip install "apache-airflow[postgres]==3.3.2"` resolved from PyPI on Python 3.11 (2026-12-07). The same pins make
 * the lead's re-run install the same versions.
 */
export interface AirflowInstall {
  venv: string;
  airflowBin: string;
  python: string;
  /** Whether this invocation installed it (false: reused), and how long that took. */
  installed: boolean;
  installSeconds: number;
}

interface Marker {
  airflow: string;
  constraintsSha256: string;
}

export async function ensureAirflow(benchDir: string, log: (message: string) => void): Promise<AirflowInstall> {
  const venv = path.join(benchDir, '.airflow-venv');
  const airflowBin = path.join(venv, 'bin', 'airflow');
  const python = path.join(venv, 'bin', 'python');
  const constraints = path.join(benchDir, 'airflow', 'constraints.txt');
  const markerFile = path.join(venv, '.bench-install.json');
  const wanted: Marker = {
    airflow: AIRFLOW_VERSION,
    constraintsSha256: createHash('sha256')
      .update(await readFile(constraints))
      .digest('hex'),
  };

  const current = await readFile(markerFile, 'utf8').then(
    (text) => JSON.parse(text) as Marker,
    () => undefined,
  );
  const present = await access(airflowBin).then(
    () => true,
    () => false,
  );
  if (present && current?.airflow === wanted.airflow && current.constraintsSha256 === wanted.constraintsSha256) {
    log(`Airflow ${AIRFLOW_VERSION} already installed in ${path.relative(process.cwd(), venv)}`);
    return { venv, airflowBin, python, installed: false, installSeconds: 0 };
  }

  const started = Date.now();
  const systemPython = await findPython();
  log(`installing Apache Airflow ${AIRFLOW_VERSION} with the postgres extra into ${path.relative(process.cwd(), venv)} (${systemPython}; a few minutes)`);
  // A half-made or outdated venv is replaced whole, so a failed install never looks finished.
  await rm(venv, { recursive: true, force: true });
  await run(systemPython, ['-m', 'venv', venv], log);
  await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `apache-airflow[postgres]==${AIRFLOW_VERSION}`, '-c', constraints], log);
  await writeFile(markerFile, `${JSON.stringify(wanted)}\n`);
  const installSeconds = Math.round((Date.now() - started) / 1000);
  log(`Airflow installed in ${installSeconds} s`);
  return { venv, airflowBin, python, installed: true, installSeconds };
}

/** The pins are for Python 3.11 (what this machine has); another 3.x may still resolve them. */
async function findPython(): Promise<string> {
  for (const candidate of ['python3.11', 'python3']) {
    const ok = await new Promise<boolean>((resolve) => {
      const child = spawn(candidate, ['--version'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
    });
    if (ok) return candidate;
  }
  throw new Error('bench:airflow needs python3 (3.11) with the venv module');
}

async function run(command: string, args: string[], log: (message: string) => void): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    log(tail);
    throw new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} exited with ${code}`);
  }
}
