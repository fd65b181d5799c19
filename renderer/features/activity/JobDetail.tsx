import { ErrorBox } from '../../components/ErrorBox';
import { JobLog } from './JobLog';
import { JobNode } from './JobNode';
import { useActivity } from './store';

/** The compound job tree of the selected job, then its log. */
export function JobDetail({ jobId }: { readonly jobId: number }) {
  const tree = useActivity((state) => state.tree);
  const treeError = useActivity((state) => state.treeError);
  const loadTree = useActivity((state) => state.loadTree);

  if (treeError) {
    return <ErrorBox error={treeError} title={`Job ${jobId} did not load`} onRetry={loadTree} />;
  }
  if (!tree || tree.job.id !== jobId) {
    return <p className="muted">Loading job {jobId}…</p>;
  }
  return (
    <div className="job-detail" data-testid="job-detail" data-job-id={jobId}>
      <section className="panel" aria-labelledby="job-tree-title">
        <h2 id="job-tree-title">Job tree</h2>
        <ul className="job-tree" data-testid="job-tree" aria-label="Job tree">
          <JobNode job={tree.job} isParent>
            {tree.children.length > 0 ? (
              <ul className="job-children" aria-label="Child jobs">
                {tree.children.map((child) => (
                  <JobNode key={child.id} job={child} />
                ))}
              </ul>
            ) : null}
          </JobNode>
        </ul>
      </section>
      <JobLog />
    </div>
  );
}
