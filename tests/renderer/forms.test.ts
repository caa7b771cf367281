// Pins down the checks the front-desk forms make before sending anything: each field gets its
// own problem (the same rules as the contract), main's INVALID_INPUT names the fields it
// refused, and dates are shown as calendar dates (never shifted a day by a time zone).
import { describe, expect, it } from 'vitest';
import { patientCreateSchema, userCreateSchema } from '../../contract/index.js';
import { describeIssues } from '../../main/app/dispatcher.js';
import { checkNewAccount } from '../../renderer/features/auth/validation.js';
import { invalidFields } from '../../renderer/features/common/Field.js';
import { checkPatient } from '../../renderer/features/patients/PatientForm.js';
import { ageOn, formatDate } from '../../renderer/features/patients/format.js';

const patient = { familyName: 'Tremblay', givenName: 'Hélène', birthDate: '', sex: 'F' as const, phone: '', email: '', language: 'fr' as const, address: '' };

describe('the patient form', () => {
  it('accepts a patient with names only', () => {
    expect(checkPatient(patient)).toEqual({});
  });

  it('names each problem at its field', () => {
    expect(checkPatient({ ...patient, familyName: ' ', givenName: '', email: 'helene@', phone: 'call me', birthDate: '2030-01-01' }, '2026-11-28')).toEqual({
      familyName: 'required', givenName: 'required', email: 'email', phone: 'phone', birthDate: 'birthDateFuture',
    });
  });

  it('agrees with the contract on e-mail addresses', () => {
    for (const email of ['a@b.co', 'helene.tremblay@example.com', 'helene@', 'no at.example.com']) {
      const contract = patientCreateSchema.safeParse({ familyName: 'T', givenName: 'H', email }).success;
      expect(checkPatient({ ...patient, email }).email === undefined, email).toBe(contract);
    }
  });
});

describe('a new account', () => {
  it('follows the contract rules for user names and passwords', () => {
    const ok = { displayName: 'Sophie', username: 'S.Accueil', password: 'accueil-2026', confirm: 'accueil-2026' };
    expect(checkNewAccount(ok)).toEqual({});
    const { confirm: _confirm, ...account } = ok;
    expect(userCreateSchema.safeParse({ ...account, role: 'frontdesk' }).success).toBe(true);
    expect(checkNewAccount({ displayName: '', username: 'sophie accueil', password: 'short', confirm: 'other' })).toEqual({
      displayName: 'required', username: 'username', password: 'passwordShort', confirm: 'confirm',
    });
    expect(userCreateSchema.safeParse({ displayName: 'S', username: 'sophie accueil', password: 'accueil-2026', role: 'admin' }).success).toBe(false);
  });
});

describe("main's INVALID_INPUT message", () => {
  it('gives the names of the refused fields', () => {
    const parsed = patientCreateSchema.safeParse({ familyName: '', givenName: 'H', email: 'x' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(invalidFields(describeIssues(parsed.error)).sort()).toEqual(['email', 'familyName']);
  });
});

describe('dates of birth', () => {
  it('are shown as the calendar date in each language', () => {
    expect(formatDate('1984-03-09', 'en')).toBe('Mar 9, 1984');
    expect(formatDate('1984-03-09', 'fr')).toBe('9 mars 1984');
  });

  it('give the age in whole years, birthday included', () => {
    expect(ageOn('1984-03-09', new Date(2026, 2, 8))).toBe(41);
    expect(ageOn('1984-03-09', new Date(2026, 2, 9))).toBe(42);
  });
});
