import { type Command, Option } from 'commander';
import type { ConnectionOverrides } from '../platform/temporal-connection.js';

/**
 * The Temporal connection flags, global to every command and spelled as the `temporal` CLI spells them. They go over
 * the TEMPORAL_* variables, which go over the profile file (platform/temporal-connection.ts). Global options are
 * recognised before and after the command name: `sentinel --profile prod schedules list` and
 * `sentinel schedules list --profile prod` are the same.
 */
export function addConnectionOptions(program: Command): void {
  program
    .addOption(new Option('--address <host:port>', 'Temporal frontend address (default TEMPORAL_ADDRESS, the profile, or 127.0.0.1:7233)'))
    .addOption(
      new Option(
        '--namespace <name>',
        'Temporal namespace (default TEMPORAL_NAMESPACE, the profile, or default); codec-server: repeat to serve several',
      ).argParser(collect),
    )
    .addOption(new Option('--api-key <key>', 'API key, sent as a bearer token; turns TLS on (default TEMPORAL_API_KEY)'))
    .addOption(new Option('--tls', 'connect with TLS (default TEMPORAL_TLS, or on when any TLS setting or an API key is given)'))
    .addOption(new Option('--no-tls', 'connect in plaintext even if the profile or an API key would turn TLS on'))
    .addOption(new Option('--tls-cert-path <file>', 'client certificate for mTLS, PEM (default TEMPORAL_TLS_CLIENT_CERT_PATH)'))
    .addOption(new Option('--tls-key-path <file>', 'private key of the client certificate, PEM (default TEMPORAL_TLS_CLIENT_KEY_PATH)'))
    .addOption(new Option('--tls-ca-path <file>', "CA that signed the server's certificate, PEM (default TEMPORAL_TLS_SERVER_CA_CERT_PATH)"))
    .addOption(new Option('--tls-server-name <name>', "name to verify the server's certificate against (default TEMPORAL_TLS_SERVER_NAME)"))
    .addOption(new Option('--profile <name>', 'profile of the Temporal profile file shared with the temporal CLI (default TEMPORAL_PROFILE, or default)'));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface GlobalOptions {
  address?: string;
  namespace?: string[];
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
  profile?: string;
}

/** The overrides of the flags given; more than one `--namespace` is for `codec-server` only. */
export function connectionOverridesFrom(opts: GlobalOptions): ConnectionOverrides & { namespaces?: string[] } {
  const { namespace, ...rest } = opts;
  const overrides: ConnectionOverrides & { namespaces?: string[] } = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined && key !== 'logFormat') (overrides as Record<string, unknown>)[key] = value;
  if (namespace?.length) {
    overrides.namespace = namespace[namespace.length - 1];
    overrides.namespaces = namespace;
  }
  return overrides;
}

export const CONNECTION_HELP = [
  'Connecting to Temporal (as the temporal CLI does): flags over TEMPORAL_* variables over the profile file',
  '(TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml; profile TEMPORAL_PROFILE or "default").',
  'Variables: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,',
  'TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_PROFILE.',
  'See docs/temporal-clusters.md.',
].join('\n');
