// What the console and the field page share: the session, API calls that turn RFC 9457
// problems into errors a person can read, the live event stream, the message area, a small DOM
// builder and the formatting of times, durations and distances. Every word shown comes from the
// catalogues (common.json); an API problem's detail is shown as the server wrote it, after a
// translated sentence, and marked as text the page does not translate.

import { t, formatTime, formatDuration, formatDistance, setIncidentTypes } from './i18n.js';

/**
 * ApiError is a failed API call; its message is the problem's `detail`, meant for people, as the
 * server wrote it (in English). `local` is set when the page itself wrote the message from a
 * catalogue (the server could not be reached), so it needs no prefix.
 */
export class ApiError extends Error {
  constructor(status, problem = {}, { local = false } = {}) {
    super(problem.detail || problem.title || (status ? `HTTP ${status}` : t('common.error.failed')));
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || '';
    this.problem = problem;
    this.local = local;
  }
}

/** unreachable is the error of a request that never reached the server. */
function unreachable(err) {
  return new ApiError(0, { detail: t('common.error.unreachable', { error: err.message }) }, { local: true });
}

/** problemOf reads a failed response's body as problem JSON, or as text if it is not JSON. */
async function problemOf(res) {
  const text = await res.text().catch(() => '');
  try {
    const p = JSON.parse(text);
    if (p && typeof p === 'object') return p;
  } catch {
    // not JSON: a proxy's error page, say
  }
  return { status: res.status, title: res.statusText, detail: text.trim().slice(0, 300) || `${res.status} ${res.statusText}` };
}

/**
 * Session is the signed-in user of one page, kept in sessionStorage (per tab, gone on close).
 * A password sign-in keeps its bearer token here; a sign-in through the centre's directory
 * comes back as the session cookie the page never reads (`cookie`), and the page proves itself
 * on each change with the CSRF token from the readable cookie (authHeaders).
 */
export class Session {
  constructor(key) {
    this.key = key;
    this.token = '';
    this.cookie = false;
    this.user = null;
    try {
      const saved = JSON.parse(sessionStorage.getItem(key) || 'null');
      if (saved?.token || saved?.cookie) Object.assign(this, { token: saved.token || '', cookie: !!saved.cookie, user: saved.user });
    } catch {
      sessionStorage.removeItem(key);
    }
  }

  get signedIn() { return this.token !== '' || this.cookie; }

  save(token, user) {
    this.token = token;
    this.cookie = !token;
    this.user = user;
    sessionStorage.setItem(this.key, JSON.stringify({ token, cookie: this.cookie, user }));
  }

