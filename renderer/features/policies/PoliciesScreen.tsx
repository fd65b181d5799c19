export function PoliciesScreen() {
  return <div className="screen">PoliciesScreen</div>;
}
