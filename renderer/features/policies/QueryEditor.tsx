import { useEffect, useId, useState } from 'react';
import type { ApiCallError, SelectionPreview } from '../../../shared/api';
import { VM_QUERY_FIELDS } from '../../../shared/vm-query';
import { api } from '../../api/client';
import { asApiError } from '../../lib/errors';
import { useDebounced } from '../../lib/useDebounced';

const PREVIEW_DELAY_MS = 250;

interface QueryEditorProps {
  readonly query: string;
  readonly onChange: (query: string) => void;
}

/**
 * The Intelligent Policy query editor: as the user types, the server (which knows the inventory
 * and the source names) says which VMs match, or exactly where the query stops making sense.
 */
export function QueryEditor({ query, onChange }: QueryEditorProps) {
  const settled = useDebounced(query, PREVIEW_DELAY_MS);
  const [preview, setPreview] = useState<{ text: string; result: SelectionPreview } | null>(null);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const id = useId();

  useEffect(() => {
    if (settled.trim() === '') {
      setPreview(null);
      setFailure(null);
      return;
    }
    // A slower answer to an older query must not replace the newer one.
    let stale = false;
    api()
      .call('policies.preview', { selection: { kind: 'query', query: settled } })
      .then((result) => {
        if (stale) return;
        setPreview({ text: settled, result });
        setFailure(null);
      })
      .catch((error: unknown) => {
        if (!stale) setFailure(asApiError(error));
      });
    return () => {
      stale = true;
    };
  }, [settled]);

  const parseError = preview && !preview.result.ok ? preview.result : null;
  return (
    <div className="query-editor">
      <label htmlFor={`${id}-query`}>Query</label>
      <textarea
        id={`${id}-query`}
        rows={3}
        value={query}
        onChange={(event) => onChange(event.target.value)}
        spellCheck={false}
        placeholder={'e.g. name contains "sql" and memoryMB >= 4096'}
        aria-invalid={parseError !== null}
        aria-describedby={`${id}-feedback`}
        data-testid="query-input"
      />
      <div id={`${id}-feedback`} aria-live="polite">
        {parseError && preview ? (
          <div className="query-error" role="alert" data-testid="query-error">
            <pre className="query-echo" aria-hidden="true" data-testid="query-error-span">
              {preview.text.slice(0, parseError.position)}
              <mark className={parseError.length === 0 ? 'query-mark-empty' : undefined}>
                {preview.text.slice(parseError.position, parseError.position + parseError.length) ||
                  ' '}
              </mark>
              {preview.text.slice(parseError.position + parseError.length)}
            </pre>
            <div>
              <strong>Column {parseError.position + 1}:</strong>{' '}
              <span data-testid="query-error-reason">{parseError.reason}</span>
            </div>
          </div>
        ) : null}
        {failure ? (
          <div className="error-box" data-testid="query-preview-failed">
            The preview failed: {failure.message}
          </div>
        ) : null}
        {preview?.result.ok ? <QueryMatches vms={preview.result.vms} /> : null}
        {query.trim() === '' ? (
          <p className="field-hint">Type a query: the VMs it selects show here as you type.</p>
        ) : null}
      </div>
      <QueryHelp />
    </div>
  );
}

function QueryMatches({ vms }: { readonly vms: Extract<SelectionPreview, { ok: true }>['vms'] }) {
  return (
    <div className="query-matches" data-testid="query-matches" data-count={vms.length}>
      <strong>
        {vms.length === 0
          ? 'No VM matches this query now.'
          : `${vms.length} VM${vms.length === 1 ? '' : 's'} match${vms.length === 1 ? 'es' : ''}:`}
      </strong>
      {vms.length > 0 ? (
        <ul>
          {vms.map((vm) => (
            <li key={vm.id} data-testid="query-match">
              {vm.name}{' '}
              <span className="muted">
                ({vm.disks.length} disk{vm.disks.length === 1 ? '' : 's'})
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function QueryHelp() {
  return (
    <details className="query-help" data-testid="query-help">
      <summary>Query fields and operators</summary>
      <table className="table table-compact">
        <tbody>
          {VM_QUERY_FIELDS.map((field) => (
            <tr key={field.name}>
              <th scope="row">
                <code>{field.name}</code>
              </th>
              <td className="muted">{field.type}</td>
              <td>{field.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="field-hint">
        Operators: <code>= != &lt; &lt;= &gt; &gt;=</code> (numbers), <code>contains</code>{' '}
        <code>startswith</code> <code>endswith</code> <code>matches /regex/</code> (text),{' '}
        <code>in (&quot;a&quot;, &quot;b&quot;)</code>; combine with <code>and</code>{' '}
        <code>or</code> <code>not</code> and parentheses. Text comparisons ignore case. Example:{' '}
        <code>os contains &quot;windows&quot; and (disks &gt;= 2 or sizeGB &gt; 100)</code>
      </p>
    </details>
  );
}
