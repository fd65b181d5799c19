import { useState, type ReactNode } from 'react';
import { Modal } from './Modal';

interface ConfirmButtonProps {
  /** The button's text, and the dialog's confirm button unless confirmLabel says otherwise. */
  readonly label: string;
  readonly title: string;
  /** What will happen, in words a person can weigh before confirming. */
  readonly children: ReactNode;
  readonly onConfirm: () => void | Promise<void>;
  readonly confirmLabel?: string;
  readonly danger?: boolean;
  readonly disabled?: boolean;
  readonly className?: string;
  readonly testId?: string;
  readonly ariaLabel?: string;
}

/** A button for something destructive: it asks first, in a dialog. */
export function ConfirmButton(props: ConfirmButtonProps) {
  const { label, title, children, onConfirm, confirmLabel = label, danger = true } = props;
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={props.className ?? (danger ? 'button-danger' : undefined)}
        disabled={props.disabled}
        data-testid={props.testId}
        aria-label={props.ariaLabel}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
      {open ? (
        <Modal
          title={title}
          onClose={() => setOpen(false)}
          testId="confirm-dialog"
          footer={
            <>
              {/* Cancel has the focus: Enter on a destructive dialog must not destroy. */}
              <button
                type="button"
                onClick={() => setOpen(false)}
                data-testid="confirm-cancel"
                autoFocus
              >
                Cancel
              </button>
              <button
                type="button"
                className={danger ? 'button-danger' : 'button-primary'}
                data-testid="confirm-ok"
                onClick={() => {
                  setOpen(false);
                  void onConfirm();
                }}
              >
                {confirmLabel}
              </button>
            </>
          }
        >
          {children}
        </Modal>
      ) : null}
    </>
  );
}
