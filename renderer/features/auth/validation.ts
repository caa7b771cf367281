/** The same rules as the contract's user schema, checked as the person types a new account. */
export interface AccountProblems {
  displayName?: 'required';
  username?: 'required' | 'username';
  password?: 'required' | 'passwordShort';
  confirm?: 'confirm';
}

export function checkNewAccount(form: { displayName: string; username: string; password: string; confirm: string }): AccountProblems {
  const problems: AccountProblems = {};
  if (!form.displayName.trim()) problems.displayName = 'required';
  const username = form.username.trim().toLowerCase();
  if (!username) problems.username = 'required';
  else if (!/^[a-z0-9._-]{2,40}$/.test(username)) problems.username = 'username';
  if (!form.password) problems.password = 'required';
  else if (form.password.length < 10) problems.password = 'passwordShort';
  if (form.password !== form.confirm) problems.confirm = 'confirm';
  return problems;
}
