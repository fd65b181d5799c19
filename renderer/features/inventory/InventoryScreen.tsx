export function InventoryScreen() {
  return <div className="screen">InventoryScreen</div>;
}