  clear() {
    this.token = '';
    this.cookie = false;
    this.user = null;
    sessionStorage.removeItem(this.key);
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * authHeaders are the credentials of a request: the bearer token, or, for a cookie session's
 * request that changes something, the CSRF token the server set beside the session cookie.
 */
export function authHeaders(session, method = 'GET') {
  if (session.token) return { Authorization: `Bearer ${session.token}` };
  if (!session.cookie || !UNSAFE.has(method.toUpperCase())) return {};
  const csrf = document.cookie.split('; ').find((c) => c.startsWith('fireline_csrf='));
  return csrf ? { 'X-CSRF-Token': decodeURIComponent(csrf.slice('fireline_csrf='.length)) } : {};
}

/** An incident's orders (dispatch, assess, close…) carry an idempotency key. */
const ORDER = /^\/api\/v1\/incidents\/\d+\/[a-z-]+(\/[a-z-]+)?$/;

/** How long an unanswered order's key is kept for the operator's resend of the same order. */
const KEY_TTL_MS = 5 * 60 * 1000;

/** A fresh idempotency key: random, 32 hex digits. */
function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Client calls the API with the session's bearer token. A 401 calls onUnauthorized. */
export class Client {
  constructor(session, { onUnauthorized } = {}) {
    this.session = session;
    this.onUnauthorized = onUnauthorized;
    // The keys of orders that got no answer, or 502/503/504: sent again (the same order, to
    // the same incident), an order keeps its key, so the server carries it out once even if
    // the first attempt was carried out after all.
    this.unanswered = new Map();
  }

  /** The idempotency key of an order, the unanswered one's when this is its resend. */
  orderKey(method, path, payload) {
    if (!UNSAFE.has(method.toUpperCase()) || !ORDER.test(path)) return null;
    const id = `${method} ${path} ${payload ?? ''}`;
    const now = Date.now();
    for (const [k, v] of this.unanswered) if (now - v.at > KEY_TTL_MS) this.unanswered.delete(k);
    const kept = this.unanswered.get(id);
    return { id, key: kept ? kept.key : newKey() };
  }

  async send(method, path, { body, type, accept = 'application/json' } = {}) {
    const headers = { Accept: accept, ...authHeaders(this.session, method) };
    if (body !== undefined) headers['Content-Type'] = type || 'application/json';
    const payload = body === undefined ? undefined : (type ? body : JSON.stringify(body));
    const order = this.orderKey(method, path, typeof payload === 'string' ? payload : undefined);
    if (order) headers['Idempotency-Key'] = order.key;
    let res;
    try {
      res = await fetch(path, { method, headers, cache: 'no-store', body: payload });
    } catch (err) {
      if (order) this.unanswered.set(order.id, { key: order.key, at: Date.now() });
      throw unreachable(err);
    }
    if (order) {
      if ([502, 503, 504].includes(res.status)) this.unanswered.set(order.id, { key: order.key, at: Date.now() });
      else this.unanswered.delete(order.id);
    }
    if (!res.ok) {
      const err = new ApiError(res.status, await problemOf(res));
      if (res.redirected && new URL(res.url).origin !== window.location.origin) {
        // A media node answered after a redirect (see exchangeSDP); our session is fine.
        err.redirectedTo = res.url;
        throw err;
      }
      if (res.status === 401 && this.session.signedIn) this.onUnauthorized?.(err);
      throw err;
    }
    return res;
  }

  async json(method, path, body) {
    const res = await this.send(method, path, { body });
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  get(path) { return this.json('GET', path); }
  post(path, body) { return this.json('POST', path, body); }

  /** login signs in and saves the session; it never calls onUnauthorized. */
  async login(username, password) {
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    }).catch((err) => { throw unreachable(err); });
    if (!res.ok) throw new ApiError(res.status, await problemOf(res));
    const { token, user } = await res.json();
    this.session.save(token, user);
    return user;
  }

  /**
   * logout ends the session on the server, which also drops its cookies, before the page
   * forgets the token. A server that cannot be reached leaves the session to expire.
   */
  async logout() {
    if (!this.session.signedIn) return;
    await fetch('/api/v1/auth/logout', {
      method: 'POST', headers: authHeaders(this.session, 'POST'), cache: 'no-store',
    }).catch(() => {});
  }

  /**
   * exchangeSDP posts an SDP offer (WHIP or WHEP) and returns the answer and the session's
   * Location, resolved against the request URL.
   */
  async exchangeSDP(path, offer) {
    const opts = { body: offer, type: 'application/sdp', accept: 'application/sdp' };
    let res;
    try {
      res = await this.send('POST', path, opts);
    } catch (err) {
      // The room is on another media node: the API answered 307 and the browser followed it,
      // but a browser drops the Authorization header on a redirect to another origin, so that
      // node refused us. Send the offer there again, with the token.
      if (err.status !== 401 || !err.redirectedTo) throw err;
      res = await this.send('POST', err.redirectedTo, opts);
    }
    if (res.status !== 201) throw new ApiError(res.status, { detail: t('common.error.mediaStatus', { status: res.status }) }, { local: true });
    const location = res.headers.get('Location');
    if (!location) throw new ApiError(res.status, { detail: t('common.error.mediaLocation') }, { local: true });
    // The session lives on the node that answered, which may be another origin than ours.
    const url = new URL(location, res.url);
    return { answer: await res.text(), location: url.origin === window.location.origin ? url.pathname + url.search : url.href };
  }

  /** end deletes a WHIP/WHEP session; an already-ended session is not an error. */
  async end(location) {
    try {
      const res = await this.send('DELETE', location);
      await res.arrayBuffer(); // read to the end, so the request is complete when we return
    } catch (err) {
      if (err.status !== 404) throw err;
    }
  }
}

/**
 * LiveEvents keeps a Server-Sent Events stream open: events `incident`, `unit`, `timeline`,
 * `move_up` (a move-up decision was stored), `escalation` (raised or taken) and `agency_task`
 * (requested or updated) and `warning` (a CAP warning stored or superseded) carry {kind, id,
 * incident_id}; `media` (every few seconds while an incident's room has live video) carries the
 * room's streams with their statistics too. The browser retries a dropped stream by itself;
 * when the server refuses it outright (a restart, an expired session) we verify the session
 * and open a new one with backoff. onOpen runs on every (re)connection, because notices sent
 * while we were away are lost and everything must be refetched.
 */
export class LiveEvents {
  constructor(session, { onChange, onState, onOpen, verify }) {
    Object.assign(this, { session, onChange, onState, onOpen, verify });
    this.source = null;
    this.retry = null;
    this.backoff = 1000;
  }

