export function HostsScreen() {
  return <div className="screen">HostsScreen</div>;
}
