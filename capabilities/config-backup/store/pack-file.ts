/**
 * Pack files: many payload envelopes in one file, as restic packs blobs. A backup run's payloads go into a few packs
 * instead of one file each: creating, fsyncing and renaming 2,000 small files cost this machine's kernel 0.1-1 s of
 * CPU per run (BENCHMARKS.md, "Configuration backups"), one pack a few milliseconds.
 *
 * Layout: the envelopes back to back, then the index as JSON (`{"v":1,"objects":[[hash, offset, length], ...]}`),
 * then the index's byte length (uint32, little-endian) and the magic `SNTLPK01`. Each envelope is authenticated on
 * its own (AES-GCM with the context `payload:<hash>`), so a damaged pack can only make objects fail verification,
 * never return wrong bytes. Hashes in the index are the keyed content hashes that name loose objects too.
 */
import { open, type FileHandle } from 'node:fs/promises';

export const PACK_SUFFIX = '.pack';
const MAGIC = Buffer.from('SNTLPK01', 'latin1');
const TRAILER_BYTES = 4 + MAGIC.length;
const INDEX_VERSION = 1;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** An index larger than this is not one this code wrote (about 1.2 million objects). */
const MAX_INDEX_BYTES = 128 * 1024 * 1024;

export interface PackedObject {
  hash: string;
  offset: number;
  length: number;
}

export class PackFormatError extends Error {
  override readonly name = 'PackFormatError';
}

/** The bytes of a pack holding `objects` in the given order (the caller writes them durably). */
export function encodePack(objects: ReadonlyArray<{ hash: string; envelope: Uint8Array }>): { bytes: Buffer; index: PackedObject[] } {
  const index: PackedObject[] = [];
  let offset = 0;
  for (const { hash, envelope } of objects) {
    index.push({ hash, offset, length: envelope.length });
    offset += envelope.length;
  }
  const indexJson = Buffer.from(JSON.stringify({ v: INDEX_VERSION, objects: index.map((o) => [o.hash, o.offset, o.length]) }), 'utf8');
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(indexJson.length, 0);
  MAGIC.copy(trailer, 4);
  return { bytes: Buffer.concat([...objects.map((o) => o.envelope), indexJson, trailer]), index };
}

/** Reads a pack's index from its tail; throws `PackFormatError` for anything this code would not have written. */
export async function readPackIndex(path: string): Promise<PackedObject[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < TRAILER_BYTES) throw new PackFormatError(`${path}: too short to be a pack`);
    const trailer = await readExactly(handle, size - TRAILER_BYTES, TRAILER_BYTES);
    if (!trailer.subarray(4).equals(MAGIC)) throw new PackFormatError(`${path}: no pack trailer`);
    const indexBytes = trailer.readUInt32LE(0);
    const dataEnd = size - TRAILER_BYTES - indexBytes;
    if (indexBytes > MAX_INDEX_BYTES || dataEnd < 0) throw new PackFormatError(`${path}: index length out of range`);
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readExactly(handle, dataEnd, indexBytes)).toString('utf8'));
    } catch (error) {
      if (error instanceof PackFormatError) throw error;
      throw new PackFormatError(`${path}: index is not valid JSON`);
    }
    return validIndex(path, parsed, dataEnd);
  } finally {
    await handle.close();
  }
}

/** `length` bytes at `offset` of a pack. */
export async function readPackedObject(path: string, offset: number, length: number): Promise<Buffer> {
  return (await readPackedObjects(path, [{ offset, length }]))[0]!;
}

/** The envelopes at `objects` of one pack, in order, through one open descriptor (repacking reads hundreds). */
export async function readPackedObjects(path: string, objects: ReadonlyArray<Pick<PackedObject, 'offset' | 'length'>>): Promise<Buffer[]> {
  const handle = await open(path, 'r');
  try {
    const envelopes: Buffer[] = [];
    for (const { offset, length } of objects) envelopes.push(await readExactly(handle, offset, length));
    return envelopes;
  } finally {
    await handle.close();
  }
}

function validIndex(path: string, parsed: unknown, dataEnd: number): PackedObject[] {
  const record = parsed as { v?: unknown; objects?: unknown };
  if (record?.v !== INDEX_VERSION || !Array.isArray(record.objects)) throw new PackFormatError(`${path}: unknown index version`);
  return record.objects.map((entry: unknown) => {
    const [hash, offset, length] = Array.isArray(entry) ? (entry as unknown[]) : [];
    if (
      typeof hash !== 'string' ||
      !HASH_PATTERN.test(hash) ||
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      (offset as number) < 0 ||
      (length as number) < 0 ||
      (offset as number) + (length as number) > dataEnd
    ) {
      throw new PackFormatError(`${path}: malformed index entry`);
    }
    return { hash, offset: offset as number, length: length as number };
  });
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new PackFormatError('pack ends before the object or index it lists');
    done += bytesRead;
  }
  return buffer;
}