  start() {
    this.stop();
    this.setState('connecting');
    // A cookie session's stream carries the cookie; a token goes in the URL, as EventSource
    // sends no headers.
    const es = new EventSource(this.session.token ? `/api/v1/events?token=${encodeURIComponent(this.session.token)}` : '/api/v1/events');
    this.source = es;
    es.onopen = () => {
      this.backoff = 1000;
      this.setState('live');
      this.onOpen?.();
    };
    es.onerror = () => {
      if (this.source !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        this.setState('offline');
        this.reconnectLater();
      } else {
        this.setState('reconnecting');
      }
    };
    for (const kind of ['incident', 'unit', 'timeline', 'move_up', 'escalation', 'agency_task', 'media', 'warning', 'risk', 'building']) {
      es.addEventListener(kind, (e) => {
        let change;
        try {
          change = JSON.parse(e.data);
        } catch {
          return;
        }
        this.onChange?.(kind, change);
      });
    }
  }

  reconnectLater() {
    this.source?.close();
    this.source = null;
    clearTimeout(this.retry);
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, 30000);
    this.retry = setTimeout(async () => {
      this.setState('reconnecting');
      try {
        await this.verify?.();
      } catch (err) {
        if (err.status === 401) return; // signed out by the client's onUnauthorized
      }
      if (this.session.signedIn) this.start();
    }, wait);
  }

  /**
   * lost tells the stream that a request just failed to reach the server. A dropped network does
   * not always close a stream that is open (nothing arrives, nothing fails), so one that still
   * looks live is closed and opened again, with the usual backoff, until the server answers.
   */
  lost() {
    if (!this.source || this.state !== 'live') return;
    this.setState('reconnecting');
    this.reconnectLater();
  }

  stop() {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.setState('offline');
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState?.(state);
  }
}

const LIVE_STATES = ['connecting', 'live', 'reconnecting', 'offline'];

/**
 * showLiveState shows the event stream's state in a status pill; with no state it redraws the
 * pill's last one (after a language switch).
 */
export function showLiveState(pill, state = pill.dataset.state) {
  const known = LIVE_STATES.includes(state) ? state : 'offline';
  pill.dataset.state = known;
  pill.textContent = t(`common.live.${known}`);
  pill.title = t(known === 'live' ? 'common.live.liveTitle' : 'common.live.staleTitle');
}

// ---- signing in: every page has the same login form (#login-view) and header (#whoami,
// #sign-out); view is the page's own main section, shown once someone is signed in. ----------

