import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Which process listens on a local TCP port (Linux: /proc/net/tcp{,6} gives the socket's inode, /proc/<pid>/fd
 * the process holding it), so a refusal can name it. Best effort: undefined when unknown or not visible to us.
 */
export async function portHolder(port: number): Promise<{ pid: number; command: string } | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // State 0A is LISTEN; the local address is hex "ADDR:PORT".
      if (local && fields[3] === '0A' && parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => []);
    for (const fd of fds) {
      const link = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
        return { pid: Number(entry), command: cmdline.split('\0').filter(Boolean).join(' ').slice(0, 120) };
      }
    }
  }
  return undefined;
}
