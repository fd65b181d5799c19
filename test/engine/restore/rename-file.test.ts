/**
 * The nbrestorevm-style rename file: every directive, comments and quoting, the edits it turns
 * into, and bad input, which must name the line, the column and what was expected.
 */
import { describe, expect, it } from 'vitest';
import {
  mergeEdits,
  parseRenameFile,
  RenameFileError,
  renameEdits,
} from '../../../electron/engine/restore/rename-file.js';

/** The error a bad rename file throws. */
function errorOf(text: string): RenameFileError {
  try {
    parseRenameFile(text, 'web01.rename');
  } catch (error) {
    expect(error).toBeInstanceOf(RenameFileError);
    return error as RenameFileError;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('parseRenameFile', () => {
  it('reads every directive, skipping blank lines and comments', () => {
    const text = [
      '# restore web01 as a test copy',
      '',
      'change vmname to web01 restored',
      'CHANGE VMID TO NEW',
      'change mac to keep',
      'change cpus to 4',
      'change memory to 8G',
      'change format to vhd-fixed',
      'change format of disk 1 to raw',
      'change disk 1 to data/web01-data.raw',
      'change /vms/web01/web01.vhdx to /restore/web01/boot.vhdx',
      'change /vms/shared/ to /restore/shared/',
      'change network default to isolated lab',
      'change network to br0',
      '   remove network backup-lan   ',
    ].join('\n');
    expect(parseRenameFile(text)).toEqual([
      { kind: 'vmname', line: 3, name: 'web01 restored' },
      { kind: 'vmid', line: 4, value: 'new' },
      { kind: 'mac', line: 5, value: 'keep' },
      { kind: 'cpus', line: 6, cpus: 4 },
      { kind: 'memory', line: 7, memoryMB: 8192 },
      { kind: 'format', line: 8, position: null, format: 'vhd-fixed' },
      { kind: 'format', line: 9, position: 1, format: 'raw' },
      { kind: 'disk', line: 10, position: 1, to: 'data/web01-data.raw' },
      {
        kind: 'path',
        line: 11,
        from: '/vms/web01/web01.vhdx',
        to: '/restore/web01/boot.vhdx',
      },
      { kind: 'path', line: 12, from: '/vms/shared/', to: '/restore/shared/' },
      { kind: 'network', line: 13, from: 'default', to: 'isolated lab' },
      { kind: 'network', line: 14, from: null, to: 'br0' },
      { kind: 'network', line: 15, from: 'backup-lan', to: null },
    ]);
  });

  it('takes memory in MiB with or without a unit, Windows line ends and a byte order mark', () => {
    const text = '\uFEFFchange memory to 2048\r\n';
    expect(parseRenameFile(text)).toEqual([{ kind: 'memory', line: 1, memoryMB: 2048 }]);
    for (const [value, mb] of [
      ['512M', 512],
      ['512 MiB', 512],
      ['2GiB', 2048],
      ['1gb', 1024],
    ] as const) {
      expect(parseRenameFile(`change memory to ${value}`)[0]).toMatchObject({ memoryMB: mb });
    }
  });

  it('takes quoted names and paths holding " to ", with \\" and \\\\ escapes', () => {
    const text = [
      'change "/vms/back to back/a.vhdx" to "/restore/a \\"quoted\\" \\\\ disk.vhdx"',
      'change vmname to "  spaced  "',
      'change network "to the lab" to lab',
    ].join('\n');
    expect(parseRenameFile(text)).toEqual([
      {
        kind: 'path',
        line: 1,
        from: '/vms/back to back/a.vhdx',
        to: '/restore/a "quoted" \\ disk.vhdx',
      },
      { kind: 'vmname', line: 2, name: '  spaced  ' },
      { kind: 'network', line: 3, from: 'to the lab', to: 'lab' },
    ]);
  });

  it('takes Windows paths as nbrestorevm writes them for Hyper-V', () => {
    expect(
      parseRenameFile('change C:\\Hyper-V\\web01\\web01.vhdx to D:\\Restore\\web01.vhdx'),
    ).toEqual([
      {
        kind: 'path',
        line: 1,
        from: 'C:\\Hyper-V\\web01\\web01.vhdx',
        to: 'D:\\Restore\\web01.vhdx',
      },
    ]);
  });

  it.each([
    [
      'rename vmname to x',
      1,
      'expected "change" or "remove" at the start of the line, found "rename"',
    ],
    ['change', 7, 'expected what to change'],
    ['change vmname as web02', 15, 'expected "to" after "change vmname", found "as"'],
    ['change vmname to', 17, 'expected the new VM name, found the end of the line'],
    ['change vmname to a/b', 18, '"a/b" is not a VM name'],
    ['change vmid to maybe', 16, 'expected "new" or "keep" after "change vmid to", found "maybe"'],
    ['change cpus to four', 16, 'expected a CPU count from 1 to 1024, found "four"'],
    ['change cpus to 0', 16, 'expected a CPU count from 1 to 1024, found "0"'],
    ['change cpus to 4 please', 18, 'expected the end of the line, found "please"'],
    [
      'change memory to 2T',
      18,
      'expected a memory size in MiB (like 8192, 8192M or 8G, at least 4), found "2T"',
    ],
    ['change memory to 2', 18, 'found "2"'],
    [
      'change format to qcow2',
      18,
      'expected a disk format (vhdx, vhd-fixed, vhd, raw), found "qcow2"',
    ],
    [
      'change format of disk x to raw',
      23,
      'expected a disk position (0 = the boot disk), found "x"',
    ],
    ['change format of 1 to raw', 18, 'expected "disk" after "change format of", found "1"'],
    ['change disk 1 /new/path', 15, 'expected "to" after "change disk 1", found "/new/path"'],
    [
      'change webserver to web02',
      8,
      'expected vmname, vmid, mac, cpus, memory, format, disk, network or a disk path after "change", found "webserver"',
    ],
    ['change /vms/web01.vhdx', 23, 'expected "to" after a disk path'],
    ['change /vms/web01.vhdx to', 26, 'expected the new path, found the end of the line'],
    ['change "/vms/web01.vhdx to /x', 8, 'the quoted a disk path has no closing "'],
    ['change vmname to "a" b', 22, 'expected the end of the line, found "b"'],
    ['remove disk 1', 8, 'expected "network" after "remove", found "disk"'],
    ['change network default', 23, 'expected "to" after a network name'],
  ])('refuses %j at column %i: %s', (text, column, reason) => {
    const error = errorOf(`# first line\n${text}`);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.line).toBe(2);
    expect(error.column).toBe(column);
    expect(error.message).toContain(`web01.rename line 2, column ${column}: `);
    expect(error.reason).toContain(reason);
  });
});

describe('renameEdits', () => {
  it('turns directives into the edits of a restore request', () => {
    const edits = renameEdits(
      parseRenameFile(
        [
          'change vmname to web02',
          'change vmid to new',
          'change mac to new',
          'change cpus to 2',
          'change memory to 4096',
          'change format to vhd-fixed',
          'change format of disk 1 to raw',
          'change disk 1 to data.raw',
          'change /vms/web01/ to /restore/',
          'change network default to lab',
          'remove network backup',
        ].join('\n'),
      ),
    );
    expect(edits).toEqual({
      name: 'web02',
      newId: true,
      newMacs: true,
      cpus: 2,
      memoryMB: 4096,
      format: 'vhd-fixed',
      disks: [{ position: 1, format: 'raw', path: 'data.raw' }],
      pathChanges: [{ from: '/vms/web01/', to: '/restore/' }],
      networks: [
        { from: 'default', to: 'lab' },
        { from: 'backup', to: null },
      ],
    });
    expect(renameEdits([])).toEqual({});
  });

  it.each([
    ['change vmname to a\nchange vmname to b', 'the VM name is already changed on line 1'],
    ['change cpus to 2\n\nchange cpus to 4', 'the CPU count is already changed on line 1'],
    [
      'change disk 0 to a.vhdx\nchange disk 0 to b.vhdx',
      'the path of disk 0 is already changed on line 1',
    ],
    ['change network a to b\nremove network a', 'network "a" is already changed on line 1'],
    [
      'change /x/a.vhdx to /y\nchange /x/a.vhdx to /z',
      'the path /x/a.vhdx is already changed on line 1',
    ],
  ])('refuses a change made twice: %j', (text, reason) => {
    const lines = text.split('\n').length;
    expect(() => renameEdits(parseRenameFile(text), 'r.txt')).toThrow(
      `r.txt line ${lines}, column 1: ${reason}`,
    );
  });

  it('merges edits given beside the rename file over it', () => {
    const base = renameEdits(
      parseRenameFile('change vmname to a\nchange format of disk 0 to raw\nchange disk 0 to x.raw'),
    );
    expect(
      mergeEdits(base, { format: 'vhdx', newId: true, disks: [{ position: 0, format: 'vhd' }] }),
    ).toEqual({
      name: 'a',
      format: 'vhdx',
      newId: true,
      disks: [{ position: 0, format: 'vhd', path: 'x.raw' }],
    });
  });
});
