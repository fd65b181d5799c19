import { navigate } from '../features/app/router';
import { useApp, type Toast } from '../features/app/store';

/** The notification area: errors (with their remedy) and job endings, newest at the bottom. */
export function Toasts() {
  const toasts = useApp((state) => state.toasts);
  return (
    <div className="toasts" role="region" aria-label="Notifications" data-testid="toasts">
      {toasts.map((toast) => (
        <ToastCard key={toast.id} toast={toast} />
      ))}
    </div>
  );
}

function ToastCard({ toast }: { readonly toast: Toast }) {
  const dismiss = useApp((state) => state.dismiss);
  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : 'status'}
      data-testid={`toast-${toast.kind}`}
    >
      <div className="toast-body">
        <strong className="toast-title">{toast.title}</strong>
        {toast.message ? <div>{toast.message}</div> : null}
        {toast.remedy ? <div className="remedy">{toast.remedy}</div> : null}
        {toast.link ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              const { screen, item } = toast.link!;
              navigate(screen, item ?? null);
              dismiss(toast.id);
            }}
          >
            {toast.link.label}
          </button>
        ) : null}
      </div>
      <button
        type="button"
        className="toast-close"
        aria-label="Dismiss notification"
        onClick={() => dismiss(toast.id)}
      >
        ×
      </button>
    </div>
  );
}
