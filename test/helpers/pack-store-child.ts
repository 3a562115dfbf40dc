// Run by test/unit/config-backup/payload-store-fd-limit.test.ts in a process with few file descriptors (`ulimit -n`):
// opens a store that holds many packs, reads every object and prunes one, and prints what it saw as JSON.
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';

const [dir, dropped] = process.argv.slice(2) as [string, string];
const store = new PayloadStore(dir);
const hashes = await store.list();
let present = 0;
for (const hash of hashes) if (await store.has(hash)) present += 1;
let bytes = 0;
for (const hash of hashes) bytes += (await store.get(hash)).length;
const unreadable = [...(await store.unreadablePacks()).values()];
const pruned = await store.removeUnreferenced(
  hashes.filter((hash) => hash !== dropped),
  { graceMs: 0 },
);
const after = await new PayloadStore(dir).list();
process.stdout.write(`${JSON.stringify({ listed: hashes.length, present, bytes, unreadable, removed: pruned.removed, after: after.length })}\n`);
