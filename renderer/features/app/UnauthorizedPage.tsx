/** The console page opened without (or with a wrong) token: nothing works, so say why, whole-page. */
export function UnauthorizedPage() {
  return (
    <div className="unauthorized" role="alert" data-testid="unauthorized">
      <h1>Tessera</h1>
      <p className="unauthorized-message">
        This page needs the URL with its token that <code>tessera serve</code> printed.
      </p>
      <p className="muted">
        Open the address <code>tessera serve</code> printed in its terminal (it ends in{' '}
        <code>?token=…</code>). If the server was restarted, it printed a new token: use the new
        URL.
      </p>
    </div>
  );
}
