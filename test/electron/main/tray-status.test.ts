/** The tray's text, from the same job events the renderer gets. */
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../shared/jobs.js';
import { STATUS } from '../../../shared/status-codes.js';
import {
  EMPTY_TRAY_STATUS,
  jobEndedNotification,
  nextTrayStatus,
  traySeverity,
  trayStatusFromJobs,
  trayStatusLine,
  trayTooltip,
} from '../../../electron/main/tray-status.js';

const at = (ms: number) => `@${ms}`;

function job(overrides: Partial<JobInfo>): JobInfo {
  return {
    id: 1,
    parentId: null,
    kind: 'compound',
    policy: 'nightly',
    client: null,
    state: 'running',
    statusCode: null,
    startedAt: 1000,
    endedAt: null,
    detail: null,
    ...overrides,
  };
}

const ended = (overrides: Partial<JobInfo>) =>
  job({ state: 'done', statusCode: 0, endedAt: 2000, ...overrides });

describe('tray status', () => {
  it('starts with no backup and says so', () => {
    expect(trayStatusLine(EMPTY_TRAY_STATUS, at)).toBe('No backup yet');
    expect(trayTooltip(EMPTY_TRAY_STATUS, at)).toBe('Tessera: No backup yet');
    expect(traySeverity(EMPTY_TRAY_STATUS)).toBe('idle');
  });

  it('follows a backup from start to end', () => {
    let status = nextTrayStatus(EMPTY_TRAY_STATUS, { type: 'job-started', job: job({ id: 7 }) });
    expect(trayStatusLine(status, at)).toBe('Backing up…');
    expect(traySeverity(status)).toBe('running');
    status = nextTrayStatus(status, { type: 'job-started', job: job({ id: 8 }) });
    expect(trayStatusLine(status, at)).toBe('Backing up (2 jobs)…');
    status = nextTrayStatus(status, {
      type: 'job-ended',
      job: ended({ id: 7, state: 'failed', statusCode: STATUS.STORE_FULL.code, endedAt: 5000 }),
    });
    expect(status.running).toEqual([8]);
    status = nextTrayStatus(status, { type: 'job-ended', job: ended({ id: 8, endedAt: 6000 }) });
    expect(trayStatusLine(status, at)).toBe('Last backup @6000 succeeded');
    expect(traySeverity(status)).toBe('ok');
  });

  it('names the status code of a failure and keeps the tooltip within 127 characters', () => {
    const status = nextTrayStatus(EMPTY_TRAY_STATUS, {
      type: 'job-ended',
      job: ended({ state: 'failed', statusCode: STATUS.DISK_READ_FAILED.code }),
    });
    expect(trayStatusLine(status, at)).toBe(
      'Last backup @2000 failed (status 13: a disk could not be read)',
    );
    expect(traySeverity(status)).toBe('failed');
    const long = nextTrayStatus(EMPTY_TRAY_STATUS, {
      type: 'job-ended',
      job: ended({ statusCode: STATUS.DISK_CHANGED.code }),
    });
    expect(
      trayTooltip(long, (ms) => `on ${new Date(ms).toISOString()}`).length,
    ).toBeLessThanOrEqual(127);
    expect(traySeverity(long)).toBe('partial');
  });

  it('ignores child jobs, other kinds and events that change nothing', () => {
    const child = job({ id: 2, parentId: 1, kind: 'backup-host' });
    expect(nextTrayStatus(EMPTY_TRAY_STATUS, { type: 'job-started', job: child })).toBe(
      EMPTY_TRAY_STATUS,
    );
    const verify = job({ kind: 'verify' });
    expect(nextTrayStatus(EMPTY_TRAY_STATUS, { type: 'job-started', job: verify })).toBe(
      EMPTY_TRAY_STATUS,
    );
    expect(nextTrayStatus(EMPTY_TRAY_STATUS, { type: 'policies-changed' })).toBe(EMPTY_TRAY_STATUS);
  });

  it('starts from the job list: running backups and the newest ended one', () => {
    const status = trayStatusFromJobs([
      job({ id: 9 }),
      ended({ id: 8, endedAt: 3000, statusCode: STATUS.PARTIAL.code }),
      ended({ id: 7, endedAt: 2000 }),
      ended({ id: 6, kind: 'gc', endedAt: 9000 }),
    ]);
    expect(status).toEqual({
      running: [9],
      last: {
        jobId: 8,
        policy: 'nightly',
        statusCode: 1,
        cancelled: false,
        endedAt: 3000,
      },
    });
  });
});

describe('jobEndedNotification', () => {
  it('says how a backup ended, with the status message and the remedy on trouble', () => {
    expect(jobEndedNotification(ended({ policy: 'backup-now' }))).toEqual({
      title: 'Backup succeeded',
      body: 'Back up now: status 0, the requested operation was successful.',
    });
    const failed = jobEndedNotification(
      ended({ state: 'failed', statusCode: STATUS.STORE_FULL.code }),
    );
    expect(failed?.title).toBe('Backup failed');
    expect(failed?.body).toContain('Policy nightly: status 129, the disk storage unit is full.');
    expect(failed?.body).toContain(STATUS.STORE_FULL.remedy);
  });

  it('names cancelled jobs and other kinds; child jobs get none', () => {
    expect(
      jobEndedNotification(ended({ state: 'cancelled', statusCode: STATUS.CANCELLED.code }))?.title,
    ).toBe('Backup cancelled');
    expect(jobEndedNotification(ended({ kind: 'verify' }))?.title).toBe('Verification succeeded');
    expect(jobEndedNotification(ended({ parentId: 3, kind: 'backup-host' }))).toBeNull();
    expect(jobEndedNotification(job({}))).toBeNull();
  });
});
