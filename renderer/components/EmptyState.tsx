import type { ReactNode } from 'react';

interface EmptyStateProps {
  readonly title: string;
  /** What a new user should do next. */
  readonly children: ReactNode;
  readonly action?: ReactNode;
  readonly testId?: string;
}

/** What a screen shows when it has nothing yet: never a blank table. */
export function EmptyState({ title, children, action, testId }: EmptyStateProps) {
  return (
    <div className="empty-state" data-testid={testId}>
      <h3>{title}</h3>
      <div className="empty-state-text">{children}</div>
      {action ? <div className="empty-state-action">{action}</div> : null}
    </div>
  );
}
