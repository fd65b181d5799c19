import { create } from 'zustand';

/** The screens of the left navigation, in order. */
export const SCREENS = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'inventory', label: 'Inventory' },
  { id: 'policies', label: 'Policies' },
  { id: 'activity', label: 'Activity Monitor' },
  { id: 'restore', label: 'Restore' },
  { id: 'storage', label: 'Storage' },
  { id: 'hosts', label: 'Backup hosts' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

export interface Route {
  readonly screen: ScreenId;
  /**
   * Activity: the selected job; Policies: the policy being edited ("new" for a new one);
   * Restore: "<client>" or "<client>/<backupId>".
   */
  readonly item: string | null;
}

const DEFAULT_ROUTE: Route = { screen: 'dashboard', item: null };

/** "#/activity/12" -> { screen: 'activity', item: '12' }; anything else is the Dashboard. */
export function parseHash(hash: string): Route {
  const [screen, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const known = SCREENS.find((s) => s.id === screen);
  if (!known) return DEFAULT_ROUTE;
  const item = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
  return { screen: known.id, item: item || null };
}

export function hashOf(route: Route): string {
  // Each segment encoded on its own: "#/restore/web01/web01_1700000000" stays readable.
  const item =
    route.item === null ? '' : `/${route.item.split('/').map(encodeURIComponent).join('/')}`;
  return `#/${route.screen}${item}`;
}

interface RouterState {
  readonly route: Route;
  navigate(screen: ScreenId, item?: string | number | null): void;
}

/**
 * The route lives in the URL's hash, so reloads, the back button and end-to-end tests
 * (page.goto('#/storage')) all land on the same screen, under a custom protocol or HTTP.
 */
export const useRouter = create<RouterState>()((set) => ({
  route: parseHash(window.location.hash),
  navigate(screen, item = null) {
    const route: Route = { screen, item: item === null ? null : String(item) };
    const hash = hashOf(route);
    if (window.location.hash !== hash) window.location.hash = hash;
    set({ route });
  },
}));

window.addEventListener('hashchange', () => {
  useRouter.setState({ route: parseHash(window.location.hash) });
});

export function navigate(screen: ScreenId, item?: string | number | null): void {
  useRouter.getState().navigate(screen, item);
}
