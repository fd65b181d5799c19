import { formatBytes } from '../../lib/format';
import { useStorage } from './store';

/** The last verify, garbage collection or expire, as their reports say. */
export function MaintenanceReports() {
  const verifyReports = useStorage((state) => state.verifyReports);
  const gcReport = useStorage((state) => state.gcReport);
  const expired = useStorage((state) => state.expired);
  return (
    <>
      {verifyReports ? (
        <div className="report" data-testid="verify-report">
          <h3>Verify</h3>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col" className="num">
                  Blocks checked
                </th>
                <th scope="col" className="num">
                  Bytes checked
                </th>
                <th scope="col">Problems</th>
              </tr>
            </thead>
            <tbody>
              {verifyReports.map((report) => (
                <tr key={report.backupId} data-testid="verify-row">
                  <td className="mono">{report.backupId}</td>
                  <td className="num">{report.blocksChecked}</td>
                  <td className="num">{formatBytes(report.bytesChecked)}</td>
                  <td>
                    {report.problems.length === 0 ? (
                      <span className="badge badge-ok">none</span>
                    ) : (
                      <ul className="problem-list">
                        {report.problems.map((problem, i) => (
                          <li key={i}>
                            <span className="badge badge-failed">{problem.code}</span>{' '}
                            {problem.disk ? `${problem.disk}: ` : ''}
                            {problem.offset !== null ? `offset ${problem.offset}: ` : ''}
                            {problem.detail}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {gcReport ? (
        <div className="report" data-testid="gc-report">
          <h3>Garbage collection</h3>
          <p>
            Reclaimed <strong>{formatBytes(gcReport.bytesReclaimed)}</strong>:{' '}
            {gcReport.blocksRemoved} blocks removed, {gcReport.packsDeleted} packs deleted,{' '}
            {gcReport.packsRepacked} repacked. {gcReport.liveImages} images keep{' '}
            {gcReport.liveBlocks} blocks.
          </p>
        </div>
      ) : null}
      {expired ? (
        <div className="report" data-testid="expire-report">
          <h3>Expire</h3>
          <p>
            {expired.length === 0
              ? 'No image was due to expire.'
              : `Expired: ${expired.join(', ')}. Collect garbage to reclaim their space.`}
          </p>
        </div>
      ) : null}
    </>
  );
}
