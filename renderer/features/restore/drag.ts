/**
 * Drag-to-restore inside the app: the browsed image's VM header and disk rows carry this MIME
 * type, and the drop zone (or one of its folders) takes it. HTML5 drag and drop, so it works in
 * the console's browser and in Electron alike. Dragging out onto the file manager is the
 * desktop shell's alone (webContents.startDrag): see drag-out.ts.
 */
export const RESTORE_MIME = 'application/x-tessera-restore';

export interface RestoreDragPayload {
  readonly backupId: string;
  /** Disk positions; null is the whole VM (the disks selected in the browser). */
  readonly positions: readonly number[] | null;
}

export function startRestoreDrag(
  event: React.DragEvent,
  payload: RestoreDragPayload,
  description: string,
): void {
  event.dataTransfer.setData(RESTORE_MIME, JSON.stringify(payload));
  event.dataTransfer.setData('text/plain', description);
  event.dataTransfer.effectAllowed = 'copy';
}

/** During dragover only the types are readable, not the data. */
export function carriesRestore(event: React.DragEvent): boolean {
  return event.dataTransfer.types.includes(RESTORE_MIME);
}

export function restorePayloadOf(event: React.DragEvent): RestoreDragPayload | null {
  const text = event.dataTransfer.getData(RESTORE_MIME);
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return null;
    const { backupId, positions } = value as Record<string, unknown>;
    if (typeof backupId !== 'string') return null;
    if (positions === null) return { backupId, positions: null };
    if (Array.isArray(positions) && positions.every((p) => Number.isInteger(p) && p >= 0)) {
      return { backupId, positions: positions as number[] };
    }
    return null;
  } catch {
    return null;
  }
}

/** Joins a folder and a name with the separator the server's paths use. */
export function joinPath(folder: string, name: string): string {
  const separator = /^[A-Za-z]:\\/.test(folder) ? '\\' : '/';
  return `${folder.replace(/[\\/]+$/, '')}${separator}${name}`;
}
