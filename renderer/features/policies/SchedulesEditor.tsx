import { FREQUENCY_UNITS, type FrequencyUnit } from '../../lib/units';
import { newScheduleDraft, type ScheduleDraft } from './policy-draft';

interface SchedulesEditorProps {
  readonly schedules: readonly ScheduleDraft[];
  readonly onChange: (schedules: readonly ScheduleDraft[]) => void;
}

/** One row per schedule: when it may start, how often, and how long its images are kept. */
export function SchedulesEditor({ schedules, onChange }: SchedulesEditorProps) {
  const updateRow = (key: number, patch: Partial<ScheduleDraft>) =>
    onChange(schedules.map((s) => (s.key === key ? { ...s, ...patch } : s)));
  return (
    <fieldset data-testid="policy-schedules">
      <legend>Schedules</legend>
      {schedules.length === 0 ? (
        <p className="muted">
          No schedule: this policy runs only by hand (Run now). Add one to back up on its own.
        </p>
      ) : (
        <table className="table table-compact schedules-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Every</th>
              <th scope="col">Start window</th>
              <th scope="col">Keep images</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {schedules.map((schedule, index) => (
              <ScheduleRow
                key={schedule.key}
                schedule={schedule}
                label={`Schedule ${index + 1}`}
                onChange={(patch) => updateRow(schedule.key, patch)}
                onRemove={() => onChange(schedules.filter((s) => s.key !== schedule.key))}
              />
            ))}
          </tbody>
        </table>
      )}
      <button
        type="button"
        onClick={() => onChange([...schedules, newScheduleDraft(schedules)])}
        data-testid="schedule-add"
      >
        Add schedule
      </button>
    </fieldset>
  );
}

interface ScheduleRowProps {
  readonly schedule: ScheduleDraft;
  /** "Schedule 2": prefixes each field's accessible name. */
  readonly label: string;
  readonly onChange: (patch: Partial<ScheduleDraft>) => void;
  readonly onRemove: () => void;
}

function ScheduleRow({ schedule: s, label, onChange, onRemove }: ScheduleRowProps) {
  return (
    <tr data-testid="schedule-row">
      <td>
        <input
          type="text"
          value={s.name}
          onChange={(event) => onChange({ name: event.target.value })}
          aria-label={`${label} name`}
          data-testid="schedule-name"
          className="input-name"
        />
      </td>
      <td>
        <select
          value={s.type}
          onChange={(event) => onChange({ type: event.target.value as ScheduleDraft['type'] })}
          aria-label={`${label} type`}
          data-testid="schedule-type"
        >
          <option value="accelerator">Accelerator</option>
          <option value="full">Full</option>
        </select>
      </td>
      <td>
        <div className="field-row">
          <input
            type="number"
            min={1}
            value={s.every}
            onChange={(event) => onChange({ every: event.target.value })}
            aria-label={`${label} frequency`}
            data-testid="schedule-every"
            className="input-short"
          />
          <select
            value={s.unit}
            onChange={(event) => onChange({ unit: event.target.value as FrequencyUnit })}
            aria-label={`${label} frequency unit`}
            data-testid="schedule-unit"
          >
            {FREQUENCY_UNITS.map((unit) => (
              <option key={unit} value={unit}>
                {unit}
              </option>
            ))}
          </select>
        </div>
      </td>
      <td>
        <div className="field-row">
          <label className="check">
            <input
              type="checkbox"
              checked={s.anyTime}
              onChange={(event) => onChange({ anyTime: event.target.checked })}
              data-testid="schedule-any-time"
            />
            any time
          </label>
          {s.anyTime ? null : (
            <>
              <input
                type="time"
                value={s.windowStart}
                onChange={(event) => onChange({ windowStart: event.target.value })}
                aria-label={`${label} window start`}
                data-testid="schedule-window-start"
              />
              <span>for</span>
              <input
                type="number"
                min={0.5}
                max={24}
                step={0.5}
                value={s.windowHours}
                onChange={(event) => onChange({ windowHours: event.target.value })}
                aria-label={`${label} window length in hours`}
                data-testid="schedule-window-hours"
                className="input-short"
              />
              <span>h</span>
            </>
          )}
        </div>
      </td>
      <td>
        <div className="field-row">
          <label className="check">
            <input
              type="checkbox"
              checked={s.keepForever}
              onChange={(event) => onChange({ keepForever: event.target.checked })}
              data-testid="schedule-keep"
            />
            keep
          </label>
          {s.keepForever ? null : (
            <>
              <input
                type="number"
                min={1}
                value={s.retentionDays}
                onChange={(event) => onChange({ retentionDays: event.target.value })}
                aria-label={`${label} retention in days`}
                data-testid="schedule-retention-days"
                className="input-short"
              />
              <span>days</span>
            </>
          )}
        </div>
      </td>
      <td className="actions">
        <button
          type="button"
          className="button-small button-danger"
          onClick={onRemove}
          aria-label={`Remove ${label.toLowerCase()}`}
          data-testid="schedule-remove"
        >
          Remove
        </button>
      </td>
    </tr>
  );
}
