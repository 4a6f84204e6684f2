// The console's session and API client, and its message area. A 401 from any call ends the
// session: whenSignedOut says what the page does then (show the login form, with why).

import { Client, Messages, Session, $ } from '../lib/common.js';
import { t } from '../lib/i18n.js';

export const session = new Session('fireline.console');
export const messages = new Messages($('#messages'));

let onSignedOut = () => {};
/** whenSignedOut sets what runs when the server ends the session (a 401). */
export function whenSignedOut(fn) { onSignedOut = fn; }

export const client = new Client(session, { onUnauthorized: () => onSignedOut(t('console.sessionEnded')) });
