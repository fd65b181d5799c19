import { useState } from 'react';
import { api } from '../api/client';
import { notifyError } from '../features/app/store';
import { FolderPicker } from './FolderPicker';

interface PathFieldProps {
  readonly id: string;
  readonly value: string;
  readonly onChange: (path: string) => void;
  readonly pickerTitle: string;
  readonly testId?: string;
  readonly required?: boolean;
}

/**
 * A path input with "Browse…": the native folder dialog on the desktop, the in-app
 * FolderPicker in the console (which browses the server's disks, where the VMs are).
 */
export function PathField({ id, value, onChange, pickerTitle, testId, required }: PathFieldProps) {
  const [pickerOpen, setPickerOpen] = useState(false);

  async function browse(): Promise<void> {
    const native = api().pickFolder;
    if (!native) {
      setPickerOpen(true);
      return;
    }
    try {
      const picked = await native(pickerTitle);
      if (picked !== null) onChange(picked);
    } catch (error) {
      notifyError('The folder dialog failed', error);
    }
  }

  return (
    <div className="path-field">
      <input
        id={id}
        type="text"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        data-testid={testId}
        required={required}
        spellCheck={false}
        placeholder="/path/to/folder"
      />
      <button
        type="button"
        onClick={() => void browse()}
        data-testid={testId && `${testId}-browse`}
      >
        Browse…
      </button>
      {pickerOpen ? (
        <FolderPicker
          title={pickerTitle}
          initialPath={value}
          onCancel={() => setPickerOpen(false)}
          onPick={(path) => {
            setPickerOpen(false);
            onChange(path);
          }}
        />
      ) : null}
    </div>
  );
}
