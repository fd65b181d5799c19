import type { ApiCallError } from '../../shared/api';

interface ErrorBoxProps {
  readonly error: ApiCallError;
  readonly title?: string;
  readonly onRetry?: () => void;
  readonly testId?: string;
}

/** A failed load or save, inline: the message, the remedy when there is one, and a retry. */
export function ErrorBox({ error, title, onRetry, testId = 'error-box' }: ErrorBoxProps) {
  return (
    <div className="error-box" role="alert" data-testid={testId}>
      {title ? <strong>{title}: </strong> : null}
      <span>{error.message}</span>
      {error.remedy ? <div className="remedy">{error.remedy}</div> : null}
      {onRetry ? (
        <button type="button" className="button-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