/** showLogin hides the page's view and shows the login form, with a note when given. */
export function showLogin(view, note = '') {
  view.hidden = true;
  $('#login-view').hidden = false;
  $('#whoami').hidden = true;
  $('#sign-out').hidden = true;
  $('#login-error').textContent = note;
  $('#login-username').focus();
}

/** showSignedIn hides the login form and shows the page's view and who is signed in. */
export function showSignedIn(view, who) {
  $('#login-view').hidden = true;
  view.hidden = false;
  $('#whoami').textContent = who;
  $('#whoami').hidden = false;
  $('#sign-out').hidden = false;
}

/**
 * onLoginSubmit answers the login form: it signs in, and refuse(user) says why this page is not
 * for that user ('' when it is): the session is then cleared and the reason shown on the form.
 * Otherwise enter() opens the page.
 */
export function onLoginSubmit(client, session, refuse, enter) {
  return async (e) => {
    e.preventDefault();
    const submit = $('#login-submit');
    submit.disabled = true;
    $('#login-error').textContent = '';
    try {
      const user = await client.login($('#login-username').value.trim(), $('#login-password').value);
      const reason = refuse(user);
      if (reason) {
        session.clear();
        throw new Error(reason);
      }
      $('#login-password').value = '';
      enter();
    } catch (err) {
      $('#login-error').textContent = err instanceof ApiError && !err.local
        ? t('common.login.refused', { detail: err.message }) : err.message;
    } finally {
      submit.disabled = false;
    }
  };
}

/**
 * loadIncidentTypes reads the incident types in force, so that tEnum names an administrator's
 * type in the current language; until they arrive, or if they cannot be read, it shows the code.
 */
export function loadIncidentTypes(client) {
  return client.get('/api/v1/incident-types')
    .then(({ incident_types: types }) => setIncidentTypes(types))
    .catch((err) => console.warn('incident types not read:', err.message));
}

/**
 * adoptCookieSession signs the page in with the session cookie a sign-in through the centre's
 * directory left, when the directory's way back marked the page so (?signin=directory): true
 * when the server knows the session. Any other page keeps to its own tab's session, as a
 * password sign-in in one tab does not sign in the others.
 */
export async function adoptCookieSession(session) {
  const params = new URLSearchParams(window.location.search);
  if (params.get('signin') !== 'directory') return false;
  params.delete('signin');
  const rest = params.toString();
  window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : '') + window.location.hash);
  try {
    const res = await fetch('/api/v1/auth/me', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) return false;
    session.save('', await res.json());
    return true;
  } catch {
    return false;
  }
}

/**
 * offerDirectory shows the "sign in through the centre's directory" link when the server
 * offers it, coming back to this page, and says why a directory sign-in that came back here
 * failed (?signin_error=).
 */
export async function offerDirectory() {
  const params = new URLSearchParams(window.location.search);
  const failed = params.get('signin_error');
  if (failed) {
    const known = ['role', 'conflict', 'denied', 'disabled', 'expired', 'state'];
    $('#login-error').textContent = t(`common.login.directoryError.${known.includes(failed) ? failed : 'other'}`);
    params.delete('signin_error');
    const rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : '') + window.location.hash);
  }
  const link = $('#login-directory');
  if (!link) return;
  try {
    const res = await fetch('/api/v1/auth/options', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const opts = res.ok ? await res.json() : {};
    link.href = `/api/v1/auth/oidc/login?return=${encodeURIComponent(window.location.pathname + window.location.search)}`;
    link.hidden = !opts.directory;
  } catch {
    link.hidden = true;
  }
}

/**
 * resumeSession checks a stored session with the server and refreshes its user. It is false when
 * the session has ended (the client's onUnauthorized has shown the login form); an unreachable
 * server keeps the session (the error is shown, and what polls or streams will retry).
 */
export async function resumeSession(client, session, messages) {
  try {
    session.save(session.token, await client.get('/api/v1/auth/me'));
  } catch (err) {
    if (err.status === 401) return false;
    messages.error(err);
  }
  return true;
}

