// Signing in on the field page: crews only (a field role bound to a unit). The form is the same
// as the other pages' (#login-view, #login-username, #login-password, #login-submit,
// #login-error); the words come from the field catalogue.

import { $, onLoginSubmit } from '../lib/common.js';
import { can } from '../lib/domain.js';
import { t } from '../lib/i18n.js';

/** isCrew reports whether user may use this page: it moves its own unit and has one. */
export function isCrew(user) {
  return Boolean(user && user.unit_id && can(user.role, 'move_own_unit'));
}

/** showLogin hides the field view and shows the form, with a note (a translated sentence). */
export function showLogin(note = '') {
  $('#field-view').hidden = true;
  $('#account').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = note;
  $('#login-username').focus();
}

/** showField hides the form and shows the field view. */
export function showField(user) {
  $('#login-view').hidden = true;
  $('#field-view').hidden = false;
  $('#account').hidden = false;
  $('#whoami').textContent = t('field.account.signedInAs', { user: user.username });
}

/**
 * bindLogin answers the form the way every page does (onLoginSubmit): it signs in, refuses
 * anyone but a crew (the session is then cleared and the reason shown) and calls enter() for a
 * crew.
 */
export function bindLogin(client, session, enter) {
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session,
    (user) => (isCrew(user) ? '' : t('field.login.notCrew')), enter));
}
