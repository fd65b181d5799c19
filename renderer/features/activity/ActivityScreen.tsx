export function ActivityScreen() {
  return <div className="screen">Activity</div>;
}
