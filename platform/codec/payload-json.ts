/**
 * Payloads in the JSON shape of the Temporal codec server protocol (proto3 JSON): `{ metadata: { k: base64 },
 * data: base64 }`. Input is checked strictly, because it comes from the network.
 */
import type { Payload } from '@temporalio/common';

export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export class PayloadJsonError extends Error {
  override readonly name = 'PayloadJsonError';
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Reads `{ payloads: [...] }`; throws `PayloadJsonError` naming the first problem. */
export function payloadsFromJsonBody(body: unknown): Payload[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { payloads?: unknown }).payloads)) {
    throw new PayloadJsonError('body must be a JSON object with a "payloads" array');
  }
  return (body as { payloads: unknown[] }).payloads.map((item, index) => payloadFromJson(item, `payloads[${index}]`));
}

export function payloadFromJson(item: unknown, where = 'payload'): Payload {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new PayloadJsonError(`${where} must be an object`);
  const { metadata, data } = item as Record<string, unknown>;
  const payload: Payload = {};
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new PayloadJsonError(`${where}.metadata must be an object`);
    payload.metadata = Object.fromEntries(
      Object.entries(metadata as Record<string, unknown>).map(([key, value]) => [key, base64Field(value, `${where}.metadata.${key}`)]),
    );
  }
  if (data !== undefined && data !== null) payload.data = base64Field(data, `${where}.data`);
  return payload;
}

export function payloadToJson(payload: Payload): JsonPayload {
  const json: JsonPayload = {};
  if (payload.metadata) {
    json.metadata = Object.fromEntries(Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  }
  if (payload.data) json.data = Buffer.from(payload.data).toString('base64');
  return json;
}

function base64Field(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new PayloadJsonError(`${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}
