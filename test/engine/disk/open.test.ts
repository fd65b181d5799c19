import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { openDisk, parentCandidates } from '../../../electron/engine/disk/open.js';
import { createDifferencingVhd } from '../../fixtures/vhd-differencing.js';
import { qemuImg } from '../../helpers/tools.js';
import { scratchDir, seededBytes } from '../../helpers/scratch.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir('tessera-open-'));
});
afterAll(() => cleanup());

describe('parentCandidates', () => {
  const child = '/vms/copy/child.vhdx';

  it('resolves relative Windows locators against the child folder', () => {
    expect(parentCandidates(child, ['.\\base.vhdx'])).toEqual(['/vms/copy/base.vhdx']);
    expect(parentCandidates(child, ['..\\gold\\base.vhdx'])).toEqual([
      '/vms/gold/base.vhdx',
      '/vms/copy/base.vhdx',
    ]);
  });

  it('tries only the file name beside the child for Windows absolute and volume paths', () => {
    expect(parentCandidates(child, ['C:\\Hyper-V\\Disks\\base.vhdx'])).toEqual([
      '/vms/copy/base.vhdx',
    ]);
    expect(
      parentCandidates(child, [
        '\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\VMs\\base.vhdx',
      ]),
    ).toEqual(['/vms/copy/base.vhdx']);
  });

  it('reads file URLs, with or without a host, and keeps the recorded order', () => {
    expect(
      parentCandidates(child, ['file://localhost/srv/base.vhd', 'file:///srv/other.vhd']),
    ).toEqual(['/srv/base.vhd', '/srv/other.vhd', '/vms/copy/base.vhd', '/vms/copy/other.vhd']);
  });

  it('ignores empty locators', () => {
    expect(parentCandidates(child, ['', '.\\a.vhd'])).toEqual(['/vms/copy/a.vhd']);
  });
});

describe('opening a differencing chain', () => {
  async function chain(name: string): Promise<{ base: string; child: string }> {
    const base = path.join(dir, `${name}-base.vhd`);
    await qemuImg('create', '-f', 'vpc', '-o', 'subformat=dynamic', base, '4M');
    const child = path.join(dir, `${name}-child.vhd`);
    await createDifferencingVhd({
      parent: base,
      child,
      writes: [{ offset: 4096, data: seededBytes(1, 4096) }],
    });
    return { base, child };
  }

  it('reports a missing parent with the paths it tried', async () => {
    const { base, child } = await chain('missing');
    await rm(base);
    const error = await openDisk(child).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_PARENT_MISSING', path: child });
    expect((error as Error).message).toContain(base);
  });

  it('refuses a chain that loops back on itself', async () => {
    const { base, child } = await chain('cycle');
    // The child now sits where its parent was: its locators name itself.
    await rename(child, base);
    await expect(openDisk(base)).rejects.toMatchObject({ code: 'DISK_PARENT_CYCLE' });
  });
});
