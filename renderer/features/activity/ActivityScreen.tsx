import { useEffect } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { ErrorBox } from '../../components/ErrorBox';
import { useRouter } from '../app/router';
import { JobDetail } from './JobDetail';
import { JobsTable } from './JobsTable';
import { useActivity } from './store';

export function ActivityScreen() {
  const jobs = useActivity((state) => state.jobs);
  const jobsError = useActivity((state) => state.jobsError);
  const loadJobs = useActivity((state) => state.loadJobs);
  const select = useActivity((state) => state.select);
  const routeItem = useRouter((state) => state.route.item);
  const selectedId = routeItem !== null && /^\d+$/.test(routeItem) ? Number(routeItem) : null;

  useEffect(() => {
    void loadJobs();
  }, [loadJobs]);

  // The route is the truth for the selection: links from toasts and the Dashboard land here.
  // Leaving the screen drops the selection, so events stop refetching a tree nobody sees.
  useEffect(() => {
    select(selectedId);
    return () => select(null);
  }, [select, selectedId]);

  return (
    <div className="screen">
      <header className="screen-header">
        <h1>Activity Monitor</h1>
        <span className="spacer" />
        <button type="button" onClick={() => void loadJobs()} data-testid="jobs-refresh">
          Refresh
        </button>
      </header>
      {jobsError ? (
        <ErrorBox error={jobsError} title="The jobs did not load" onRetry={loadJobs} />
      ) : null}
      {jobs !== null && jobs.length === 0 && selectedId === null ? (
        <EmptyState title="No jobs yet" testId="jobs-empty">
          Jobs appear here as they run. Start one with <a href="#/dashboard">Back up now</a> on the
          Dashboard, or <a href="#/policies">run a policy</a>.
        </EmptyState>
      ) : (
        <div className="split activity-split">
          <JobsTable jobs={jobs} selectedId={selectedId} />
          {selectedId !== null ? (
            <JobDetail jobId={selectedId} />
          ) : (
            <section className="panel">
              <EmptyState title="Select a job">
                Pick a job on the left to see its job tree, live progress and log.
              </EmptyState>
            </section>
          )}
        </div>
      )}
    </div>
  );
}
