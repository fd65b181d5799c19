import { useState } from 'react';
import type { ProtectedVm } from '../../../shared/api';
import { useInventory } from '../inventory/store';
import { useDashboard } from './store';

/** One shared empty list: a selector returning a fresh [] would re-render forever. */
const NO_VMS: readonly ProtectedVm[] = [];

/**
 * The first run: a new user gets a backup within a minute. "Create a sample VM" makes a small
 * VM in the data directory (and its folder source); "Back up now" then backs it up.
 */
export function WelcomePanel() {
  const { sample, jobId } = useDashboard((state) => state.welcome);
  const setWelcome = useDashboard((state) => state.setWelcome);
  const dismiss = useDashboard((state) => state.dismissWelcome);
  const vms = useDashboard((state) => state.dashboard?.vms ?? NO_VMS);
  const backupNow = useDashboard((state) => state.backupNow);
  const createSample = useInventory((state) => state.createSample);
  const [busy, setBusy] = useState(false);

  // SampleVm carries no inventory ID: find the VM by its name within the sample's source.
  const sampleVm = sample
    ? vms.find((vm) => vm.name === sample.name && vm.sourceName === sample.source.name)
    : undefined;

  async function onCreateSample(): Promise<void> {
    setBusy(true);
    const created = await createSample();
    if (created) setWelcome({ sample: created, jobId: null });
    await useDashboard.getState().load();
    setBusy(false);
  }

  async function onBackUp(): Promise<void> {
    if (!sample) return;
    setBusy(true);
    // Until the Dashboard has the sample's ID, back up everything: on a first run that is it.
    const started = await backupNow(sampleVm ? [sampleVm.id] : undefined);
    if (started !== null) setWelcome({ sample, jobId: started });
    setBusy(false);
  }

  return (
    <section className="welcome" aria-labelledby="welcome-title" data-testid="welcome-panel">
      <h2 id="welcome-title">Welcome to Tessera</h2>
      {sample === null ? (
        <>
          <p>
            Tessera backs up the disks of your virtual machines into a deduplicating storage unit.
            Try it with a small sample VM first, or point Tessera at the folder where your VMs live.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button-primary"
              disabled={busy}
              onClick={() => void onCreateSample()}
              data-testid="create-sample"
            >
              {busy ? 'Creating…' : 'Create a sample VM'}
            </button>
            <a className="button" href="#/inventory/add" data-testid="welcome-add-folder">
              Add a folder of VMs
            </a>
          </div>
        </>
      ) : (
        <>
          <p data-testid="sample-created">
            Sample VM <strong>{sample.name}</strong> created in <code>{sample.folder}</code>.
            {jobId === null ? ' Now back it up:' : null}
          </p>
          {jobId === null ? (
            <div className="button-row">
              <button
                type="button"
                className="button-primary"
                disabled={busy}
                onClick={() => void onBackUp()}
                data-testid="sample-backup-now"
              >
                Back up now
              </button>
            </div>
          ) : (
            <p data-testid="sample-backup-started">
              The backup is running as job {jobId}.{' '}
              <a href={`#/activity/${jobId}`}>Watch it in the Activity Monitor</a>, then create a
              policy with a schedule so backups run on their own.
            </p>
          )}
        </>
      )}
      <button
        type="button"
        className="link-button welcome-dismiss"
        onClick={dismiss}
        data-testid="welcome-dismiss"
      >
        Hide this
      </button>
    </section>
  );
}
