import { describe, expect, it } from 'vitest';
import type { InventoryVm, VmDisk } from '../../shared/inventory.js';
import {
  parseVmQuery,
  selectVms,
  VM_QUERY_FIELDS,
  VmQueryError,
  vmQueryFields,
  type VmQueryFields,
} from '../../shared/vm-query.js';

const GiB = 2 ** 30;

function disk(virtualSize: number | null): VmDisk {
  return { path: '/vms/d.vhdx', format: 'vhdx', virtualSize, chain: [], slot: null, problem: null };
}

function vm(overrides: Partial<InventoryVm> & { name: string }): InventoryVm {
  return {
    id: `id-${overrides.name}`,
    sourceId: 1,
    sourceKind: 'folder',
    configPath: `/vms/${overrides.name}`,
    disks: [disk(10 * GiB)],
    metadata: {
      cpus: 2,
      memoryMB: 2048,
      networkAdapters: [],
      notes: null,
      os: null,
      firmware: null,
    },
    ...overrides,
  };
}

/** Fields as vmQueryFields returns them, every one known unless overridden. */
function fields(overrides: Partial<VmQueryFields> = {}): VmQueryFields {
  return {
    name: 'SQL-Prod-01',
    id: '4c4c4544-0042',
    source: 'hyperv-lab',
    kind: 'folder',
    path: '/vms/sql-prod-01/sql.vmcx',
    os: 'Windows Server 2022',
    notes: 'primary database',
    firmware: 'uefi',
    cpus: 8,
    memoryMB: 16384,
    disks: 2,
    sizeGB: 250.5,
    nics: 1,
    ...overrides,
  };
}

const matches = (query: string, f: VmQueryFields = fields()): boolean =>
  parseVmQuery(query).matches(f);

/** The error parseVmQuery throws for `query` (fails the test when it parses). */
function errorOf(query: string): VmQueryError {
  try {
    parseVmQuery(query);
  } catch (error) {
    expect(error).toBeInstanceOf(VmQueryError);
    return error as VmQueryError;
  }
  throw new Error(`expected ${JSON.stringify(query)} not to parse`);
}

describe('vmQueryFields', () => {
  it('computes every field from an inventory VM', () => {
    const machine = vm({
      name: 'web-1',
      id: 'a1b2',
      sourceKind: 'libvirt',
      configPath: '/etc/libvirt/qemu/web-1.xml',
      disks: [disk(20 * GiB), disk(null), disk(GiB / 2)],
      metadata: {
        cpus: 4,
        memoryMB: 8192,
        networkAdapters: [
          { name: 'eth0', mac: null, network: 'default' },
          { name: 'eth1', mac: null, network: 'dmz' },
        ],
        notes: 'frontend',
        os: 'hvm',
        firmware: 'pc-q35',
      },
    });
    expect(vmQueryFields(machine, 'kvm-host')).toEqual({
      name: 'web-1',
      id: 'a1b2',
      source: 'kvm-host',
      kind: 'libvirt',
      path: '/etc/libvirt/qemu/web-1.xml',
      os: 'hvm',
      notes: 'frontend',
      firmware: 'pc-q35',
      cpus: 4,
      memoryMB: 8192,
      disks: 3,
      sizeGB: 20.5,
      nics: 2,
    });
  });

  it('reports unknown metadata as null, and a size only when some disk size is known', () => {
    const noSizes = vmQueryFields(vm({ name: 'x', disks: [disk(null), disk(null)] }), null);
    expect(noSizes.sizeGB).toBeNull();
    expect(noSizes.source).toBeNull();
    expect(noSizes.os).toBeNull();
    expect(vmQueryFields(vm({ name: 'x', disks: [] }), 's').sizeGB).toBe(0);
  });

  it('has a value for every field the language knows', () => {
    const computed = vmQueryFields(vm({ name: 'x' }), 's');
    expect(Object.keys(computed).sort()).toEqual(VM_QUERY_FIELDS.map((f) => f.name).sort());
  });
});

