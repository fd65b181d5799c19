import { useEffect, useRef } from 'react';
import { formatTimeOfDay } from '../../lib/format';
import { useActivity } from './store';

/** The selected job's log (children included), coloured by level, following new lines. */
export function JobLog() {
  const log = useActivity((state) => state.log);
  const parentId = useActivity((state) => state.selectedId);
  const boxRef = useRef<HTMLDivElement>(null);
  const atBottomRef = useRef(true);

  // Follow the log as it grows, unless the reader scrolled up to read something.
  useEffect(() => {
    const box = boxRef.current;
    if (box && atBottomRef.current) box.scrollTop = box.scrollHeight;
  }, [log]);

  return (
    <section className="panel" aria-labelledby="job-log-title">
      <h2 id="job-log-title">Log</h2>
      <div
        ref={boxRef}
        className="job-log"
        data-testid="job-log"
        tabIndex={0}
        role="log"
        aria-label="Job log"
        onScroll={(event) => {
          const box = event.currentTarget;
          atBottomRef.current = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
        }}
      >
        {log.length === 0 ? (
          <p className="muted">Nothing logged yet.</p>
        ) : (
          <table className="log-table">
            <tbody>
              {log.map((entry) => (
                <tr key={entry.id} className={`log-${entry.level}`} data-testid="log-line">
                  <td className="log-time">{formatTimeOfDay(entry.at)}</td>
                  <td className="log-job">{entry.jobId === parentId ? '' : `#${entry.jobId}`}</td>
                  <td className="log-level">{entry.level}</td>
                  <td className="log-message">{entry.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
