// What the page tells the crew besides its views: short notices and errors in the message
// area, the event stream's state in the top bar, and a banner while the connection to the
// command centre is lost (the crew must know that what it reads may be out of date).

import { el, $ } from '../lib/common.js';
import { t } from '../lib/i18n.js';

/** errorText is what a failed call says to a person: the API's own detail, or no network. */
export function errorText(err) {
  if (err?.status === 0) return t('field.error.network');
  if (err?.code?.startsWith('media_')) return t(`field.media.${err.code.slice(6)}`);
  // The browser's own refusals (camera, location) come as DOMExceptions in its language.
  if (err instanceof DOMException) return t('field.error.device', { name: err.name });
  return err?.message || String(err);
}

/** Notices is the message area: errors stay until dismissed (or 20 s), notices fade in 5 s. */
export class Notices {
  constructor(container, { max = 3 } = {}) {
    this.container = container;
    this.max = max;
  }

  error(text) { this.show('error', text, 20_000); }
  info(text) { this.show('info', text, 5_000); }

  show(kind, text, ttl) {
    for (const m of this.container.querySelectorAll('.f-msg')) {
      if (m.dataset.text === text) m.remove(); // a repeat moves to the top instead of stacking
    }
    const close = el('button', { type: 'button', class: 'f-msg-close', 'aria-label': t('field.message.dismiss') }, '×');
    const msg = el('div', {
      class: `f-msg f-msg-${kind}`, role: kind === 'error' ? 'alert' : 'status',
      'data-testid': 'message', 'data-kind': kind, 'data-text': text,
    }, el('span', { class: 'f-msg-text msg-text' }, text), close);
    close.addEventListener('click', () => msg.remove());
    this.container.prepend(msg);
    while (this.container.children.length > this.max) this.container.lastElementChild.remove();
    if (ttl) setTimeout(() => msg.remove(), ttl);
  }

  clear() { this.container.replaceChildren(); }
}

/**
 * LiveState shows the event stream's state: a pill in the top bar (#sse-state, its data-state
 * one of connecting, live, reconnecting, offline) and, while signed in and not live after
 * having been, the lost-connection banner (#connection-lost).
 */
export class LiveState {
  constructor(pill, banner) {
    Object.assign(this, { pill, banner, state: 'offline', signedIn: false, wasLive: false });
  }

  set(state) {
    this.state = state;
    if (state === 'live') this.wasLive = true;
    this.render();
  }

  setSignedIn(on) {
    this.signedIn = on;
    if (!on) this.wasLive = false;
    this.render();
  }

  render() {
    const { pill, banner, state } = this;
    pill.dataset.state = state;
    pill.textContent = t(`field.live.${state}`);
    pill.title = t(state === 'live' ? 'field.live.liveTitle' : 'field.live.staleTitle');
    const lost = this.signedIn && state !== 'live' && (this.wasLive || state === 'offline' || state === 'reconnecting');
    banner.hidden = !lost;
    if (lost) $('#connection-lost-text', banner).textContent = t('field.live.lost');
  }
}