describe('parseVmQuery: operators', () => {
  it('= and == compare text ignoring case, numbers exactly', () => {
    expect(matches('name = "sql-prod-01"')).toBe(true);
    expect(matches('name == "SQL-PROD-01"')).toBe(true);
    expect(matches('name = "sql-prod"')).toBe(false);
    expect(matches('cpus = 8')).toBe(true);
    expect(matches('cpus == 8.0')).toBe(true);
    expect(matches('sizeGB = 250.5')).toBe(true);
    expect(matches('cpus = 4')).toBe(false);
  });

  it('!= is the negation of = for known values', () => {
    expect(matches('name != "sql-prod-01"')).toBe(false);
    expect(matches('name != "web"')).toBe(true);
    expect(matches('memoryMB != 16384')).toBe(false);
    expect(matches('memoryMB != 4096')).toBe(true);
  });

  it('<, <=, >, >= compare numbers, including decimals and negatives', () => {
    expect(matches('memoryMB < 16384')).toBe(false);
    expect(matches('memoryMB <= 16384')).toBe(true);
    expect(matches('memoryMB > 16383')).toBe(true);
    expect(matches('memoryMB >= 16385')).toBe(false);
    expect(matches('sizeGB > 250.49 and sizeGB < 250.51')).toBe(true);
    expect(matches('cpus > -1')).toBe(true);
    expect(matches('cpus>=8')).toBe(true);
  });

  it('contains, startswith and endswith ignore case', () => {
    expect(matches('name contains "PROD"')).toBe(true);
    expect(matches('name startswith "sql"')).toBe(true);
    expect(matches('name startswith "prod"')).toBe(false);
    expect(matches('name endswith "-01"')).toBe(true);
    expect(matches('os endswith "2019"')).toBe(false);
    expect(matches('notes contains ""')).toBe(true);
  });

  it('matches takes a /regex/ or a string, always ignoring case', () => {
    expect(matches('name matches /^sql-\\w+-\\d+$/')).toBe(true);
    expect(matches('name matches "^SQL-PROD"')).toBe(true);
    expect(matches('name matches /^prod/')).toBe(false);
    expect(matches('path matches /sql-prod-01\\/sql/')).toBe(true);
    expect(matches('path matches /[/]sql\\.vmcx$/')).toBe(true);
    expect(matches('name matches /PROD/i')).toBe(true);
  });

  it('in lists values of the field type, text ignoring case', () => {
    expect(matches('firmware in ("bios", "UEFI")')).toBe(true);
    expect(matches('firmware in ("bios")')).toBe(false);
    expect(matches('cpus in (2, 4, 8)')).toBe(true);
    expect(matches('cpus in (2, 4)')).toBe(false);
  });

  it('accepts keywords and field names in any case, and single-quoted strings', () => {
    expect(matches("NAME CONTAINS 'sql' AND MemoryMb >= 4096 Or NOT cpus < 1")).toBe(true);
    expect(matches("os StartsWith 'windows'")).toBe(true);
    expect(matches('SIZEGB In (250.5)')).toBe(true);
  });

  it('decodes escapes in strings', () => {
    expect(matches('notes = "say \\"hi\\"\\n"', fields({ notes: 'say "hi"\n' }))).toBe(true);
    expect(matches("notes = 'it\\'s'", fields({ notes: "it's" }))).toBe(true);
    expect(matches('path = "C:\\\\VMs"', fields({ path: 'C:\\VMs' }))).toBe(true);
  });
});

describe('parseVmQuery: boolean structure', () => {
  const small = fields({ memoryMB: 1024, name: 'web' });

  it('and binds tighter than or', () => {
    // a or (b and c): true through a alone.
    expect(matches('name = "web" or cpus = 1 and memoryMB = 1', small)).toBe(true);
    // (a or b) and c: false, c is false.
    expect(matches('(name = "web" or cpus = 1) and memoryMB = 1', small)).toBe(false);
    expect(matches('cpus = 1 and memoryMB = 1 or name = "web"', small)).toBe(true);
  });

  it('not binds tighter than and', () => {
    // (not a) and b
    expect(matches('not name = "web" and memoryMB = 1024', small)).toBe(false);
    expect(matches('not (name = "x" and memoryMB = 1024)', small)).toBe(true);
    expect(matches('not not name = "web"', small)).toBe(true);
  });

  it('parentheses nest', () => {
    expect(matches('((name = "web") and ((cpus = 8) or (cpus = 1)))', small)).toBe(true);
    expect(matches('(((cpus = 1)))', small)).toBe(false);
  });

  it('runs the examples from the policy editor', () => {
    expect(matches('name contains "sql" and memoryMB >= 4096')).toBe(true);
    expect(
      matches(
        '(source = "hyperv-lab" or os startswith "Windows") and not notes contains "retired"',
      ),
    ).toBe(true);
    expect(
      matches(
        '(source = "hyperv-lab" or os startswith "Windows") and not notes contains "retired"',
        fields({ notes: 'RETIRED 2024' }),
      ),
    ).toBe(false);
    expect(matches('disks > 1 and sizeGB < 100')).toBe(false);
    expect(matches('disks > 1 and sizeGB < 100', fields({ sizeGB: 99.9 }))).toBe(true);
  });
});

