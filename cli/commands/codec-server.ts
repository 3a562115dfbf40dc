import { Command } from 'commander';
import { CODEC_PORT_ENV, CODEC_TOKEN_ENV, codecEndpointSettings } from '../../platform/codec/endpoint-settings.js';
import type { CliContext } from '../context.js';
import { wholeNumber } from '../options.js';
import { CliError, printResult } from '../output.js';

interface EndpointInfo {
  url: string;
  activeKeyId: string;
  tokenRequired: boolean;
  allowedOrigins: string[];
  namespaces: string[];
}

export function codecServerCommand(ctx: CliContext): Command {
  return new Command('codec-server')
    .description('Serve the Temporal codec endpoint (POST /encode, /decode) so the Web UI shows decoded payloads; needs CONFIG_BACKUP_KEY. Runs until Ctrl-C')
    .option('--port <port>', `port (default ${CODEC_PORT_ENV} or 8888; 0 picks a free one)`, wholeNumber(0, 65_535))
    .option('--host <address>', `address to listen on; anything but loopback needs ${CODEC_TOKEN_ENV}`, '127.0.0.1')
    .option('--allow-origin <url...>', 'browser origins allowed to call it (default: the local Web UI on SENTINEL_UI_PORT, by 127.0.0.1 and localhost)')
    .option('--insecure-no-token', `allow a non-loopback --host without ${CODEC_TOKEN_ENV} (only behind an authenticating proxy)`)
    .option('--json', 'print the endpoint as JSON once it listens')
    .addHelpText(
      'after',
      "\nNamespaces served (checked against the X-Namespace header): the global --namespace, repeated for several\n(default TEMPORAL_NAMESPACE, the profile's, or default).",
    )
    .action(async (opts: { port?: number; host: string; allowOrigin?: string[]; insecureNoToken?: boolean; json?: boolean }) => {
      const [{ createPayloadCodec }, { startCodecServer }, { logger }] = await Promise.all([
        import('../../platform/codec/payload-codec.js'),
        import('../../platform/codec/codec-server.js'),
        import('../../platform/logger.js'),
      ]);
      const codec = createPayloadCodec(process.env);
      if (!codec.encrypts) throw new CliError('CONFIG_BACKUP_KEY is not set: the codec endpoint needs the same key as the worker to decode payloads');
      let settings;
      try {
        settings = codecEndpointSettings(process.env);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const namespaces = ctx.namespaces() ?? [(await ctx.connectionSettings()).namespace];
      const allowedOrigins = opts.allowOrigin ?? settings.allowedOrigins;
      const server = await startCodecServer({
        codec,
        host: opts.host,
        port: opts.port ?? settings.port,
        token: settings.token,
        allowedOrigins,
        namespaces,
        allowRemoteWithoutToken: Boolean(opts.insecureNoToken),
        log: logger,
      }).catch((error: Error) => {
        throw new CliError(error.message);
      });
      const info: EndpointInfo = { url: server.url, activeKeyId: codec.activeKeyId!, tokenRequired: Boolean(settings.token), allowedOrigins, namespaces };
      printResult(info, opts.json, (i: EndpointInfo) =>
        [
          `codec endpoint listening on ${i.url} (key id ${i.activeKeyId}, bearer token ${i.tokenRequired ? 'required' : 'not required'})`,
          `allowed origins: ${i.allowedOrigins.join(', ')}; namespaces: ${i.namespaces.join(', ')}`,
          `point the Web UI at it: temporal server start-dev --ui-codec-endpoint ${i.url}  (npm start does this itself)`,
          'Press Ctrl-C to stop.',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await server.close();
    });
}
