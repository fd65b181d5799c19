import { describe, expect, it } from 'vitest';
import type { PlannedDisk, PlannedVm } from '../../../shared/restore.js';
import {
  maintenanceNotes,
  type NotesInput,
} from '../../../electron/engine/restore/maintenance-notes.js';

const disk: PlannedDisk = {
  position: 0,
  sourceName: 'web01.vhdx',
  sourcePath: '/vms/web01/web01.vhdx',
  sourceFormat: 'vhdx',
  targetPath: '/restore/web01/web01.vhdx',
  format: 'vhdx',
  virtualSize: 64 * 1024 * 1024,
  identity: '0f6f1b1f-2a01-4a53-9d0a-5b0c1f4e7d7e',
  slot: null,
};

function vm(kind: PlannedVm['kind']): PlannedVm {
  return {
    kind,
    name: 'web01-copy',
    originalName: 'web01',
    id: 'folder:abc',
    idKept: true,
    configPath: kind === 'folder' ? null : '/restore/web01/web01-copy.xml',
    cpus: 1,
    memoryMB: 1024,
    notes: null,
    os: null,
    firmware: null,
    networkAdapters: [],
    droppedAdapters: [],
  };
}

function input(planned: PlannedVm): NotesInput {
  return {
    original: false,
    folder: '/restore/web01',
    vm: planned,
    recordedId: planned.id,
    recordedConfigPath: null,
    disks: [disk],
    disksOnlyReason: null,
    defaulted: ['CPU count', 'memory'],
    configKept: false,
    replacing: [],
  };
}

describe('maintenance notes', () => {
  it('for a folder of loose disks speak of the disks only: no ID, CPU, memory or configuration', () => {
    const notes = maintenanceNotes(input(vm('folder')));
    expect(notes.map((note) => note.kind)).toEqual(['register']);
    expect(notes[0]!.message).toContain('/restore/web01');
    expect(notes.map((note) => note.message).join(' ')).not.toMatch(/configuration|CPU|ID/);
  });

  it('for a libvirt VM name the defaults, the kept ID and the re-pointed disk paths', () => {
    const kinds = maintenanceNotes(input(vm('libvirt'))).map((note) => note.kind);
    expect(kinds).toEqual(['register', 'same-id', 'defaults', 'disk-paths']);
  });
});