describe('parseVmQuery: unknown (null) values', () => {
  const unknown = fields({ os: null, cpus: null });

  it('makes every comparison false, != and in included', () => {
    for (const query of [
      'os = "linux"',
      'os != "linux"',
      'os contains ""',
      'os startswith "l"',
      'os endswith "x"',
      'os matches /.*/',
      'os in ("linux", "windows")',
      'cpus = 0',
      'cpus != 0',
      'cpus < 100',
      'cpus >= 0',
      'cpus in (1, 2)',
    ]) {
      expect(matches(query, unknown), query).toBe(false);
    }
  });

  it('not negates the comparison result, so not selects the unknown', () => {
    expect(matches('not os = "linux"', unknown)).toBe(true);
    expect(matches('not cpus > 2', unknown)).toBe(true);
  });

  it('treats a missing key or a value of the wrong type as unknown', () => {
    expect(parseVmQuery('os != "x"').matches({ name: 'a' })).toBe(false);
    expect(matches('cpus != 1', fields({ cpus: 'many' }))).toBe(false);
    expect(matches('cpus != 1', fields({ cpus: Number.NaN }))).toBe(false);
  });
});

describe('VmQuery.toString', () => {
  const cases: Array<[string, string]> = [
    ['NAME contains "sql" AND memoryMB>=4096', 'name contains "sql" and memoryMB >= 4096'],
    ['memorymb == 4096.0', 'memoryMB = 4096'],
    ['notes = \'say "hi"\\n\'', 'notes = "say \\"hi\\"\\n"'],
    ['name = "a" or (cpus = 1 or cpus = 2)', 'name = "a" or cpus = 1 or cpus = 2'],
    ['(name = "a" and cpus = 1) or nics = 0', 'name = "a" and cpus = 1 or nics = 0'],
    ['(name = "a" or cpus = 1) and nics = 0', '(name = "a" or cpus = 1) and nics = 0'],
    ['not (name = "a" or cpus = 1)', 'not (name = "a" or cpus = 1)'],
    ['NOT NOT (name = "a")', 'not not name = "a"'],
    ['cpus IN (1,2 , 3)', 'cpus in (1, 2, 3)'],
    ['name matches "a/b"', 'name matches /a\\/b/'],
    ['name matches /x[/]y/I', 'name matches /x[/]y/'],
    ['cpus = 1e21 or sizeGB < 0.0000001', 'cpus = 1e+21 or sizeGB < 1e-7'],
  ];

  it.each(cases)('%s → %s', (query, canonical) => {
    expect(parseVmQuery(query).toString()).toBe(canonical);
    expect(String(parseVmQuery(query))).toBe(canonical);
  });

  it('parses back to a query that selects the same VMs, and is a fixed point', () => {
    const samples = [
      fields(),
      fields({ name: 'a', cpus: 1, nics: 0, os: null }),
      fields({ name: 'A/B', memoryMB: 1024, notes: 'x[/]y' }),
      fields({ cpus: null, sizeGB: 0, notes: 'say "hi"\n' }),
    ];
    const queries = [
      ...cases.map(([query]) => query),
      '(source = "hyperv-lab" or os startswith "Windows") and not notes contains "retired"',
      'not (name = "a" and (cpus = 1 or nics = 0)) or memoryMB < 2048',
      'name matches /^a\\/b$/ or notes matches "say \\"hi\\"\\n"',
    ];
    for (const query of queries) {
      const first = parseVmQuery(query);
      const again = parseVmQuery(first.toString());
      expect(again.toString(), query).toBe(first.toString());
      for (const sample of samples)
        expect(again.matches(sample), query).toBe(first.matches(sample));
    }
  });
});