/**
 * Messages is the visible message area: errors stay until dismissed, notices fade. An error is
 * a sentence from the catalogues, or an API error: its detail, the server's own words, follows
 * a translated sentence (context, when given, else a general one) and is marked as not the
 * page's to translate.
 */
export class Messages {
  constructor(container, { max = 4 } = {}) {
    this.container = container;
    this.max = max;
  }

  error(errOrText, context = '') {
    if (typeof errOrText === 'string') {
      this.show('error', errOrText, 20000);
    } else if (errOrText instanceof ApiError && !errOrText.local) {
      this.show('error', context || t('common.error.refused'), 20000, errOrText.message);
    } else {
      this.show('error', context ? `${context} ${errOrText.message}` : errOrText.message, 20000);
    }
  }

  info(text) { this.show('info', text, 5000); }

  show(kind, text, ttl, detail = '') {
    const key = `${text}|${detail}`;
    for (const m of this.container.querySelectorAll('.msg')) {
      if (m.dataset.text === key) m.remove(); // a repeat moves to the top instead of stacking
    }
    const close = el('button', { type: 'button', class: 'msg-close', 'aria-label': t('common.dismiss') }, '×');
    const msg = el('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'message', 'data-kind': kind, 'data-text': key },
      el('span', { class: 'msg-text' }, text, detail ? [' ', el('span', { class: 'msg-detail', lang: 'en', translate: 'no', 'data-i18n-skip': '' }, detail)] : null), close);
    close.addEventListener('click', () => msg.remove());
    this.container.prepend(msg);
    while (this.container.children.length > this.max) this.container.lastElementChild.remove();
    if (ttl) setTimeout(() => msg.remove(), ttl);
  }

  clear() { this.container.replaceChildren(); }
}

/**
 * el builds an element: el('td', {class: 'x', 'data-id': 3}, 'text', child). Attributes with
 * null, undefined or false values are left out; true sets an empty attribute. Text is always
 * inserted as text, never parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const svg = ['svg', 'g', 'circle', 'rect', 'path', 'line', 'text', 'title', 'polygon'].includes(tag);
  const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** $ is document.querySelector that fails loudly when the page lacks the element. */
export function $(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`page has no ${selector}`);
  return node;
}

/** clock formats a time as 24-hour local HH:MM:SS in the page's locale. */
export function clock(iso) {
  return formatTime(iso);
}

/** duration formats seconds as "45 s" (45 秒), "3:07" or "1:02:09". */
export function duration(seconds) {
  return formatDuration(seconds);
}

/** since is the time elapsed from iso to now, as duration() formats it. */
export function since(iso) {
  return duration((Date.now() - new Date(iso).getTime()) / 1000);
}

/** distance formats metres as "850 m" or "3.4 km" (850 米, 3.4 公里). */
export function distance(m) {
  return formatDistance(m);
}

/**
 * fillElapsed sets the text of every [data-since] element under root to the time since then;
 * with data-since-format="ago" it reads "3:07 ago" (3:07 前).
 */
export function fillElapsed(root = document) {
  for (const node of root.querySelectorAll('[data-since]')) {
    const time = since(node.dataset.since);
    node.textContent = node.dataset.sinceFormat === 'ago' ? t('common.ago', { time }) : time;
  }
}

/**
 * fillCountdowns sets the text of every [data-due] element under root to the time left until
 * then ("in 4:10") or, past it, how long it is overdue ("overdue 0:35"), and marks the overdue
 * ones with the class is-overdue.
 */
export function fillCountdowns(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll('[data-due]')) {
    const left = (new Date(node.dataset.due).getTime() - now) / 1000;
    const overdue = left < 0;
    node.textContent = t(overdue ? 'common.overdueBy' : 'common.dueIn', { time: duration(Math.abs(left)) });
    node.classList.toggle('is-overdue', overdue);
  }
}
