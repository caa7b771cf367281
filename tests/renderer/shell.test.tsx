// Pins down the small pure pieces of the shell: which path is a route, which is the consultation
// page, and how a failed call is turned into a translated message.
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../contract/errors.js';
import { createI18n } from '../../renderer/i18n/index.js';
import { ErrorMessage, toCallError } from '../../renderer/shell/ErrorMessage.js';
import { isConsultPage } from '../../renderer/shell/Root.js';
import { pathFromHash } from '../../renderer/shell/router.js';

describe('routes', () => {
  it('reads the route from the hash, defaulting to Patients', () => {
    expect(pathFromHash('#/schedule')).toBe('/schedule');
    expect(pathFromHash('#/patients/42')).toBe('/patients/42');
    for (const hash of ['', '#', '#/', '#main']) expect(pathFromHash(hash)).toBe('/patients');
  });

  it('keeps /consult for the consultation page', () => {
    expect(isConsultPage('/consult')).toBe(true);
    expect(isConsultPage('/consult/')).toBe(true);
    expect(isConsultPage('/')).toBe(false);
    expect(isConsultPage('/consultation')).toBe(false);
  });
});

describe('errors', () => {
  it('keeps the code of a contract error and makes anything else INTERNAL', () => {
    expect(toCallError(new ContractError({ code: 'CONFLICT', message: 'Slot taken' }))).toEqual({ code: 'CONFLICT', message: 'Slot taken' });
    expect(toCallError({ code: 'NOT_FOUND', message: 'gone' })).toEqual({ code: 'NOT_FOUND', message: 'gone' });
    expect(toCallError({ code: 'WHATEVER', message: 'x' })).toEqual({ code: 'INTERNAL', message: '[object Object]' });
    expect(toCallError(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
  });

  it('shows the translated explanation for the code, with the detail from main', () => {
    const i18n = createI18n('fr', { lang: '' } as HTMLElement);
    const html = renderToStaticMarkup(
      <I18nextProvider i18n={i18n}>
        <ErrorMessage error={new ContractError({ code: 'FORBIDDEN', message: 'Your role (frontdesk) does not allow plan.create' })} onRetry={() => {}} />
      </I18nextProvider>,
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('data-code="FORBIDDEN"');
    expect(html).toContain('Votre rôle ne permet pas cette action.');
    expect(html).toContain('Détails : Your role (frontdesk) does not allow plan.create');
    expect(html).toContain('Réessayer');
  });
});
