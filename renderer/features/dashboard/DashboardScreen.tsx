import { useEffect } from 'react';
import { ErrorBox } from '../../components/ErrorBox';
import { useApp } from '../app/store';
import { ProblemsPanel } from '../../components/ProblemsPanel';
import { ProtectedVmsTable } from './ProtectedVmsTable';
import { RunningJobsPanel } from './RunningJobsPanel';
import { StorageTiles } from './StorageTiles';
import { useDashboard } from './store';
import { UpcomingRunsPanel } from './UpcomingRunsPanel';
import { WelcomePanel } from './WelcomePanel';

export function DashboardScreen() {
  const dashboard = useDashboard((state) => state.dashboard);
  const error = useDashboard((state) => state.error);
  const load = useDashboard((state) => state.load);
  const welcomeStarted = useDashboard((state) => state.welcome.sample !== null);
  const welcomeDismissed = useDashboard((state) => state.welcomeDismissed);
  const firstRun = useApp((state) => state.info?.firstRun ?? false);

  useEffect(() => {
    void load();
  }, [load]);

  // The walkthrough stays up once begun, even after the sample's source ends the first run.
  const showWelcome = !welcomeDismissed && (firstRun || welcomeStarted);

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Dashboard</h1>
      </header>
      {showWelcome ? <WelcomePanel /> : null}
      {error ? <ErrorBox error={error} title="The dashboard did not load" onRetry={load} /> : null}
      {dashboard ? (
        <>
          <StorageTiles storage={dashboard.storage} />
          <ProblemsPanel problems={dashboard.problems} />
          <div className="dashboard-columns">
            <RunningJobsPanel jobs={dashboard.running} />
            <UpcomingRunsPanel runs={dashboard.upcoming} />
          </div>
          <ProtectedVmsTable vms={dashboard.vms} />
        </>
      ) : !error ? (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      ) : null}
    </div>
  );
}
