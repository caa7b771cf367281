import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../common/Field.js';
import type { AccountProblems } from './validation.js';

export interface AccountValues {
  displayName: string;
  username: string;
  password: string;
  confirm: string;
}

/** Name, user name and a new password typed twice: the first admin at first run, and every user after. */
export function AccountFields({
  values,
  problems,
  onChange,
  between,
}: {
  values: AccountValues;
  problems: AccountProblems;
  onChange: (key: keyof AccountValues) => (event: { target: { value: string } }) => void;
  /** Shown after the user name (e.g. the role). */
  between?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('users.displayName')} error={problems.displayName && t('validation.required')}>
        {(props) => <input {...props} value={values.displayName} onChange={onChange('displayName')} autoComplete="off" />}
      </Field>
      <Field label={t('users.username')} hint={t('users.usernameHint')} error={problems.username && t(`validation.${problems.username}`)}>
        {(props) => <input {...props} value={values.username} onChange={onChange('username')} autoComplete="off" autoCapitalize="none" />}
      </Field>
      {between}
      <Field label={t('users.password')} hint={t('users.passwordHint')} error={problems.password && t(`validation.${problems.password}`)}>
        {(props) => <input {...props} type="password" value={values.password} onChange={onChange('password')} autoComplete="new-password" />}
      </Field>
      <Field label={t('users.confirm')} error={problems.confirm && t(`validation.${problems.confirm}`)}>
        {(props) => <input {...props} type="password" value={values.confirm} onChange={onChange('confirm')} autoComplete="new-password" />}
      </Field>
    </>
  );
}
