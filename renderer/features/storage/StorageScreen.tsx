export function StorageScreen() {
  return <div className="screen">StorageScreen</div>;
}
