/**
 * Inventory sources in a real catalog file: default and explicit names, path normalisation,
 * conflicts, invalid sources, lookup by id or name, removal, and the table's own checks.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { NewSource } from '../../../shared/policy.js';
import { expectCode, useCatalogFiles, withCatalog, withRaw } from './catalog-helpers.js';

const freshPath = useCatalogFiles('tessera-catalog-sources-');

describe('inventory sources', () => {
  it('adds sources with unique default names, stamped now, listed by id', () => {
    let clock = 5_000;
    withCatalog(
      freshPath(),
      (catalog) => {
        const first = catalog.addSource({ kind: 'folder', path: '/srv/a/vms' });
        expect(first).toEqual({
          id: first.id,
          kind: 'folder',
          path: '/srv/a/vms',
          name: 'vms',
          addedAt: 5_000,
        });
        clock += 10;
        // Same base name, other paths (and another kind): -2, -3.
        const second = catalog.addSource({ kind: 'libvirt', path: '/srv/b/vms' });
        const third = catalog.addSource({ kind: 'folder', path: '/srv/c/vms/' });
        expect([second.name, third.name]).toEqual(['vms-2', 'vms-3']);
        expect(third.path).toBe('/srv/c/vms');
        expect(second.addedAt).toBe(5_010);

        const named = catalog.addSource({
          kind: 'virtualbox',
          path: '/home/me/VirtualBox VMs/win.vbox',
          name: 'Windows box',
        });
        expect(named.name).toBe('Windows box');
        // A root has no base name: the kind stands in.
        expect(catalog.addSource({ kind: 'folder', path: '/' }).name).toBe('folder');

        expect(catalog.listSources().map((source) => [source.id, source.name])).toEqual([
          [first.id, 'vms'],
          [second.id, 'vms-2'],
          [third.id, 'vms-3'],
          [named.id, 'Windows box'],
          [named.id + 1, 'folder'],
        ]);
        expect(catalog.getSource(second.id)).toEqual(second);
        expect(catalog.getSource('Windows box')).toEqual(named);
        expect(catalog.getSource(9999)).toBeNull();
        expect(catalog.getSource('nothing')).toBeNull();
        // A name is looked up as a name, even when it reads like an id.
        expect(catalog.getSource(String(first.id))).toBeNull();
      },
      { now: () => clock },
    );
  });

  it('stores the path absolute and normalised, so one folder is one source', () => {
    withCatalog(freshPath(), (catalog) => {
      const relative = catalog.addSource({ kind: 'folder', path: 'some/vms' });
      expect(relative.path).toBe(path.resolve('some/vms'));
      expect(relative.name).toBe('vms');

      catalog.addSource({ kind: 'folder', path: '/data/machines' });
      for (const same of ['/data/machines/', '/data/./machines', '/data/x/../machines']) {
        const error = expectCode(
          () => catalog.addSource({ kind: 'folder', path: same }),
          'CATALOG_CONFLICT',
        );
        expect(error.message).toContain(
          'The folder source /data/machines is already in the catalog',
        );
        expect(error.message).toContain('"machines"');
      }
      // The same path under another kind is another source.
      expect(catalog.addSource({ kind: 'libvirt', path: '/data/machines' }).name).toBe(
        'machines-2',
      );
      expect(catalog.listSources()).toHaveLength(3);
    });
  });

  it('refuses a name in use and invalid sources, storing nothing', () => {
    withCatalog(freshPath(), (catalog) => {
      const lab = catalog.addSource({ kind: 'folder', path: '/lab', name: 'lab' });
      const taken = expectCode(
        () => catalog.addSource({ kind: 'libvirt', path: '/etc/libvirt/qemu', name: 'lab' }),
        'CATALOG_CONFLICT',
      );
      expect(taken.message).toContain(`A source is already named "lab" (id ${lab.id}`);

      const badKind = expectCode(
        () => catalog.addSource({ kind: 'hyperv', path: '/x' } as unknown as NewSource),
        'BAD_REQUEST',
      );
      expect(badKind.message).toMatch(/^The inventory source is not valid: kind: /);
      const emptyPath = expectCode(
        () => catalog.addSource({ kind: 'folder', path: '' }),
        'BAD_REQUEST',
      );
      expect(emptyPath.message).toContain('path:');
      const extra = expectCode(
        () => catalog.addSource({ kind: 'folder', path: '/y', colour: 'red' } as NewSource),
        'BAD_REQUEST',
      );
      expect(extra.message).toContain('colour');
      expectCode(
        () => catalog.addSource({ kind: 'folder', path: '/z', name: 'n'.repeat(129) }),
        'BAD_REQUEST',
      );
      expect(catalog.listSources()).toEqual([lab]);
    });
  });

  it('removes sources by id or name, freeing their name and path', () => {
    const file = freshPath();
    withCatalog(file, (catalog) => {
      const a = catalog.addSource({ kind: 'folder', path: '/one/vms' });
      const b = catalog.addSource({ kind: 'folder', path: '/two/vms' });
      const c = catalog.addSource({ kind: 'libvirt', path: '/three/domains' });

      expect(catalog.removeSource(a.id)).toBe(true);
      expect(catalog.removeSource('vms-2')).toBe(true);
      expect(catalog.removeSource(a.id)).toBe(false);
      expect(catalog.removeSource('vms-2')).toBe(false);
      expect(catalog.getSource(b.id)).toBeNull();
      expect(catalog.listSources()).toEqual([c]);

      const again = catalog.addSource({ kind: 'folder', path: '/one/vms' });
      expect(again.name).toBe('vms');
      expect(again.id).toBeGreaterThan(c.id);
    });
    // Sources are kept in the file.
    withCatalog(file, (catalog) => {
      expect(catalog.listSources().map((source) => source.name)).toEqual(['domains', 'vms']);
    });
  });

  it('has a table that refuses unknown kinds and duplicate kind+path on its own', () => {
    const file = freshPath();
    withCatalog(file, (catalog) => catalog.addSource({ kind: 'folder', path: '/vms' }));
    withRaw(file, (db) => {
      const insert = db.prepare(
        `INSERT INTO sources (kind, path, name, added_at) VALUES (?, ?, ?, 0)`,
      );
      expect(() => insert.run('hyperv', '/h', 'h')).toThrow(Database.SqliteError);
      expect(() => insert.run('folder', '/vms', 'other')).toThrow(/UNIQUE/);
      expect(() => insert.run('libvirt', '/l', 'vms')).toThrow(/UNIQUE/);
      expect(db.prepare(`SELECT count(*) FROM sources`).pluck().get()).toBe(1);
    });
  });
});
