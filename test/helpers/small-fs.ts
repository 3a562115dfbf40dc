import { execFileSync } from 'node:child_process';
import { mkdir, rm, statfs, truncate, writeFile } from 'node:fs/promises';

/**
 * A size-limited filesystem mounted on `dir`, so a test can fill a disk without filling the machine's: a tmpfs when
 * the kernel lets us mount one (root in a container usually may), else a loop-mounted ext4 image.
 */
export interface SmallFilesystem {
  dir: string;
  kind: 'tmpfs' | 'loop-ext4';
  /** Bytes an unprivileged writer can still use. */
  freeBytes(): Promise<number>;
  /** Unmounts (lazily when busy) and removes the image; safe to call twice. */
  unmount(): Promise<void>;
}

export async function mountSmallFilesystem(dir: string, sizeBytes: number): Promise<SmallFilesystem> {
  await mkdir(dir, { recursive: true });
  let kind: SmallFilesystem['kind'];
  let image: string | undefined;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    kind = 'tmpfs';
  } catch (tmpfsError) {
    image = `${dir}.img`;
    try {
      await writeFile(image, '');
      await truncate(image, Math.max(sizeBytes, 4 * 1024 * 1024)); // ext4 needs a few MiB for itself
      execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
      kind = 'loop-ext4';
    } catch (loopError) {
      await rm(image, { force: true });
      throw new Error(`cannot mount a small filesystem on ${dir}: tmpfs: ${String(tmpfsError)}; loop ext4: ${String(loopError)}`);
    }
  }
  let mounted = true;
  return {
    dir,
    kind,
    async freeBytes() {
      const info = await statfs(dir);
      return info.bavail * info.bsize;
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      if (image) await rm(image, { force: true });
    },
  };
}
