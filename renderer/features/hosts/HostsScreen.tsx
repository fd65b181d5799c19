import { useEffect, useId, useState } from 'react';
import type { ApiCallError, HostSettings } from '../../../shared/api';
import { MAX_HOSTS, MAX_STREAMS_PER_HOST } from '../../../shared/hosts';
import { ErrorBox } from '../../components/ErrorBox';
import { useHosts } from './store';

export function HostsScreen() {
  const settings = useHosts((state) => state.settings);
  const error = useHosts((state) => state.error);
  const load = useHosts((state) => state.load);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Backup hosts</h1>
      </header>
      <p className="screen-intro">
        A backup is a compound job: after discovery, the VMs&apos; disks are spread over the backup
        hosts, largest first. <strong>Each backup host is one child job</strong> with its own
        progress; a host that fails fails only its child. <strong>Streams</strong> are the disks one
        host reads at once. More hosts and streams read more disks in parallel, at the cost of CPU
        and disk load.
      </p>
      {error ? <ErrorBox error={error} title="The settings did not load" onRetry={load} /> : null}
      {settings ? (
        // Keyed by the saved values, so a change from elsewhere (hosts-changed) resets the form.
        <HostsForm key={`${settings.hosts}/${settings.streamsPerHost}`} settings={settings} />
      ) : !error ? (
        <p className="muted">Loading…</p>
      ) : null}
    </div>
  );
}

function HostsForm({ settings }: { readonly settings: HostSettings }) {
  const save = useHosts((state) => state.save);
  const [hosts, setHosts] = useState(String(settings.hosts));
  const [streams, setStreams] = useState(String(settings.streamsPerHost));
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const id = useId();

  async function submit(): Promise<void> {
    const hostCount = Number(hosts);
    const streamCount = Number(streams);
    if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS) {
      setInvalid(`Backup hosts must be a whole number from 1 to ${MAX_HOSTS}.`);
      return;
    }
    if (!Number.isInteger(streamCount) || streamCount < 1 || streamCount > MAX_STREAMS_PER_HOST) {
      setInvalid(`Streams per host must be a whole number from 1 to ${MAX_STREAMS_PER_HOST}.`);
      return;
    }
    setInvalid(null);
    setSaving(true);
    setFailure(await save({ hosts: hostCount, streamsPerHost: streamCount }));
    setSaving(false);
  }

  const total = Number(hosts) * Number(streams);
  return (
    <section className="panel hosts-panel">
      <form
        className="form"
        data-testid="hosts-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="form-grid">
          <label htmlFor={`${id}-hosts`}>Backup hosts</label>
          <div className="field-row">
            <input
              id={`${id}-hosts`}
              type="number"
              min={1}
              max={MAX_HOSTS}
              value={hosts}
              onChange={(event) => setHosts(event.target.value)}
              data-testid="hosts-count"
            />
            <span className="field-hint" data-testid="hosts-default">
              default {settings.defaults.hosts} (one per core; this machine has {settings.cores}{' '}
              core{settings.cores === 1 ? '' : 's'})
            </span>
          </div>
          <label htmlFor={`${id}-streams`}>Streams per host</label>
          <div className="field-row">
            <input
              id={`${id}-streams`}
              type="number"
              min={1}
              max={MAX_STREAMS_PER_HOST}
              value={streams}
              onChange={(event) => setStreams(event.target.value)}
              data-testid="hosts-streams"
            />
            <span className="field-hint" data-testid="streams-default">
              default {settings.defaults.streamsPerHost}
            </span>
          </div>
          <span>At most</span>
          <span>
            {Number.isFinite(total) && total > 0 ? total : '—'} disks read at once (policies may set
            their own hosts and streams)
          </span>
          <span>Configuration file</span>
          <code data-testid="hosts-config-file">{settings.configFile}</code>
        </div>
        {invalid ? (
          <div className="error-box" role="alert" data-testid="hosts-invalid">
            {invalid}
          </div>
        ) : null}
        {failure ? <ErrorBox error={failure} title="Not saved" /> : null}
        <div className="button-row">
          <button
            type="submit"
            className="button-primary"
            disabled={saving}
            data-testid="hosts-save"
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            onClick={() => {
              setHosts(String(settings.defaults.hosts));
              setStreams(String(settings.defaults.streamsPerHost));
            }}
            data-testid="hosts-defaults"
          >
            Use the defaults
          </button>
        </div>
      </form>
    </section>
  );
}
