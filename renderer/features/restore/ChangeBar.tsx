import { formatBytes, formatPercent } from '../../lib/format';

interface ChangeBarProps {
  /** Bytes read and stored anew by this image. */
  readonly changed: number;
  /** Bytes this image links to earlier images instead of storing them again. */
  readonly linked: number;
}

/** Changed vs. linked data as a two-segment bar, with the numbers as tooltip and label. */
export function ChangeBar({ changed, linked }: ChangeBarProps) {
  const total = changed + linked;
  const fraction = total > 0 ? changed / total : 0;
  const title =
    total === 0
      ? 'No data: the disks hold only zeros'
      : `${formatBytes(changed)} changed (${formatPercent(fraction)}), ${formatBytes(linked)} linked to earlier images`;
  return (
    <span className="change-bar" title={title} data-testid="restore-change-bar">
      <span className="change-bar-track" aria-hidden="true">
        <span className="change-bar-changed" style={{ width: `${fraction * 100}%` }} />
        <span className="change-bar-linked" style={{ width: `${(1 - fraction) * 100}%` }} />
      </span>
      <span className="change-bar-text">
        {total === 0 ? '—' : `${formatBytes(changed)} / ${formatBytes(linked)}`}
      </span>
    </span>
  );
}
