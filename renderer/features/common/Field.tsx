import { useId, type ReactNode } from 'react';

/**
 * A labelled form control with its own error line: the message is tied to the control by
 * aria-describedby and the control is marked aria-invalid, so a screen reader says what is wrong.
 */
export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | null;
  hint?: string;
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Main's INVALID_INPUT message is `path: problem; path: problem` (see describeIssues): the
 * fields it names, so a form can mark them even when its own checks missed something.
 */
export function invalidFields(message: string): string[] {
  return message
    .split('; ')
    .map((part) => part.split(':')[0]!.trim().split('.').at(-1) ?? '')
    .filter(Boolean);
}
