import { Toasts } from './components/Toasts';
import { ActivityScreen } from './features/activity/ActivityScreen';
import { SCREENS, useRouter, type ScreenId } from './features/app/router';
import { useApp } from './features/app/store';
import { UnauthorizedPage } from './features/app/UnauthorizedPage';
import { DashboardScreen } from './features/dashboard/DashboardScreen';
import { HostsScreen } from './features/hosts/HostsScreen';
import { InventoryScreen } from './features/inventory/InventoryScreen';
import { PoliciesScreen } from './features/policies/PoliciesScreen';
import { RestoreScreen } from './features/restore/RestoreScreen';
import { StorageScreen } from './features/storage/StorageScreen';

const SCREEN_COMPONENTS: Readonly<Record<ScreenId, () => React.JSX.Element>> = {
  dashboard: DashboardScreen,
  inventory: InventoryScreen,
  policies: PoliciesScreen,
  activity: ActivityScreen,
  restore: RestoreScreen,
  storage: StorageScreen,
  hosts: HostsScreen,
};

export function App() {
  const connection = useApp((state) => state.connection);
  const infoError = useApp((state) => state.infoError);
  const screen = useRouter((state) => state.route.screen);

  if (connection === 'unauthorized' || infoError?.code === 'UNAUTHORIZED') {
    return <UnauthorizedPage />;
  }
  const Screen = SCREEN_COMPONENTS[screen];
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Navigation current={screen} />
      <main id="main" className="main" tabIndex={-1} data-testid={`screen-${screen}`}>
        <ConnectionBanner />
        <Screen />
      </main>
      <Toasts />
    </div>
  );
}

function Navigation({ current }: { readonly current: ScreenId }) {
  const info = useApp((state) => state.info);
  return (
    <nav className="nav" aria-label="Main">
      <div className="nav-brand">
        <span className="nav-logo" aria-hidden="true">
          ▦
        </span>{' '}
        Tessera
      </div>
      <ul>
        {SCREENS.map((screen) => (
          <li key={screen.id}>
            {/* Plain links to hash routes: Tab, Enter and the browser's history just work. */}
            <a
              href={`#/${screen.id}`}
              className="nav-link"
              aria-current={screen.id === current ? 'page' : undefined}
              data-testid={`nav-${screen.id}`}
            >
              {screen.label}
            </a>
          </li>
        ))}
      </ul>
      {info ? (
        <div className="nav-footer muted" data-testid="app-version">
          v{info.version} · {info.shell === 'desktop' ? 'desktop' : 'console'}
        </div>
      ) : null}
    </nav>
  );
}

function ConnectionBanner() {
  const connection = useApp((state) => state.connection);
  if (connection !== 'reconnecting') return null;
  return (
    <div className="connection-banner" role="status" data-testid="connection-banner">
      Lost the connection to Tessera; reconnecting… (the screens refresh when it is back)
    </div>
  );
}
