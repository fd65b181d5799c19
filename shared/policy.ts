/**
 * Backup policies, their schedules and inventory sources: the shapes the engine stores and the
 * CLI and app edit. Each has a zod schema, the one validation every boundary uses (CLI input,
 * the app's requests, rows read back from the catalog).
 */
import { z } from 'zod';

/** Letters, digits, dot, dash and underscore: safe in file names, job names and URLs. */
export const POLICY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const scheduleSchema = z
  .object({
    name: z.string().regex(POLICY_NAME_PATTERN, 'a schedule name is letters, digits, . _ -'),
    /** A full backup re-reads everything; an Accelerator incremental reads only changes. */
    type: z.enum(['full', 'accelerator']),
    /** Seconds between two runs. */
    frequencySeconds: z
      .number()
      .int()
      .min(60, 'a schedule runs at most once a minute')
      .max(366 * 86400),
    /**
     * The start window, in local time: minutes after midnight and its length. A window may
     * cross midnight. Null: the schedule may start at any time.
     */
    window: z
      .object({
        startMinute: z.number().int().min(0).max(1439),
        durationMinutes: z.number().int().min(1).max(1440),
      })
      .nullable(),
    /** Seconds an image of this schedule is kept; null keeps it until expired by hand. */
    retentionSeconds: z.number().int().positive().nullable(),
  })
  .strict();
export type Schedule = z.infer<typeof scheduleSchema>;

export const vmSelectionSchema = z.discriminatedUnion('kind', [
  /** VMs named by ID or by name. */
  z.object({ kind: z.literal('list'), vms: z.array(z.string().min(1)).min(1) }).strict(),
  /** An Intelligent Policy query over VM attributes (see shared/vm-query.ts). */
  z.object({ kind: z.literal('query'), query: z.string().min(1) }).strict(),
]);
export type VmSelection = z.infer<typeof vmSelectionSchema>;

export const policySchema = z
  .object({
    name: z.string().regex(POLICY_NAME_PATTERN, 'a policy name is letters, digits, . _ -'),
    enabled: z.boolean(),
    selection: vmSelectionSchema,
    /** Off: every backup reads and stores every block (a plain full). */
    accelerator: z.boolean(),
    /** Every Nth Accelerator backup of a VM is a forced rescan; null never. */
    forcedRescanEvery: z.number().int().min(1).max(1000).nullable(),
    /** Clone each disk (copy-on-write) before reading it, so it cannot change under the read. */
    snapshotFirst: z.boolean(),
    /** Backup hosts and streams per host for this policy; null takes tessera.conf's. */
    hosts: z.number().int().min(1).max(64).nullable(),
    streamsPerHost: z.number().int().min(1).max(64).nullable(),
    schedules: z.array(scheduleSchema),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    for (const [i, schedule] of policy.schedules.entries()) {
      if (seen.has(schedule.name))
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', i, 'name'],
          message: `two schedules are named "${schedule.name}"`,
        });
      seen.add(schedule.name);
    }
  });
export type Policy = z.infer<typeof policySchema>;

/** The policy name one-click backups run under (a stored policy may not take it). */
export const BACKUP_NOW_POLICY = 'backup-now';

/** A new policy with the defaults: Accelerator on, no forced rescans, hosts from tessera.conf. */
export function newPolicy(name: string, selection: VmSelection): Policy {
  return {
    name,
    enabled: true,
    selection,
    accelerator: true,
    forcedRescanEvery: null,
    snapshotFirst: false,
    hosts: null,
    streamsPerHost: null,
    schedules: [],
  };
}

export const SOURCE_KINDS = ['folder', 'libvirt', 'virtualbox'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const newSourceSchema = z
  .object({
    kind: z.enum(SOURCE_KINDS),
    /** A folder to walk, a libvirt domain XML file or folder of them, a .vbox file or folder. */
    path: z.string().min(1),
    name: z.string().min(1).max(128).optional(),
  })
  .strict();
export type NewSource = z.infer<typeof newSourceSchema>;

/** Turns a zod failure into one line a person can act on: `schedules.0.name: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ` : '') + issue.message)
    .join('; ');
}
