// The tracing switch (platform/tracing.ts) without a server: when it is on, a malformed endpoint, and a collector
// that is down at shutdown. The span tree itself is proven on the dev server (test/integration/tracing*.test.ts).
import { trace } from '@opentelemetry/api';
import { describe, expect, it, onTestFinished } from 'vitest';
import { activeTracing, checkTracingEndpoint, shutdownTracing, TracingConfigError, tracingRequested } from '../../../platform/tracing.js';

describe('tracing switch', () => {
  it('is on only with OTEL_EXPORTER_OTLP_ENDPOINT set and the SDK not disabled', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_SDK_DISABLED: 'false' })).toBe(true);
  });

  it('off, installs nothing and shutting it down is a no-op', async () => {
    expect(activeTracing({})).toBeUndefined();
    await expect(shutdownTracing()).resolves.toBeUndefined();
  });

  it('refuses a malformed endpoint in one line naming the variable, never echoing the value', () => {
    for (const value of ['otel.internal:4317', 'not a url', 'grpc://u:Pw-in-url-1@collector:4317']) {
      const error = (() => {
        try {
          checkTracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: value });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error, value).toBeInstanceOf(TracingConfigError);
      expect(error!.message).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT is not an http:\/\/ or https:\/\/ URL/);
      expect(error!.message).not.toContain(value);
      expect(error!.message).not.toContain('\n');
    }
    expect(() => checkTracingEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'x' })).toThrow(/^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /);
    expect(() => checkTracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4317' })).not.toThrow();
  });

  it('on, with the collector down, spans are lost but shutting down does not fail', async () => {
    const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:1'; // nothing listens on port 1: refused at once
    onTestFinished(() => {
      if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;
    });
    const tracing = await activeTracing();
    expect(tracing).toBeDefined();
    expect(tracing!.resource.attributes['service.name']).toBe(process.env.OTEL_SERVICE_NAME ?? 'backup-sentinel');
    trace.getTracer('test').startSpan('lost').end();
    await expect(tracing!.flush()).rejects.toBeDefined(); // the export itself did fail...
    await expect(shutdownTracing()).resolves.toBeUndefined(); // ...and the process still stops cleanly
  });
});