describe('parseVmQuery: errors', () => {
  const cases: Array<{ query: string; message: string; position: number; length: number }> = [
    {
      query: 'x and memoryMB >=',
      message:
        'column 1: unknown field "x" (fields: name, id, source, kind, path, os, notes, firmware, cpus, memoryMB, disks, sizeGB, nics)',
      position: 0,
      length: 1,
    },
    {
      query: 'name = "a" and memoryMB >=',
      message: 'column 27: expected a value after ">=", found end of query',
      position: 26,
      length: 0,
    },
    {
      query: 'memry > 3',
      message: 'column 1: unknown field "memry" (did you mean "memoryMB"?)',
      position: 0,
      length: 5,
    },
    {
      query: 'cpus > 1 and nmae = "x"',
      message: 'column 14: unknown field "nmae" (did you mean "name"?)',
      position: 13,
      length: 4,
    },
    {
      query: 'name = "sql',
      message: 'column 8: unterminated string: expected a closing " before the end of the query',
      position: 7,
      length: 4,
    },
    {
      query: 'name like "x"',
      message:
        'column 6: expected an operator after name (=, !=, <, <=, >, >=, contains, startswith, endswith, matches or in), found "like"',
      position: 5,
      length: 4,
    },
    {
      query: 'name ~ "x"',
      message:
        'column 6: expected an operator after name (=, !=, <, <=, >, >=, contains, startswith, endswith, matches or in), found "~"',
      position: 5,
      length: 1,
    },
    {
      query: 'name = "a" "b"',
      message: 'column 12: expected "and", "or" or end of query, found the string "b"',
      position: 11,
      length: 3,
    },
    {
      query: 'name = "a" && cpus > 1',
      message: 'column 12: expected "and", "or" or end of query, found "&&" (write "and")',
      position: 11,
      length: 2,
    },
    {
      query: '',
      message: 'column 1: the query is empty: expected a condition such as name contains "sql"',
      position: 0,
      length: 0,
    },
    {
      query: '   ',
      message: 'column 1: the query is empty: expected a condition such as name contains "sql"',
      position: 0,
      length: 3,
    },
    {
      query: '(name = "a" or cpus > 2',
      message: 'column 24: expected ")" to close the "(" at column 1, found end of query',
      position: 23,
      length: 0,
    },
    {
      query: 'name = "a")',
      message: 'column 11: found ")" without a matching "("',
      position: 10,
      length: 1,
    },
    {
      query: '(name = "a" "b")',
      message:
        'column 13: expected "and", "or" or ")" (closing the "(" at column 1), found the string "b"',
      position: 12,
      length: 3,
    },
    {
      query: 'memoryMB contains "x"',
      message: 'column 10: contains compares text; memoryMB is a number',
      position: 9,
      length: 8,
    },
    {
      query: 'cpus matches /4/',
      message: 'column 6: matches compares text; cpus is a number',
      position: 5,
      length: 7,
    },
    {
      query: 'name > 3',
      message: 'column 6: ">" compares numbers; name is text',
      position: 5,
      length: 1,
    },
    {
      query: 'memoryMB = "4096"',
      message:
        'column 12: memoryMB is a number; expected a number after "=", found the string "4096"',
      position: 11,
      length: 6,
    },
    {
      query: 'name in ("a", 3)',
      message: 'column 15: name is text; expected a quoted string after ",", found the number 3',
      position: 14,
      length: 1,
    },
    {
      query: 'name = sql',
      message: 'column 8: expected a value after "=", found "sql" (text goes in quotes: "sql")',
      position: 7,
      length: 3,
    },
    {
      query: 'name = /x/',
      message:
        'column 8: expected a value after "=", found the regex /x/ (a /regex/ goes only after matches)',
      position: 7,
      length: 3,
    },
    {
      query: 'name matches /(/',
      message: 'column 14: invalid regular expression /(/: Unterminated group',
      position: 13,
      length: 3,
    },
    {
      query: 'name matches /abc',
      message: 'column 14: unterminated regex: expected a closing / before the end of the query',
      position: 13,
      length: 4,
    },
    {
      query: 'name matches /x/g',
      message: 'column 17: regex flags "g" are not supported (a regex always ignores case)',
      position: 16,
      length: 1,
    },
    {
      query: 'name matches 3',
      message: 'column 14: expected a /regex/ or a string after matches, found the number 3',
      position: 13,
      length: 1,
    },
    {
      query: 'name in "a"',
      message: 'column 9: expected "(" after in, found the string "a"',
      position: 8,
      length: 3,
    },
    {
      query: 'name in ()',
      message: 'column 10: expected a value after "(", found ")"',
      position: 9,
      length: 1,
    },
    {
      query: 'name in ("a" "b")',
      message:
        'column 14: expected "," or ")" in the list opened at column 9, found the string "b"',
      position: 13,
      length: 3,
    },
    {
      query: 'cpus > 4x',
      message: 'column 8: invalid number "4x"',
      position: 7,
      length: 2,
    },
    {
      query: 'name = "a\\qb"',
      message:
        'column 10: unknown escape "\\q" in a string (write \\\\ for a backslash, or use a /regex/)',
      position: 9,
      length: 2,
    },
    {
      query: 'cpus > 1 and not',
      message: 'column 17: expected a field name, "not" or "(" after "not", found end of query',
      position: 16,
      length: 0,
    },
    {
      query: 'name = "a" or',
      message: 'column 14: expected a field name, "not" or "(" after "or", found end of query',
      position: 13,
      length: 0,
    },
    {
      query: 'and cpus > 1',
      message: 'column 1: expected a field name, "not" or "(", found "and"',
      position: 0,
      length: 3,
    },
    {
      query: 'name',
      message:
        'column 5: expected an operator after name (=, !=, <, <=, >, >=, contains, startswith, endswith, matches or in), found end of query',
      position: 4,
      length: 0,
    },
    {
      query: '! name = "a"',
      message: 'column 1: expected a field name, "not" or "(", found "!" (write "not")',
      position: 0,
      length: 1,
    },
    {
      query: 'name = "a"\n  and foo = 1',
      message:
        'line 2, column 7: unknown field "foo" (fields: name, id, source, kind, path, os, notes, firmware, cpus, memoryMB, disks, sizeGB, nics)',
      position: 17,
      length: 3,
    },
  ];

  it.each(cases)('$query', ({ query, message, position, length }) => {
    const error = errorOf(query);
    expect(error.message).toBe(message);
    expect(error.position).toBe(position);
    expect(error.length).toBe(length);
    expect(error.reason).toBe(message.replace(/^(line \d+, )?column \d+: /, ''));
    // The span points at what the message talks about.
    expect(position + length).toBeLessThanOrEqual(query.length);
  });

  it('reports the first problem in text order', () => {
    // A type error before an unterminated string: the type error wins.
    expect(errorOf('cpus contains "x" and name = "open').reason).toBe(
      'contains compares text; cpus is a number',
    );
    expect(errorOf('name = "a" and name = "open').reason).toMatch(/^unterminated string/);
  });

  it('is a TesseraError with a BAD_REQUEST code, so it crosses the API boundary', () => {
    const error = errorOf('memry > 3');
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.name).toBe('VmQueryError');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('selectVms', () => {
  const vms = [
    vm({ name: 'SQL-01', id: 'guid-1', sourceId: 1 }),
    vm({ name: 'web-01', id: 'guid-2', sourceId: 2 }),
    vm({ name: 'web-02', id: 'guid-3', sourceId: 3 }),
  ];
  const sources = new Map([
    [1, 'hyperv-lab'],
    [2, 'kvm'],
  ]);

  it('selects a list by exact ID or by name ignoring case, in inventory order', () => {
    const selected = selectVms({ kind: 'list', vms: ['web-02', 'sql-01', 'GUID-2'] }, vms, sources);
    expect(selected.map((v) => v.name)).toEqual(['SQL-01', 'web-02']);
    const byId = selectVms({ kind: 'list', vms: ['guid-2'] }, vms, sources);
    expect(byId.map((v) => v.name)).toEqual(['web-01']);
  });

  it('selects by query, with the source name from the map (unknown source: null)', () => {
    const query = (q: string) =>
      selectVms({ kind: 'query', query: q }, vms, sources).map((v) => v.name);
    expect(query('source = "KVM" or name startswith "sql"')).toEqual(['SQL-01', 'web-01']);
    expect(query('source != "kvm"')).toEqual(['SQL-01']);
    expect(query('not source = "kvm"')).toEqual(['SQL-01', 'web-02']);
  });

  it('throws VmQueryError for a bad query', () => {
    expect(() => selectVms({ kind: 'query', query: 'name =' }, vms, sources)).toThrow(VmQueryError);
  });
});
